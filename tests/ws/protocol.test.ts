/**
 * The WebSocket gateway (CONTRACT.md, "WebSocket"): handshake, logout, fan-out of REST events,
 * membership changes, message.send, bad frames, ping, heartbeats and shutdown, with real `ws`
 * clients against a listening app.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LightMyRequestResponse } from 'fastify';
import type { ParleyApp } from '../../src/app.js';
import { apiCaller, register, uniqueName, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';

const API = '/api/v1';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const USER_KEYS = ['avatarUrl', 'bot', 'createdAt', 'displayName', 'id', 'lastSeenAt', 'online', 'siteAdmin', 'username'];
const PER_VIEWER_KEYS = ['unreadCount', 'mentionCount', 'lastReadSeq', 'peer', 'me', 'notifyLevel', 'muted'];
const AUTH_TIMEOUT_MS = 1000;
const HEARTBEAT_MS = 200;

let t: TestServer;
const clients: WsClient[] = [];

beforeAll(async () => {
  // The heartbeat keeps its default here: a short one would reap healthy sockets whenever the
  // test process (server and clients share its event loop) stalls for longer than an interval.
  t = await startTestServer({}, { gateway: { authTimeoutMs: AUTH_TIMEOUT_MS }, presenceGraceMs: 200 });
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

async function connect(who: Account | string): Promise<WsClient> {
  const c = await WsClient.connect(t.wsUrl, typeof who === 'string' ? who : who.token);
  clients.push(c);
  return c;
}

async function openRaw(url = t.wsUrl, options?: WebSocket.ClientOptions): Promise<WsClient> {
  const ws = new WebSocket(url, options);
  const c = new WsClient(ws);
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return c;
}

/** Resolves with the close code, or rejects when the socket is still open after timeoutMs. */
function closedWithin(c: WsClient, timeoutMs: number): Promise<number> {
  return Promise.race([
    c.closed,
    new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs)),
  ]);
}

/**
 * A ping round trip on each client: every frame the server wrote before it (e.g. the events of a
 * REST call that has returned) has arrived by the time the pong does.
 */
async function flush(...cs: WsClient[]): Promise<void> {
  await Promise.all(cs.map((c) => c.request({ type: 'ping' })));
}

async function createGroup(owner: Account, members: Account[] = [], extra: object = {}): Promise<string> {
  const g = await ok(call('POST', '/groups', owner, { name: uniqueName('g'), memberIds: members.map((m) => m.user.id), ...extra }), 201);
  return g.id as string;
}

async function post(who: Account, conversationId: string, body: string): Promise<Frame> {
  return ok(call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: randomUUID() }), 201);
}

async function login(who: Account): Promise<Account> {
  const r = await t.app.inject({ method: 'POST', url: `${API}/auth/login`, payload: { username: who.user.username, password: 'correct horse' } });
  expect(r.statusCode).toBe(200);
  return r.json() as Account;
}

function keysDeep(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) keysDeep(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysDeep(v, out);
    }
  }
  return out;
}

function expectUser(u: unknown, id: string): void {
  expect(Object.keys(u as object).sort()).toEqual(USER_KEYS);
  expect((u as { id: string }).id).toBe(id);
}

const eventsOf = (c: WsClient, conversationId: string, type?: string): Frame[] =>
  c.events(conversationId).filter((f) => !type || f.type === type);

describe('handshake', () => {
  it('answers a valid auth frame with ready holding exactly type, the User, a connectionId, protocol 1 and the server release', async () => {
    const a = await register(t.app);
    const c = await openRaw();
    c.send({ type: 'auth', token: a.token });
    const ready = await c.next((f) => f.type === 'ready');
    expect(Object.keys(ready).sort()).toEqual(['connectionId', 'minProtocol', 'protocol', 'serverVersion', 'type', 'user']);
    expect(ready.protocol).toBe(1);
    expect(ready.minProtocol).toBe(1);
    expect(ready.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof ready.connectionId).toBe('string');
    expect(ready.connectionId.length).toBeGreaterThan(0);
    expectUser(ready.user, a.user.id);
    // GET /users/me adds the caller's own e-mail, language and theme (a Me); ready carries the User.
    const { email: _email, locale: _locale, theme: _theme, ...me } = await ok(call('GET', '/users/me', a), 200);
    expect(ready.user).toEqual(me);
    const other = await connect(a);
    expect(other.frames[0]!.connectionId).not.toBe(ready.connectionId);
  });

  it('closes with 4401 when no auth frame arrives within the auth timeout', async () => {
    const c = await openRaw();
    const started = Date.now();
    expect(await closedWithin(c, AUTH_TIMEOUT_MS + 2000)).toBe(4401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 50);
    expect(c.frames).toEqual([]);
  });

  it('closes with 4401 on an unknown token', async () => {
    const c = await openRaw();
    c.send({ type: 'auth', token: 'not-a-token' });
    expect(await closedWithin(c, 3000)).toBe(4401);
    expect(c.frames.filter((f) => f.type === 'ready')).toEqual([]);
  });

  it('closes with 4401 on a token revoked by POST /auth/logout', async () => {
    const a = await register(t.app);
    await ok(call('POST', '/auth/logout', a), 204);
    const c = await openRaw();
    c.send({ type: 'auth', token: a.token });
    expect(await closedWithin(c, 3000)).toBe(4401);
    expect(c.frames.filter((f) => f.type === 'ready')).toEqual([]);
  });

  it('closes with 4401 when the first frame is not auth, even with a valid token in it', async () => {
    const a = await register(t.app);
    const c = await openRaw();
    c.send({ type: 'ping', id: 'p', token: a.token });
    expect(await closedWithin(c, 3000)).toBe(4401);
    expect(c.frames).toEqual([]);
  });
  // 4401 tells a client its token is dead (it stops retrying): never for anything else.
  it('closes with 1008, not 4401, on an auth frame with more cursors than a frame may carry', async () => {
    const a = await register(t.app);
    const c = await openRaw();
    const cursors = Object.fromEntries(Array.from({ length: 501 }, () => [randomUUID(), 0]));
    c.send({ type: 'auth', token: a.token, cursors });
    expect(await closedWithin(c, 3000)).toBe(1008);
    expect(c.closeReason).toContain('500');
  });

  it('closes with 1013 (try again later), not 4401, when the token cannot be checked', async () => {
    const a = await register(t.app);
    const accounts = (t.app as ParleyApp).services.accounts;
    const original = accounts.authenticate.bind(accounts);
    accounts.authenticate = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    try {
      const c = await openRaw();
      c.send({ type: 'auth', token: a.token });
      expect(await closedWithin(c, 3000)).toBe(1013);
    } finally {
      accounts.authenticate = original;
    }
    expect((await connect(a)).frames[0]!.type).toBe('ready');
  });
});

describe('logout', () => {
  it("closes that token's open sockets with 4401 and leaves the same user's other token's socket open", async () => {
    const a = await register(t.app);
    const second = await login(a);
    const other = await register(t.app);
    const group = await createGroup(other, [a]);
    const s1a = await connect(a);
    const s1b = await connect(a);
    const s2 = await connect(second);
    await ok(call('POST', '/auth/logout', a), 204);
    expect(await closedWithin(s1a, 3000)).toBe(4401);
    expect(await closedWithin(s1b, 3000)).toBe(4401);
    // The other token's socket is open and still served.
    expect(await s2.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await post(other, group, 'after logout');
    await s2.next((f) => f.type === 'message.created' && f.conversationId === group);
    expect(s2.closeCode).toBeNull();
  });
});

describe('delivery', () => {
  it("delivers every event once to each of a user's several sockets", async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const bSecond = await login(b);
    const group = await createGroup(a, [b]);
    const socks = [await connect(b), await connect(b), await connect(bSecond), await connect(a)];
    for (const body of ['one', 'two', 'three']) await post(a, group, body);
    await flush(...socks);
    for (const s of socks) {
      expect(eventsOf(s, group).map((f) => [f.type, f.seq, f.message?.body])).toEqual([
        ['message.created', 1, 'one'],
        ['message.created', 2, 'two'],
        ['message.created', 3, 'three'],
      ]);
    }
  });

  it('delivers every kind of REST-made conversation event to members with the contract shapes and no per-viewer fields', async () => {
    const owner = await register(t.app);
    const b = await register(t.app);
    const c = await register(t.app);
    const group = await createGroup(owner, [b]);
    const watcher = await connect(b);

    const msg = await post(owner, group, 'hello 你好 👋');
    const edited = await ok(call('PATCH', `/messages/${msg.id}`, owner, { body: 'edited 改' }), 200);
    await ok(call('DELETE', `/messages/${msg.id}`, owner), 204);
    await ok(call('POST', `/groups/${group}/members`, owner, { userId: c.user.id }), 201);
    await ok(call('PATCH', `/groups/${group}/members/${c.user.id}`, owner, { role: 'admin' }), 200);
    await ok(call('DELETE', `/groups/${group}/members/${c.user.id}`, c), 204);
    const patched = await ok(call('PATCH', `/groups/${group}`, owner, { name: 'renamed 群' }), 200);
    await ok(call('DELETE', `/groups/${group}`, owner), 204);
    await flush(watcher);

    const evs = eventsOf(watcher, group);
    expect(evs.map((e) => [e.type, e.seq])).toEqual([
      ['message.created', 1],
      ['message.updated', 2],
      ['message.deleted', 3],
      ['member.joined', 4],
      ['member.updated', 5],
      ['member.left', 6],
      ['conversation.updated', 7],
      ['conversation.deleted', 8],
    ]);
    for (const e of evs) {
      expect(e.conversationId).toBe(group);
      expect(e.createdAt).toMatch(ISO);
      expect(keysDeep(e).filter((k) => PER_VIEWER_KEYS.includes(k))).toEqual([]);
    }
    const [created, updated, deleted, joined, memberUpdated, left, convUpdated, convDeleted] = evs as Frame[];
    expect(created!.message).toEqual(msg);
    expect(updated!.message).toEqual(edited);
    expect(updated!.message.body).toBe('edited 改');
    expect(deleted!.messageId).toBe(msg.id);
    for (const [e, role] of [[joined!, 'member'], [memberUpdated!, 'admin'], [left!, 'admin']] as const) {
      expect(Object.keys(e.member).sort()).toEqual(['addedBy', 'joinedAt', 'mutedUntil', 'role', 'user']);
      expectUser(e.member.user, c.user.id);
      expect(e.member.role).toBe(role);
      expect(e.member.joinedAt).toMatch(ISO);
    }
    const { unreadCount: _u, mentionCount: _m, lastReadSeq: _l, peer: _p, notifyLevel: _n, muted: _mu, ...shared } = patched;
    expect(Object.keys(convUpdated!.conversation)).not.toContain('notifyLevel');
    expect(convUpdated!.conversation).toMatchObject({ ...shared, lastSeq: 7 });
    expect(convUpdated!.conversation.name).toBe('renamed 群');
    expect(Object.keys(convDeleted!).sort()).toEqual(['conversationId', 'createdAt', 'seq', 'type']);
  });

  it('starts delivering a group to a user the moment they are added (from member.joined on), without reconnecting', async () => {
    const owner = await register(t.app);
    const newcomer = await register(t.app);
    const group = await createGroup(owner);
    const s = await connect(newcomer);
    await post(owner, group, 'before joining');
    await ok(call('POST', `/groups/${group}/members`, owner, { userId: newcomer.user.id }), 201);
    await s.next((f) => f.type === 'member.joined' && f.conversationId === group);
    await post(owner, group, 'after joining');
    await s.next((f) => f.type === 'message.created' && f.conversationId === group);
    await flush(s);
    expect(eventsOf(s, group).map((f) => [f.type, f.seq])).toEqual([
      ['member.joined', 2],
      ['message.created', 3],
    ]);
    expect(eventsOf(s, group)[1]!.message.body).toBe('after joining');
  });

  it('sends a removed member its member.left and then nothing more from that group', async () => {
    const owner = await register(t.app);
    const b = await register(t.app);
    const stays = await register(t.app);
    const group = await createGroup(owner, [b, stays]);
    const sb = await connect(b);
    const sStays = await connect(stays);
    await ok(call('DELETE', `/groups/${group}/members/${b.user.id}`, owner), 204);
    const left = await sb.next((f) => f.type === 'member.left' && f.conversationId === group);
    expect(left.member.user.id).toBe(b.user.id);
    await post(owner, group, 'after removal');
    await ok(call('PATCH', `/groups/${group}`, owner, { name: 'renamed after removal' }), 200);
    await sStays.next((f) => f.type === 'conversation.updated' && f.conversationId === group);
    await flush(sb);
    expect(eventsOf(sb, group).map((f) => [f.type, f.seq])).toEqual([['member.left', 1]]);
    expect(eventsOf(sStays, group).map((f) => f.type)).toEqual(['member.left', 'message.created', 'conversation.updated']);
  });
});

describe('message.send', () => {
  it('acks with the stored Message only after commit: GET /messages/{id} finds it right after the ack', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const group = await createGroup(a, [b]);
    const sa = await connect(a);
    const sb = await connect(b);
    const clientMsgId = randomUUID();
    const ack = await sa.request({ type: 'message.send', conversationId: group, body: '  hi 你好  ', clientMsgId });
    expect(ack.type).toBe('ack');
    expect(ack.message).toMatchObject({ conversationId: group, seq: 1, senderId: a.user.id, clientMsgId, body: 'hi 你好', deletedAt: null });
    const stored = await ok(call('GET', `/messages/${ack.message.id}`, b), 200);
    expect(ack.message).toEqual(stored);
    const ev = await sb.next((f) => f.type === 'message.created' && f.conversationId === group);
    expect(ev.message).toEqual(stored);
  });

  it('acks a repeat of a clientMsgId with the same stored message and creates no second event', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const group = await createGroup(a, [b]);
    const sa = await connect(a);
    const sb = await connect(b);
    const clientMsgId = randomUUID();
    const first = await sa.request({ type: 'message.send', conversationId: group, body: 'first', clientMsgId });
    const again = await sa.request({ type: 'message.send', conversationId: group, body: 'a different body', clientMsgId });
    expect(first.type).toBe('ack');
    expect(again).toMatchObject({ type: 'ack', message: first.message });
    expect(again.message.body).toBe('first');
    await flush(sa, sb);
    expect(eventsOf(sb, group).map((f) => [f.type, f.seq])).toEqual([['message.created', 1]]);
    expect(eventsOf(sa, group).map((f) => [f.type, f.seq])).toEqual([['message.created', 1]]);
    const feed = await ok(call('GET', `/conversations/${group}/events?after=0`, b), 200);
    expect(feed.events).toHaveLength(1);
  });

  it('answers failed sends with error frames echoing the id: non-member not_found, empty body or missing clientMsgId validation_failed', async () => {
    const a = await register(t.app);
    const outsider = await register(t.app);
    const group = await createGroup(a);
    const sa = await connect(a);
    const so = await connect(outsider);

    so.send({ type: 'message.send', id: 'nm', conversationId: group, body: 'let me in', clientMsgId: randomUUID() });
    sa.send({ type: 'message.send', id: 'empty', conversationId: group, body: '   ', clientMsgId: randomUUID() });
    sa.send({ type: 'message.send', id: 7, conversationId: group, body: 'no clientMsgId' });
    sa.send({ type: 'message.send', id: 'nc', conversationId: randomUUID(), body: 'nowhere', clientMsgId: randomUUID() });
    const shape = (id: string | number, code: string): Frame => ({ type: 'error', id, error: expect.objectContaining({ code, message: expect.any(String) }) });
    expect(await so.next((f) => f.id === 'nm')).toEqual(shape('nm', 'not_found'));
    expect(await sa.next((f) => f.id === 'empty')).toEqual(shape('empty', 'validation_failed'));
    expect(await sa.next((f) => f.id === 7)).toEqual(shape(7, 'validation_failed'));
    expect(await sa.next((f) => f.id === 'nc')).toEqual(shape('nc', 'not_found'));
    await flush(sa);
    expect(eventsOf(sa, group)).toEqual([]);
    expect((await ok(call('GET', `/conversations/${group}`, a), 200)).lastSeq).toBe(0);
  });
});

describe('frames', () => {
  it('answers non-JSON text, a JSON array, an unknown type and a binary frame with error frames and keeps the connection open', async () => {
    const a = await register(t.app);
    const s = await connect(a);
    const errorsBefore = () => s.frames.filter((f) => f.type === 'error').length;

    s.send('this is {not json');
    await s.next((f) => f.type === 'error');
    s.send('[1,2,3]');
    await s.next(() => errorsBefore() >= 2);
    s.send({ type: 'no.such.frame', id: 'u1' });
    expect(await s.next((f) => f.id === 'u1')).toMatchObject({ type: 'error', id: 'u1', error: { code: 'validation_failed', message: expect.any(String) } });
    s.ws.send(Buffer.from(JSON.stringify({ type: 'ping', id: 'bin' })), { binary: true });
    await s.next(() => errorsBefore() >= 4);

    const errors = s.frames.filter((f) => f.type === 'error');
    expect(errors).toHaveLength(4);
    for (const e of errors) expect(e.error).toMatchObject({ code: 'validation_failed', message: expect.any(String) });
    expect(s.frames.some((f) => f.type === 'pong')).toBe(false);
    expect(await s.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(s.closeCode).toBeNull();
  });

  it('closes with 1009 on a frame over 64 KiB, and serves a frame of exactly 64 KiB', async () => {
    const a = await register(t.app);
    const s = await connect(a);
    const skeleton = JSON.stringify({ type: 'ping', id: 'big', pad: '' });
    const exact = JSON.stringify({ type: 'ping', id: 'big', pad: 'x'.repeat(64 * 1024 - skeleton.length) });
    expect(Buffer.byteLength(exact)).toBe(64 * 1024);
    s.send(exact);
    expect(await s.next((f) => f.id === 'big')).toEqual({ type: 'pong', id: 'big' });
    s.send(JSON.stringify({ type: 'ping', id: 'too-big', pad: 'x'.repeat(64 * 1024) }));
    expect(await closedWithin(s, 3000)).toBe(1009);
  });

  it('answers ping with pong echoing the id', async () => {
    const a = await register(t.app);
    const s = await connect(a);
    s.send({ type: 'ping', id: 'abc' });
    expect(await s.next((f) => f.id === 'abc')).toEqual({ type: 'pong', id: 'abc' });
    s.send({ type: 'ping', id: 42 });
    expect(await s.next((f) => f.id === 42)).toEqual({ type: 'pong', id: 42 });
  });
});

describe('heartbeat and shutdown', () => {
  it("closes a socket that doesn't answer WebSocket pings within about two heartbeat intervals, and keeps a normal one", async () => {
    // A server of its own with a short heartbeat, idle but for these two sockets.
    const hb = await startTestServer({}, { gateway: { heartbeatMs: HEARTBEAT_MS } });
    try {
      const a = await register(hb.app);
      const normal = await WsClient.connect(hb.wsUrl, a.token);
      clients.push(normal);
      const silent = await openRaw(hb.wsUrl, { autoPong: false });
      silent.send({ type: 'auth', token: a.token });
      await silent.next((f) => f.type === 'ready');
      const started = Date.now();
      await closedWithin(silent, 2 * HEARTBEAT_MS + 400);
      expect(Date.now() - started).toBeLessThanOrEqual(2 * HEARTBEAT_MS + 400);
      // Three more heartbeats later, the client that answers pings is still served.
      await new Promise((r) => setTimeout(r, 3 * HEARTBEAT_MS));
      expect(await normal.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
      expect(normal.closeCode).toBeNull();
    } finally {
      for (const c of clients.splice(0)) c.ws.terminate();
      await hb.close();
    }
  });

  it('closes open sockets with 1001 when the app closes', async () => {
    const t2 = await startTestServer();
    try {
      const a = await register(t2.app);
      const s1 = await WsClient.connect(t2.wsUrl, a.token);
      const s2 = await WsClient.connect(t2.wsUrl, a.token);
      await t2.app.close();
      expect(await closedWithin(s1, 3000)).toBe(1001);
      expect(await closedWithin(s2, 3000)).toBe(1001);
    } finally {
      await t2.close();
    }
  });
});
