/**
 * A group's history visibility (CONTRACT.md, decisions of 2026-12-04): by default a member added
 * later, or one who rejoins, reads the whole history, as in Slack and Mattermost; with
 * `historyVisibility: "joined"` members read from their own member.joined on, through every
 * way of reading: history, one message, its reactions, the events feed and a WebSocket sync,
 * search, pins, and the inbox's preview and counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { apiCaller, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
const call = apiCaller(() => t.app);
let owner: Account;
let late: Account;

beforeAll(async () => {
  t = await startTestServer();
  [owner, late] = await Promise.all([register(t.app), register(t.app)]);
}, 60_000);
afterAll(async () => t?.close());

const send = async (g: string, who: Account, body: string) => {
  const res = await call('POST', `/conversations/${g}/messages`, who, { body, clientMsgId: newId() });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; seq: number };
};

/** A group with three messages (the first pinned), then `late` added, then one more message. */
async function groupWithPast(historyVisibility?: 'all' | 'joined') {
  const res = await call('POST', '/groups', owner, { name: `past ${newId().slice(0, 8)}`, ...(historyVisibility ? { historyVisibility } : {}) });
  expect(res.statusCode, res.body).toBe(201);
  const g = res.json() as { id: string; historyVisibility: string };
  const before = [await send(g.id, owner, 'beforejoin alpha 加入之前'), await send(g.id, owner, 'beforejoin beta'), await send(g.id, owner, 'beforejoin gamma')];
  expect((await call('PUT', `/conversations/${g.id}/pins/${before[0]!.id}`, owner)).statusCode).toBe(204);
  expect((await call('POST', `/groups/${g.id}/members`, owner, { userId: late.user.id })).statusCode).toBe(201);
  const after = await send(g.id, owner, 'afterjoin delta 加入之后');
  return { g, before, after };
}

describe('history visibility', () => {
  it('is "all" by default: a member added later reads the whole history; direct conversations have none', async () => {
    const { g, before, after } = await groupWithPast();
    expect(g.historyVisibility).toBe('all');
    const history = (await call('GET', `/conversations/${g.id}/messages`, late)).json().messages as { id: string }[];
    expect(history.map((m) => m.id)).toEqual([...before, after].map((m) => m.id));
    expect((await call('GET', `/messages/${before[0]!.id}`, late)).statusCode).toBe(200);
    const direct = (await call('POST', '/conversations/direct', owner, { userId: late.user.id })).json();
    expect((direct.conversation ?? direct).historyVisibility).toBeNull();
  });

  it('"joined": every way of reading starts at the member\'s own member.joined', async () => {
    const { g, before, after } = await groupWithPast('joined');
    expect(g.historyVisibility).toBe('joined');
    // History: only what came after.
    const history = (await call('GET', `/conversations/${g.id}/messages`, late)).json();
    expect(history.messages.map((m: { id: string }) => m.id)).toEqual([after.id]);
    expect(history.hasMore).toBe(false);
    expect((await call('GET', `/conversations/${g.id}/messages?after=0`, late)).json().messages.map((m: { id: string }) => m.id)).toEqual([after.id]);
    // The owner (there from the start) still reads everything.
    expect((await call('GET', `/conversations/${g.id}/messages`, owner)).json().messages).toHaveLength(4);
    // One message, and reacting to it.
    expect((await call('GET', `/messages/${before[1]!.id}`, late)).statusCode).toBe(404);
    expect((await call('PUT', `/messages/${before[1]!.id}/reactions/${encodeURIComponent('👍')}`, late)).statusCode).toBe(404);
    expect((await call('GET', `/messages/${after.id}`, late)).statusCode).toBe(200);
    // The events feed starts at their own member.joined.
    const events = (await call('GET', `/conversations/${g.id}/events?after=0`, late)).json().events as { seq: number; type: string; member?: { userId: string } }[];
    expect(events[0]).toMatchObject({ type: 'member.joined' });
    expect(events.every((e) => e.seq > before[2]!.seq)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'message.created', seq: after.seq });
    // Search, pins, the inbox.
    const found = (q: string) => call('GET', `/search/messages?q=${encodeURIComponent(q)}&conversationId=${g.id}`, late).then((r) => r.json().messages as { id: string }[]);
    expect(await found('beforejoin')).toEqual([]);
    expect((await found('afterjoin')).map((m) => m.id)).toEqual([after.id]);
    expect((await call('GET', `/conversations/${g.id}/pins`, late)).json().pins).toEqual([]);
    const inbox = (await call('GET', '/conversations', late)).json().conversations as { id: string; unreadCount: number; lastMessage: { id: string } | null }[];
    expect(inbox.find((c) => c.id === g.id)).toMatchObject({ unreadCount: 1, lastMessage: { id: after.id } });

    // A WebSocket sync from the start replays from their member.joined on.
    const ws = await WsClient.connect(t.wsUrl, late.token);
    try {
      ws.send({ type: 'sync', id: 's1', cursors: { [g.id]: 0 } });
      await ws.next((f) => f.type === 'sync.done' && f.id === 's1');
      const replayed = ws.frames.filter((f) => f.conversationId === g.id && typeof f.seq === 'number') as unknown as { seq: number; type: string }[];
      expect(replayed[0]).toMatchObject({ type: 'member.joined' });
      expect(replayed.every((f) => f.seq > before[2]!.seq)).toBe(true);
      expect(replayed.at(-1)).toMatchObject({ seq: after.seq });
    } finally {
      ws.close();
    }
  });

  it('an admin may change it; it applies at once, is announced, and is checked', async () => {
    const { g, before } = await groupWithPast('joined');
    expect((await call('GET', `/conversations/${g.id}/messages`, late)).json().messages).toHaveLength(1);
    expect((await call('PATCH', `/groups/${g.id}`, late, { historyVisibility: 'all' })).statusCode).toBe(403);
    const bad = await call('PATCH', `/groups/${g.id}`, owner, { historyVisibility: 'members' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    const patched = await call('PATCH', `/groups/${g.id}`, owner, { historyVisibility: 'all' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().historyVisibility).toBe('all');
    expect((await call('GET', `/conversations/${g.id}/messages`, late)).json().messages).toHaveLength(4);
    expect((await call('GET', `/messages/${before[0]!.id}`, late)).statusCode).toBe(200);
    const events = (await call('GET', `/conversations/${g.id}/events?types=conversation.updated`, owner)).json().events as { changes?: unknown; conversation?: unknown }[];
    expect(JSON.stringify(events.at(-1))).toContain('"historyVisibility":"all"');
    expect((await call('POST', '/groups', owner, { name: 'bad', historyVisibility: 'none' })).statusCode).toBe(400);
  });
});
