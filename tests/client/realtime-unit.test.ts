/**
 * ParleyRealtime against a scripted fake socket, for what a correct server never does on its
 * own: duplicate or out-of-order events, a silent link, refusals worth retrying, lost acks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ParleyRealtime, realtimeUrl, type Message, type ParleyRealtimeOptions, type WebSocketLike } from '../../src/client/index.js';
import { Recorder, sleep, waitFor } from './support.js';

type Frame = Record<string, unknown> & { type: string };

/** A WebSocket whose server side is the test: it opens on demand and records what the client writes. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: Frame[] = [];
  closedWith: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Frame);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  // --- the test's side ---
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  push(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  frames(type: string): Frame[] {
    return this.sent.filter((f) => f.type === type);
  }
}

const USER = { id: 'u1', username: 'ada', displayName: 'Ada', avatarUrl: null, createdAt: '2026-01-01T00:00:00.000Z', online: true, lastSeenAt: null };
const running: ParleyRealtime[] = [];

afterEach(() => {
  for (const rt of running.splice(0)) rt.stop();
  FakeSocket.all = [];
});

function client(opts: Partial<ParleyRealtimeOptions> = {}): { rt: ParleyRealtime; rec: Recorder } {
  const rt = new ParleyRealtime({ url: 'ws://fake/api/v1/ws', token: 'tok', WebSocket: FakeSocket, backoff: { minMs: 60_000 }, ...opts });
  running.push(rt);
  return { rt, rec: new Recorder(rt) };
}

/** Starts the client and answers its auth with ready; returns the socket. */
function connect(rt: ParleyRealtime): FakeSocket {
  rt.start();
  const ws = FakeSocket.all[FakeSocket.all.length - 1]!;
  ws.open();
  ws.push({ type: 'ready', user: USER, connectionId: 'c1', protocol: 1 });
  return ws;
}

function created(conversationId: string, seq: number, extra: Partial<Message> = {}): object {
  return {
    type: 'message.created',
    conversationId,
    seq,
    createdAt: '2026-01-01T00:00:00.000Z',
    message: { id: `m${seq}`, conversationId, seq, senderId: 'u2', clientMsgId: null, body: `b${seq}`, replyTo: null, mentions: [], attachments: [], reactions: [], createdAt: '2026-01-01T00:00:00.000Z', editedAt: null, deletedAt: null, ...extra },
  };
}

function stored(conversationId: string, seq: number, clientMsgId: string): Message {
  return (created(conversationId, seq, { clientMsgId, senderId: USER.id }) as { message: Message }).message;
}

describe('ordering on the client', () => {
  it('drops events at or below the cursor (duplicates)', () => {
    const { rt, rec } = client({ cursors: { c: 3 } });
    const ws = connect(rt);
    expect(ws.frames('auth')[0]).toMatchObject({ token: 'tok', cursors: { c: 3 } });
    ws.push({ type: 'sync.done', hasMore: false });
    for (const seq of [2, 3, 4, 4, 3, 5]) ws.push(created('c', seq));
    expect(rec.seqs('c')).toEqual([4, 5]);
    expect(rt.cursor('c')).toBe(5);
  });

  it('holds an event past a gap, syncs from the cursor, and emits the filled range in order once', () => {
    const { rt, rec } = client({ cursors: { c: 4 } });
    const ws = connect(rt);
    ws.push({ type: 'sync.done', hasMore: false });
    expect(rt.state).toBe('online');
    ws.push(created('c', 5));
    ws.push(created('c', 8));
    expect(rec.seqs('c')).toEqual([5]);
    const sync = ws.frames('sync');
    expect(sync).toHaveLength(1);
    expect(sync[0]!.cursors).toEqual({ c: 5 });
    ws.push(created('c', 9)); // also held; no second sync for the same conversation
    expect(ws.frames('sync')).toHaveLength(1);
    for (const seq of [6, 7, 8]) ws.push(created('c', seq));
    ws.push({ type: 'sync.done', id: sync[0]!.id, hasMore: false });
    expect(rec.seqs('c')).toEqual([5, 6, 7, 8, 9]);
  });

  it('a gap the sync cannot fill is skipped and reported, not waited on for ever', () => {
    const { rt, rec } = client({ cursors: { c: 1 } });
    const ws = connect(rt);
    ws.push({ type: 'sync.done', hasMore: false });
    ws.push(created('c', 4));
    const sync = ws.frames('sync')[0]!;
    ws.push({ type: 'sync.done', id: sync.id, hasMore: false });
    expect(rec.seqs('c')).toEqual([4]);
    expect(rec.of('error').map((e) => e.message).join()).toMatch(/events 2-3/);
  });

  it('state is syncing until sync.done without hasMore; hasMore syncs again from the new cursor', () => {
    const { rt, rec } = client({ cursors: { c: 0 } });
    const ws = connect(rt);
    expect(rt.state).toBe('syncing');
    ws.push(created('c', 1));
    ws.push(created('c', 2));
    ws.push({ type: 'sync.done', hasMore: true });
    expect(rt.state).toBe('syncing');
    expect(ws.frames('sync').map((f) => f.cursors)).toEqual([{ c: 2 }]);
    ws.push(created('c', 3));
    ws.push({ type: 'sync.done', id: ws.frames('sync')[0]!.id, hasMore: false });
    expect(rt.state).toBe('online');
    expect(rec.of('synced')).toEqual([{ reconnect: false, skipped: [] }]);
    expect(rec.seqs('c')).toEqual([1, 2, 3]);
  });

  it('a conversation followed after auth was written, before ready, gets a sync frame of its own', () => {
    const { rt, rec } = client({ cursors: { a: 1 } });
    rt.start();
    const ws = FakeSocket.all[0]!;
    ws.open();
    rt.follow('b', 4);
    ws.push({ type: 'ready', user: USER, connectionId: 'c1', protocol: 1 });
    expect(ws.frames('auth')[0]!.cursors).toEqual({ a: 1 });
    ws.push({ type: 'sync.done', hasMore: false });
    expect(ws.frames('sync').map((f) => f.cursors)).toEqual([{ b: 4 }]);
    expect(rt.state).toBe('syncing');
    ws.push(created('b', 5));
    ws.push({ type: 'sync.done', id: ws.frames('sync')[0]!.id, hasMore: false });
    expect(rt.state).toBe('online');
    expect(rec.seqs('b')).toEqual([5]);
  });

  it('conversation.deleted and leaving stop following the conversation', () => {
    const { rt } = client({ cursors: { a: 0, b: 0 } });
    const ws = connect(rt);
    ws.push({ type: 'sync.done', hasMore: false });
    ws.push({ type: 'conversation.deleted', conversationId: 'a', seq: 1, createdAt: '2026-01-01T00:00:00.000Z' });
    ws.push({ type: 'member.left', conversationId: 'b', seq: 1, createdAt: '2026-01-01T00:00:00.000Z', member: { user: USER, role: 'member', joinedAt: '2026-01-01T00:00:00.000Z' } });
    expect(rt.cursors()).toEqual({});
  });

  it('a listener that throws is reported as an error and does not stop the others', () => {
    const { rt, rec } = client();
    const got: number[] = [];
    rt.on('event', () => {
      throw new Error('boom');
    });
    const off = rt.on('event', (ev) => got.push(ev.seq));
    const ws = connect(rt);
    ws.push(created('c', 1));
    off();
    ws.push(created('c', 2));
    expect(got).toEqual([1]);
    expect(rec.of('error').map((e) => e.message)).toEqual(['boom', 'boom']);
  });
});

describe('connection', () => {
  it('pings after a quiet interval and reconnects when nothing answers; answered pings keep it', async () => {
    const { rt, rec } = client({ heartbeat: { intervalMs: 40, timeoutMs: 80 }, backoff: { minMs: 5, maxMs: 5 } });
    const ws = connect(rt);
    await waitFor(() => ws.frames('ping').length === 1, 'a ping');
    await waitFor(() => FakeSocket.all.length === 2, 'a second socket', 2000);
    expect(rec.states()).toEqual(['connecting', 'syncing', 'online', 'offline', 'connecting']);

    const second = FakeSocket.all[1]!;
    second.open();
    second.push({ type: 'ready', user: USER, connectionId: 'c2', protocol: 1 });
    expect(rec.of('reconnected')).toHaveLength(1);
    let answered = 0;
    const answer = setInterval(() => {
      if (second.frames('ping').length > answered) {
        answered++;
        second.push({ type: 'pong' });
      }
    }, 5);
    await sleep(400);
    clearInterval(answer);
    expect(second.frames('ping').length).toBeGreaterThanOrEqual(2);
    expect(FakeSocket.all).toHaveLength(2);
    expect(rt.state).toBe('online');
  });

  it('a socket that never becomes ready is given up', async () => {
    const { rt } = client({ heartbeat: { intervalMs: 1000, timeoutMs: 30 }, backoff: { minMs: 5, maxMs: 5 } });
    rt.start();
    FakeSocket.all[0]!.open(); // no ready ever comes
    await waitFor(() => FakeSocket.all.length === 2, 'a second attempt', 2000);
    expect(FakeSocket.all[0]!.closedWith).toBe(4000);
  });

  it('backs off exponentially up to maxMs, with jitter below the nominal delay', async () => {
    const { rt } = client({ backoff: { minMs: 10, maxMs: 40, jitter: 0 } });
    rt.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const ws = FakeSocket.all[i]!;
      ws.drop();
      delays.push(rt.retryAt! - Date.now());
      await waitFor(() => FakeSocket.all.length === i + 2, 'next attempt');
    }
    expect(delays.map((d) => Math.round(d / 10) * 10)).toEqual([10, 20, 40, 40]);

    const { rt: jittery } = client({ backoff: { minMs: 1000, maxMs: 1000, jitter: 0.5 } });
    jittery.start();
    FakeSocket.all.at(-1)!.drop();
    const d = jittery.retryAt! - Date.now();
    expect(d).toBeGreaterThanOrEqual(490);
    expect(d).toBeLessThanOrEqual(1000);
  });

  it('a successful ready resets the backoff', async () => {
    const { rt } = client({ backoff: { minMs: 10, maxMs: 1000, jitter: 0 } });
    rt.start();
    FakeSocket.all[0]!.drop();
    await waitFor(() => FakeSocket.all.length === 2, 'second');
    FakeSocket.all[1]!.drop();
    await waitFor(() => FakeSocket.all.length === 3, 'third');
    const third = FakeSocket.all[2]!;
    third.open();
    third.push({ type: 'ready', user: USER, connectionId: 'c3', protocol: 1 });
    third.drop();
    expect(rt.retryAt! - Date.now()).toBeLessThanOrEqual(10);
  });

  it('a server that closes every connection before the catch-up makes progress is retried with a growing delay, and `disconnected` says why', async () => {
    const { rt, rec } = client({ cursors: { c1: 5 }, backoff: { minMs: 10, maxMs: 1000, jitter: 0 } });
    rt.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const ws = FakeSocket.all[i]!;
      ws.open();
      ws.push({ type: 'ready', user: USER, connectionId: `c${i}`, protocol: 1 });
      expect(ws.frames('auth')[0]!.cursors).toEqual({ c1: 5 });
      ws.drop(4008, 'slow consumer: reconnect and sync');
      delays.push(rt.retryAt! - Date.now());
      await waitFor(() => FakeSocket.all.length === i + 2, 'next attempt');
    }
    // Not the shortest delay after every ready: it doubles while nothing gets through.
    expect(delays.map((d) => Math.round(d / 10) * 10)).toEqual([10, 20, 40, 80]);
    const why = rec.of('disconnected');
    expect(why).toHaveLength(4);
    expect(why[0]).toMatchObject({ code: 4008, reason: 'slow consumer: reconnect and sync', attempt: 1 });
    expect(why[3]!.attempt).toBe(4);
    expect(why[0]!.message).toMatch(/did not keep up/);
    expect(why.every((w) => typeof w.retryAt === 'number')).toBe(true);

    // A connection that delivers events before it drops made progress: back to the shortest delay.
    const fifth = FakeSocket.all[4]!;
    fifth.open();
    fifth.push({ type: 'ready', user: USER, connectionId: 'c5', protocol: 1 });
    fifth.push(created('c1', 6));
    fifth.drop(4008, 'slow consumer: reconnect and sync');
    expect(rt.retryAt! - Date.now()).toBeLessThanOrEqual(10);
    expect(rt.cursor('c1')).toBe(6);
  });

  it('a handshake refused for too many connections (4429) waits the retryAfter the server gave, with its message', async () => {
    const { rt, rec } = client({ backoff: { minMs: 10, maxMs: 1000, jitter: 0 } });
    rt.start();
    const ws = FakeSocket.all[0]!;
    ws.open();
    const message = 'too many open connections: this account may have 20 on this server; close another tab or device, or try again later';
    ws.push({ type: 'error', error: { code: 'rate_limited', message, details: { reason: 'too_many_connections', limit: 20, retryAfter: 10 } } });
    ws.drop(4429, 'too many connections for this user');
    expect(rt.state).toBe('offline');
    expect(rt.retryAt! - Date.now()).toBeGreaterThan(9_000);
    expect(rec.of('disconnected')[0]).toMatchObject({ code: 4429, message });
  });
});

describe('sending', () => {
  it('keeps at most maxInFlight sends unacked on the wire, oldest first', () => {
    const { rt } = client({ maxInFlight: 2 });
    const ws = connect(rt);
    const handles = [1, 2, 3, 4].map((i) => rt.send('c', `b${i}`));
    expect(ws.frames('message.send').map((f) => f.body)).toEqual(['b1', 'b2']);
    const first = ws.frames('message.send')[0]!;
    ws.push({ type: 'ack', id: first.id, message: stored('c', 1, handles[0]!.clientMsgId) });
    expect(ws.frames('message.send').map((f) => f.body)).toEqual(['b1', 'b2', 'b3']);
    expect(rt.pending().map((p) => p.body)).toEqual(['b2', 'b3', 'b4']);
  });

  it('a retryable error frame retries the same clientMsgId later; a final one rejects', async () => {
    const { rt, rec } = client();
    const ws = connect(rt);
    const a = rt.send('c', 'retry me', { replyTo: 'm0', attachmentIds: ['up1'] });
    const b = rt.send('c', 'refuse me');
    const [fa, fb] = ws.frames('message.send');
    expect(fa).toMatchObject({ conversationId: 'c', body: 'retry me', clientMsgId: a.clientMsgId, replyTo: 'm0', attachmentIds: ['up1'] });
    ws.push({ type: 'error', id: fa!.id, error: { code: 'rate_limited', message: 'slow down' } });
    ws.push({ type: 'error', id: fb!.id, error: { code: 'muted', message: 'you are muted' } });
    await expect(b.done).rejects.toMatchObject({ code: 'muted', status: 403 });
    expect(rt.pending()).toMatchObject([{ clientMsgId: a.clientMsgId, attempts: 1, lastError: { code: 'rate_limited' } }]);
    expect(rec.of('sendFailed').map((f) => f.clientMsgId)).toEqual([b.clientMsgId]);

    await waitFor(() => ws.frames('message.send').length === 3, 'the retry', 3000);
    const retry = ws.frames('message.send')[2]!;
    expect(retry.clientMsgId).toBe(a.clientMsgId);
    expect(retry.id).not.toBe(fa!.id);
    ws.push({ type: 'ack', id: retry.id, message: stored('c', 1, a.clientMsgId) });
    expect((await a.done).clientMsgId).toBe(a.clientMsgId);
  });

  it('an ack that never comes is asked for again on the same socket; a late duplicate ack is ignored', async () => {
    const { rt, rec } = client({ ackTimeoutMs: 50 });
    const ws = connect(rt);
    const { clientMsgId, done } = rt.send('c', 'hello');
    await waitFor(() => ws.frames('message.send').length === 2, 'a resend', 2000);
    const [first, second] = ws.frames('message.send');
    expect(second!.clientMsgId).toBe(clientMsgId);
    ws.push({ type: 'ack', id: second!.id, message: stored('c', 1, clientMsgId) });
    ws.push({ type: 'ack', id: first!.id, message: stored('c', 1, clientMsgId) });
    expect((await done).seq).toBe(1);
    expect(rec.of('ack')).toHaveLength(1);
  });

  it('sends wait for ready; reads are kept while offline (highest wins); typing is dropped', () => {
    const { rt } = client();
    rt.send('c', 'early');
    rt.read('c', 3);
    rt.read('c', 7);
    rt.read('c', 5);
    expect(rt.typing('c')).toBe(false);
    rt.start();
    const ws = FakeSocket.all[0]!;
    ws.open();
    expect(ws.sent.map((f) => f.type)).toEqual(['auth']);
    ws.push({ type: 'ready', user: USER, connectionId: 'c1', protocol: 1 });
    expect(ws.sent.map((f) => f.type)).toEqual(['auth', 'read', 'message.send']);
    expect(ws.frames('read')[0]).toEqual({ type: 'read', conversationId: 'c', seq: 7 });
    expect(rt.typing('c')).toBe(true);
  });

  it('cancel() rejects `done` with cancelled and stops retrying', async () => {
    const { rt } = client();
    const { clientMsgId, done } = rt.send('c', 'never mind');
    expect(rt.cancel(clientMsgId)).toBe(true);
    expect(rt.cancel(clientMsgId)).toBe(false);
    await expect(done).rejects.toMatchObject({ code: 'cancelled' });
    const ws = connect(rt);
    expect(ws.frames('message.send')).toEqual([]);
  });
});

describe('setup', () => {
  it('realtimeUrl maps http(s) base URLs to ws(s) under /api/v1/ws', () => {
    expect(realtimeUrl('http://127.0.0.1:3000')).toBe('ws://127.0.0.1:3000/api/v1/ws');
    expect(realtimeUrl('https://chat.example.org/parley/')).toBe('wss://chat.example.org/parley/api/v1/ws');
    expect(() => realtimeUrl('')).toThrow(TypeError); // no page origin in Node
  });

  it('needs a WebSocket constructor where there is no global one, and checks follow() arguments', () => {
    const hasGlobal = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
    if (!hasGlobal) expect(() => new ParleyRealtime({ url: 'ws://x', token: 't' })).toThrow(/WebSocket/);
    const { rt } = client();
    expect(() => rt.follow('', 1)).toThrow(TypeError);
    expect(() => rt.follow('c', -1)).toThrow(TypeError);
    expect(() => rt.follow('c', 1.5)).toThrow(TypeError);
    expect(rt.state).toBe('closed');
  });
});
