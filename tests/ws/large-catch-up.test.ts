/**
 * Issue 26: a catch-up bigger than a socket's buffer. 600 events of about 8 KB (4.8 MB, more
 * than the 4 MiB ceiling) missed while offline reach a client that reads, by a raw socket and by
 * ParleyRealtime, with the default gateway limits: the replay goes at the client's pace instead
 * of tripping the slow-consumer guard (which closed the socket, and the client looped for ever).
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParleyRealtime, type ConversationEvent } from '../../src/client/index.js';
import { DEFAULT_GATEWAY_OPTIONS } from '../../src/realtime/gateway.js';
import { auth, register, uniqueName, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';
import { waitFor } from '../helpers/kit.js';

const API = '/api/v1';
const MISSED = 600;
/** 7,990 characters: an event of about 8 KB. */
const body = (i: number): string => `${String(i).padStart(4, '0')} ${'x'.repeat(7985)}`;

let t: TestServer;
const sockets: WsClient[] = [];
const clients: ParleyRealtime[] = [];

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  for (const c of clients) c.stop();
  for (const s of sockets) s.ws.terminate();
  await t?.close();
});

async function post<T>(url: string, who: Account, payload: object): Promise<T> {
  const res = await t.app.inject({ method: 'POST', url: `${API}${url}`, headers: auth(who.token), payload });
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

/** A group of sender and reader with MISSED long messages in it; returns its id. */
async function groupWithBacklog(sender: Account, reader: Account): Promise<string> {
  const g = await post<{ id: string }>('/groups', sender, { name: `big ${uniqueName('g')}`, memberIds: [reader.user.id] });
  for (let i = 1; i <= MISSED; i++) await post(`/conversations/${g.id}/messages`, sender, { body: body(i) });
  return g.id;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('a catch-up larger than the socket buffer', () => {
  it('the defaults let a replay pass the 4 MiB ceiling (the test would prove nothing otherwise)', () => {
    expect(MISSED * 8000).toBeGreaterThan(DEFAULT_GATEWAY_OPTIONS.limits.maxBufferedBytes);
    expect(DEFAULT_GATEWAY_OPTIONS.syncBudget).toBeGreaterThanOrEqual(MISSED);
  });

  it('a raw socket syncing 600 events of 8 KB from 0 gets them all, in order, in frames of at most 4 MiB, and stays open', async () => {
    const sender = await register(t.app, uniqueName('s'));
    const reader = await register(t.app, uniqueName('r'));
    const g = await groupWithBacklog(sender, reader);
    const c = await WsClient.connect(t.wsUrl, reader.token, { [g]: 0 });
    sockets.push(c);
    // The first answer stops at the byte budget (hasMore); the client syncs on from where it got to.
    const first = await c.next((f) => f.type === 'sync.done', 60_000);
    expect(first.hasMore).toBe(true);
    const firstShare = c.events(g);
    expect(firstShare.length).toBeLessThan(MISSED);
    expect(firstShare.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0)).toBeLessThanOrEqual(DEFAULT_GATEWAY_OPTIONS.syncBudgetBytes);
    const last = await c.request({ type: 'sync', cursors: { [g]: firstShare.at(-1)!.seq } }, 60_000);
    expect(last).toMatchObject({ type: 'sync.done', hasMore: false });
    const events = c.events(g);
    expect(events.map((e) => e.seq)).toEqual(range(1, MISSED));
    expect(events.map((e) => e.message.body)).toEqual(range(1, MISSED).map(body));
    expect(c.closeCode).toBeNull();
    // Still live afterwards.
    const m = await post<{ seq: number }>(`/conversations/${g}/messages`, sender, { body: 'after the catch-up' });
    await c.next((f) => f.seq === m.seq);
  }, 120_000);

  it('ParleyRealtime offline for 600 events of 8 KB catches up on one connection', async () => {
    const sender = await register(t.app, uniqueName('s'));
    const reader = await register(t.app, uniqueName('r'));
    const g = await groupWithBacklog(sender, reader);
    const rt = new ParleyRealtime({ url: t.wsUrl, token: reader.token, WebSocket: WebSocket as never, cursors: { [g]: 0 }, backoff: { minMs: 50, maxMs: 200 } });
    clients.push(rt);
    const got: ConversationEvent[] = [];
    let readies = 0;
    let synced = false;
    rt.on('event', (ev) => {
      if (ev.conversationId === g) got.push(ev);
    });
    rt.on('ready', () => readies++);
    rt.on('synced', () => {
      synced = true;
    });
    rt.start();
    await waitFor(() => synced, `synced (got ${got.length} events over ${readies} connections)`);
    expect(got.map((e) => e.seq)).toEqual(range(1, MISSED));
    expect(readies).toBe(1);
    expect(rt.state).toBe('online');
    expect(rt.cursor(g)).toBe(MISSED);
  }, 120_000);
});
