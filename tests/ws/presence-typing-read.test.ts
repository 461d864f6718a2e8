/**
 * Ephemeral WebSocket frames (CONTRACT.md, "Server frames"): typing, read receipts and presence,
 * with real `ws` clients against a listening app.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LightMyRequestResponse } from 'fastify';
import { apiCaller, register, uniqueName, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';
import { sleep } from '../helpers/kit.js';

const API = '/api/v1';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const GRACE_MS = 200;

let t: TestServer;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await startTestServer({}, { presenceGraceMs: GRACE_MS });
});

afterEach(async () => {
  const open = clients.splice(0).filter((c) => c.ws.readyState === WebSocket.OPEN || c.ws.readyState === WebSocket.CONNECTING);
  for (const c of open) c.ws.terminate();
  await Promise.all(open.map((c) => c.closed));
});

afterAll(async () => {
  await t?.close();
});

const call = apiCaller(() => t.app);

async function ok<T = Frame>(res: Promise<LightMyRequestResponse>, status: number): Promise<T> {
  const r = await res;
  expect(r.statusCode, r.body).toBe(status);
  return (r.body ? r.json() : undefined) as T;
}

async function connect(who: Account, server: TestServer = t): Promise<WsClient> {
  const c = await WsClient.connect(server.wsUrl, who.token);
  clients.push(c);
  return c;
}

/** A ping round trip per client: whatever the server wrote to it before has arrived. */
async function flush(...cs: WsClient[]): Promise<void> {
  await Promise.all(cs.map((c) => c.request({ type: 'ping' })));
}

async function closeClient(c: WsClient): Promise<void> {
  c.close();
  await c.closed;
}

async function createGroup(owner: Account, members: Account[] = [], server: TestServer = t): Promise<string> {
  const g = await ok(apiCaller(() => server.app)('POST', '/groups', owner, { name: uniqueName('g'), memberIds: members.map((m) => m.user.id) }), 201);
  return g.id as string;
}

async function createDirect(a: Account, b: Account): Promise<string> {
  const c = await ok(call('POST', '/conversations/direct', a, { userId: b.user.id }), 201);
  return c.id as string;
}

async function post(who: Account, conversationId: string, body: string): Promise<Frame> {
  return ok(call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: randomUUID() }), 201);
}

async function login(who: Account): Promise<Account> {
  const r = await t.app.inject({ method: 'POST', url: `${API}/auth/login`, payload: { username: who.user.username, password: 'correct horse' } });
  expect(r.statusCode).toBe(200);
  return r.json() as Account;
}

const typingOf = (c: WsClient): Frame[] => c.frames.filter((f) => f.type === 'typing');
const readsOf = (c: WsClient): Frame[] => c.frames.filter((f) => f.type === 'read');
const presenceOf = (c: WsClient, userId: string): Frame[] => c.frames.filter((f) => f.type === 'presence' && f.userId === userId);

describe('typing', () => {
  it('sends typing to the other members only: not to the sender, not to non-members', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const c = await register(t.app);
    const outsider = await register(t.app);
    const group = await createGroup(a, [b, c]);
    const sa = await connect(a);
    const sb = await connect(b);
    const sc = await connect(c);
    const so = await connect(outsider);
    sa.send({ type: 'typing', conversationId: group });
    const expected = { type: 'typing', conversationId: group, userId: a.user.id };
    expect(await sb.next((f) => f.type === 'typing')).toEqual(expected);
    expect(await sc.next((f) => f.type === 'typing')).toEqual(expected);
    await flush(sa, sb, sc, so);
    expect(typingOf(sa)).toEqual([]);
    expect(typingOf(so)).toEqual([]);
    expect(typingOf(sb)).toHaveLength(1);
    expect(typingOf(sc)).toHaveLength(1);
  });

  it("answers typing in a conversation the sender isn't in with an error frame, and tells its members nothing", async () => {
    const a = await register(t.app);
    const outsider = await register(t.app);
    const group = await createGroup(a);
    const sa = await connect(a);
    const so = await connect(outsider);
    so.send({ type: 'typing', id: 'tt', conversationId: group });
    expect(await so.next((f) => f.id === 'tt')).toEqual({
      type: 'error',
      id: 'tt',
      error: expect.objectContaining({ code: 'not_found', message: expect.any(String) }),
    });
    so.send({ type: 'typing', id: 'tu', conversationId: randomUUID() });
    expect(await so.next((f) => f.id === 'tu')).toMatchObject({ type: 'error', error: { code: 'not_found' } });
    await flush(sa);
    expect(typingOf(sa)).toEqual([]);
    expect(so.closeCode).toBeNull();
  });

  it('rate-limits typing: a burst of 10 frames reaches the other members at most 3 times (RATE_LIMIT on)', async () => {
    const limited = await startTestServer({ RATE_LIMIT: 'on' }, {});
    try {
      const a = await register(limited.app);
      const b = await register(limited.app);
      const group = await createGroup(a, [b], limited);
      const sa = await connect(a, limited);
      const sb = await connect(b, limited);
      for (let i = 0; i < 10; i++) sa.send({ type: 'typing', conversationId: group });
      await sb.next((f) => f.type === 'typing');
      // Let whatever the burst let through arrive (each typing frame is a couple of queries).
      await sleep(300);
      await flush(sa, sb);
      const got = typingOf(sb);
      expect(got.length).toBeGreaterThanOrEqual(1);
      expect(got.length).toBeLessThanOrEqual(3);
      expect(got.every((f) => f.conversationId === group && f.userId === a.user.id)).toBe(true);
    } finally {
      for (const c of clients.splice(0)) c.ws.terminate();
      await limited.close();
    }
  });
});

describe('read', () => {
  it("moves lastReadSeq and tells the reader's other sockets, not the socket that sent it nor the group's other members", async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const c = await register(t.app);
    const group = await createGroup(a, [b, c]);
    for (const body of ['1', '2', '3']) await post(a, group, body);
    const sa = await connect(a);
    const b1 = await connect(b);
    const b2 = await connect(b);
    const b3 = await connect(await login(b));
    const sc = await connect(c);

    b1.send({ type: 'read', conversationId: group, seq: 2 });
    const expected = { type: 'read', conversationId: group, userId: b.user.id, lastReadSeq: 2 };
    expect(await b2.next((f) => f.type === 'read')).toEqual(expected);
    expect(await b3.next((f) => f.type === 'read')).toEqual(expected);
    await flush(b1, sa, sc);
    expect(readsOf(b1)).toEqual([]);
    expect(readsOf(sa)).toEqual([]);
    expect(readsOf(sc)).toEqual([]);
    const conv = await ok(call('GET', `/conversations/${group}`, b), 200);
    expect(conv.lastReadSeq).toBe(2);
    expect(conv.unreadCount).toBe(1);
  });

  it('sends a read receipt in a direct conversation to the peer', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const direct = await createDirect(a, b);
    await post(a, direct, 'first');
    await post(a, direct, 'second');
    const sa = await connect(a);
    const sb = await connect(b);
    sb.send({ type: 'read', conversationId: direct, seq: 2 });
    expect(await sa.next((f) => f.type === 'read')).toEqual({ type: 'read', conversationId: direct, userId: b.user.id, lastReadSeq: 2 });
    await flush(sb);
    expect(readsOf(sb)).toEqual([]);
    expect((await ok(call('GET', `/conversations/${direct}`, b), 200)).lastReadSeq).toBe(2);
  });

  it("tells every one of the reader's sockets of a REST POST /conversations/{id}/read, and not the group's other members", async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const group = await createGroup(a, [b]);
    await post(a, group, 'one');
    await post(a, group, 'two');
    const sa = await connect(a);
    const b1 = await connect(b);
    const b2 = await connect(b);
    await ok(call('POST', `/conversations/${group}/read`, b, { seq: 2 }), 204);
    const expected = { type: 'read', conversationId: group, userId: b.user.id, lastReadSeq: 2 };
    expect(await b1.next((f) => f.type === 'read')).toEqual(expected);
    expect(await b2.next((f) => f.type === 'read')).toEqual(expected);
    await flush(sa);
    expect(readsOf(sa)).toEqual([]);
  });
});

describe('presence', () => {
  it('announces online at a first socket to users who share a conversation, and to nobody else', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const stranger = await register(t.app);
    await createGroup(a, [b]);
    const sa = await connect(a);
    const ss = await connect(stranger);
    const sb = await connect(b);
    expect(await sa.next((f) => f.type === 'presence' && f.userId === b.user.id)).toEqual({
      type: 'presence',
      userId: b.user.id,
      online: true,
      lastSeenAt: null,
    });
    // A second socket of the same user is not news.
    const sb2 = await connect(b);
    await flush(sa, ss, sb, sb2);
    expect(presenceOf(ss, b.user.id)).toEqual([]);
    expect(presenceOf(sa, b.user.id)).toHaveLength(1);
  });

  it('announces offline with an ISO lastSeenAt once the last socket closes and the grace period passes; GET /users/{id} agrees', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    await createDirect(a, b);
    const sa = await connect(a);
    const b1 = await connect(b);
    const b2 = await connect(b);
    await sa.next((f) => f.type === 'presence' && f.userId === b.user.id && f.online === true);
    const online = await ok(call('GET', `/users/${b.user.id}`, a), 200);
    expect(online.online).toBe(true);

    await closeClient(b1);
    await closeClient(b2);
    const closedAt = Date.now();
    const offline = await sa.next((f) => f.type === 'presence' && f.userId === b.user.id && f.online === false, GRACE_MS + 3000);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(Object.keys(offline).sort()).toEqual(['lastSeenAt', 'online', 'type', 'userId']);
    expect(offline.lastSeenAt).toMatch(ISO);
    expect(Math.abs(Date.parse(offline.lastSeenAt) - Date.now())).toBeLessThan(10_000);
    expect(presenceOf(sa, b.user.id).map((f) => f.online)).toEqual([true, false]);

    const after = await ok(call('GET', `/users/${b.user.id}`, a), 200);
    expect(after.online).toBe(false);
    expect(after.lastSeenAt).toBe(offline.lastSeenAt);
  });

  it('sends no offline (and no second online) when a user reconnects within the grace period', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    await createGroup(b, [a]);
    const sa = await connect(a);
    const first = await connect(b);
    await sa.next((f) => f.type === 'presence' && f.userId === b.user.id && f.online === true);
    await closeClient(first);
    const back = await connect(b);
    // Past the grace period of the first close: nothing may have been said.
    await sleep(2 * GRACE_MS);
    await flush(sa);
    expect(presenceOf(sa, b.user.id).map((f) => f.online)).toEqual([true]);
    expect((await ok(call('GET', `/users/${b.user.id}`, a), 200)).online).toBe(true);
    // Leaving for good is announced once.
    await closeClient(back);
    await sa.next((f) => f.type === 'presence' && f.userId === b.user.id && f.online === false, GRACE_MS + 3000);
    await flush(sa);
    expect(presenceOf(sa, b.user.id).map((f) => f.online)).toEqual([true, false]);
  });
});

describe('profile changes', () => {
  it("a new display name or avatar reaches co-members and the user's other devices at once (user.updated); strangers hear nothing", async () => {
    const [a, b, stranger] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    await createGroup(a, [b]);
    const [otherDevice, sb, ss] = await Promise.all([connect(a), connect(b), connect(stranger)]);
    const me = await ok<{ displayName: string }>(call('PATCH', '/users/me', a, { displayName: '新名字 New name ✨' }), 200);
    expect(me.displayName).toBe('新名字 New name ✨');
    for (const c of [otherDevice, sb]) {
      const f = await c.next((x) => x.type === 'user.updated');
      expect(f.user).toMatchObject({ id: a.user.id, username: a.user.username, displayName: '新名字 New name ✨', avatarUrl: null });
      expect(f.user).not.toHaveProperty('email');
    }
    await flush(ss, sb);
    expect(ss.frames.filter((f) => f.type === 'user.updated')).toEqual([]);
    // An empty patch changes nothing and tells no one.
    await ok(call('PATCH', '/users/me', a, {}), 200);
    await flush(sb);
    expect(sb.frames.filter((f) => f.type === 'user.updated')).toHaveLength(1);
  });
});

describe('new groups', () => {
  it('every founding member\'s open connections (the creator\'s other devices too) get conversation.created at once; others hear nothing', async () => {
    const [a, b, c, stranger] = await Promise.all([register(t.app), register(t.app), register(t.app), register(t.app)]);
    const [otherDevice, sb, sc, ss] = await Promise.all([connect(a), connect(b), connect(c), connect(stranger)]);
    const id = await createGroup(a, [b, c]);
    for (const s of [otherDevice, sb, sc]) {
      const f = await s.next((x) => x.type === 'conversation.created');
      expect(f).not.toHaveProperty('seq');
      expect(f.conversation).toMatchObject({ id, kind: 'group', lastSeq: 0, unreadCount: 0, mentionCount: 0, lastReadSeq: 0 });
    }
    await flush(ss);
    expect(ss.frames.filter((f) => f.type === 'conversation.created')).toEqual([]);
    // The group's first event then reaches the founders live, without a sync.
    await ok(call('POST', `/conversations/${id}/messages`, a, { body: 'first' }), 201);
    const first = await sb.next((x) => x.type === 'message.created' && x.conversationId === id);
    expect(first.seq).toBe(1);
  });
});
