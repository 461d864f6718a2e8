/** Bugs found in review, each with the test that would have caught it. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { encodeCursor } from '../../src/core/cursor.js';
import { apiCaller, register } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

it('a public group shows no message to a visitor (history is members-only too)', async () => {
  const a = await register(t.app);
  const visitor = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'pub', visibility: 'public' })).json();
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'members only' });
  expect((await call('GET', `/groups/${g.id}`, visitor)).json().lastMessage).toBeNull();
  const listed = (await call('GET', '/groups?scope=public&limit=100', visitor)).json().groups as { id: string; lastMessage: unknown }[];
  expect(listed.find((x) => x.id === g.id)!.lastMessage).toBeNull();
  expect((await call('GET', `/groups/${g.id}`, a)).json().lastMessage.body).toBe('members only');
});

it('a NUL character in a WebSocket frame is an error frame, not a 500', async () => {
  const a = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'nul' })).json();
  const c = await WsClient.connect(t.wsUrl, a.token);
  c.send({ type: 'message.send', id: 'n1', conversationId: g.id, body: 'a\u0000b', clientMsgId: 'x' });
  const err = await c.next((f) => f.type === 'error');
  expect(err.error.code).toBe('validation_failed');
  expect((await c.request({ type: 'ping' })).type).toBe('pong');
  c.close();
});

it('forged cursors are 400, never 500', async () => {
  const a = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'cur' })).json();
  const forged = [
    `/groups?scope=public&cursor=${encodeCursor(['a', 'x'])}`,
    `/groups/${g.id}/members?cursor=${encodeCursor([new Date().toISOString(), 'x'])}`,
    `/conversations?cursor=${encodeCursor(['+275760-09-13T00:00:00.000Z', g.id])}`,
    `/search/messages?q=hello&cursor=${encodeCursor(['+275760-09-13T00:00:00.000Z', g.id])}`,
    `/users?cursor=${encodeCursor(['a\u0000'])}`,
  ];
  for (const url of forged) expect((await call('GET', url, a)).statusCode, url).toBe(400);
});

it('replaying a group deleted after a rename keeps every seq', async () => {
  const a = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'doomed' })).json();
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'hi' });
  await call('PATCH', `/groups/${g.id}`, a, { name: 'renamed' });
  await call('DELETE', `/groups/${g.id}`, a);
  const c = await WsClient.connect(t.wsUrl, a.token, { [g.id]: 0 });
  await c.next((f) => f.type === 'sync.done');
  expect(c.events(g.id).map((e) => [e.seq, e.type])).toEqual([
    [1, 'message.created'],
    [2, 'conversation.updated'],
    [3, 'conversation.deleted'],
  ]);
  c.close();
});

it('a member removed and added back does not receive, on the same connection, what was said while out', async () => {
  const a = await register(t.app);
  const b = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'out and back', memberIds: [b.user.id] })).json();
  // b's connection has the group in its baselines (it was a member at ready).
  const c = await WsClient.connect(t.wsUrl, b.token);
  await call('DELETE', `/groups/${g.id}/members/${b.user.id}`, a);
  await c.next((f) => f.type === 'member.left' && f.conversationId === g.id);
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'said while b was out' });
  await call('POST', `/groups/${g.id}/members`, a, { userId: b.user.id });
  const joined = await c.next((f) => f.type === 'member.joined' && f.conversationId === g.id);
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'said after b came back' });
  await c.next((f) => f.type === 'message.created' && f.message.body === 'said after b came back');
  const bodies = c.events(g.id).filter((e) => e.type === 'message.created').map((e) => e.message.body);
  expect(bodies).toEqual(['said after b came back']);
  expect(c.events(g.id).filter((e) => e.seq > (joined.seq as number)).length).toBe(1);
  c.close();
});

it('a frame dropped by the per-connection rate limit is named by its id in the error', async () => {
  const limited = await startTestServer({ RATE_LIMIT: 'on' });
  try {
    const a = await register(limited.app);
    const c = await WsClient.connect(limited.wsUrl, a.token);
    const sent = 300;
    for (let i = 0; i < sent; i++) c.send({ type: 'ping', id: `p${i}` });
    await c.next(() => c.frames.filter((f) => f.type === 'pong' || f.type === 'error').length >= sent, 10_000).catch(() => undefined);
    const refused = c.frames.filter((f) => f.type === 'error' && f.error.code === 'rate_limited');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((f) => typeof f.id === 'string' && /^p\d+$/.test(f.id))).toBe(true);
    const answered = new Set(c.frames.filter((f) => f.type === 'pong' || f.type === 'error').map((f) => f.id));
    expect(answered.size).toBe(sent);
    c.close();
  } finally {
    await limited.close();
  }
});

it('ready is the first frame even when an event arrives while the token is checked again', async () => {
  const a = await register(t.app);
  const b = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'early' })).json();
  await call('POST', `/groups/${g.id}/members`, a, { userId: b.user.id });
  // Hold the handshake between registering the socket and `ready` (the second token check).
  const accounts = (t.app as unknown as ParleyApp).services.accounts;
  const liveTokens = accounts.liveTokens.bind(accounts);
  let entered: () => void = () => {};
  const inCheck = new Promise<void>((r) => (entered = r));
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  accounts.liveTokens = async (hashes: readonly string[]) => {
    entered();
    await held;
    return liveTokens(hashes);
  };
  try {
    const c = await WsClient.open(t.wsUrl);
    c.send({ type: 'auth', token: a.token });
    await inCheck;
    // Meanwhile a member posts: the registered socket gets it live.
    await call('POST', `/conversations/${g.id}/messages`, b, { body: 'while you were connecting' });
    release();
    await c.next((f) => f.type === 'message.created');
    expect(c.frames[0]!.type).toBe('ready');
    c.close();
  } finally {
    accounts.liveTokens = liveTokens;
    release();
  }
});
