import { afterAll, beforeAll, expect, it } from 'vitest';
import { auth, uniqueName, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

// Every limit set through its RATE_LIMIT_* variable, small enough to reach in a few requests.
// (The defaults are checked in tests/unit/config.test.ts.)
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    RATE_LIMIT: 'on',
    RATE_LIMIT_REGISTER_PER_IP: '3/min',
    RATE_LIMIT_LOGIN_PER_IP: '6/min',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '4/min',
    RATE_LIMIT_SENDS_PER_USER: '4/min',
    RATE_LIMIT_FRAMES_PER_CONNECTION: '10/min,burst=20',
  });
});
afterAll(async () => t.close());

const post = (url: string, payload: object, ip = '10.0.0.1', headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, remoteAddress: ip, headers });

let nextIp = 0;
/** A user registered from an address of its own, so registrations do not use up one address's budget. */
async function account(): Promise<Account> {
  nextIp += 1;
  const res = await post('/auth/register', { username: uniqueName('s'), password: 'password123' }, `10.9.${nextIp >> 8}.${nextIp & 255}`);
  expect(res.statusCode).toBe(201);
  return res.json() as Account;
}

function expectRateLimited(res: { statusCode: number; headers: Record<string, unknown>; json(): { error: { code: string; details?: { retryAfter?: number } } } }): void {
  expect(res.statusCode).toBe(429);
  expect(res.json().error.code).toBe('rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.json().error.details?.retryAfter).toBe(retryAfter);
}

it('limits registrations per address (RATE_LIMIT_REGISTER_PER_IP): 429 rate_limited with Retry-After', async () => {
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) codes.push((await post('/auth/register', { username: uniqueName('r'), password: 'password123' })).statusCode);
  expect(codes).toEqual([201, 201, 201, 429]);
  const res = await post('/auth/register', { username: uniqueName('r'), password: 'password123' });
  expectRateLimited(res);
  // 3 a minute: the next one is about 20 s away.
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(20);
  // Another address is not affected.
  expect((await post('/auth/register', { username: uniqueName('r'), password: 'password123' }, '10.0.0.2')).statusCode).toBe(201);
});

it('limits password guesses per account, from any address (RATE_LIMIT_LOGIN_PER_ACCOUNT)', async () => {
  const username = uniqueName('victim');
  await post('/auth/register', { username, password: 'password123' }, '10.0.1.1');
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await post('/auth/login', { username, password: 'wrong-guess' }, `10.0.2.${i}`)).statusCode);
  expect(codes).toEqual([401, 401, 401, 401, 429]);
  // Even the right password, and the username in another case, wait their turn.
  const res = await post('/auth/login', { username: username.toUpperCase(), password: 'password123' }, '10.0.3.1');
  expectRateLimited(res);
});

it('limits login attempts per address over many accounts (RATE_LIMIT_LOGIN_PER_IP)', async () => {
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) codes.push((await post('/auth/login', { username: uniqueName('nobody'), password: 'wrong-guess' }, '10.0.4.1')).statusCode);
  expect(codes).toEqual([401, 401, 401, 401, 401, 401, 429]);
  expectRateLimited(await post('/auth/login', { username: uniqueName('nobody'), password: 'x-wrong-guess' }, '10.0.4.1'));
  expect((await post('/auth/login', { username: uniqueName('nobody'), password: 'wrong-guess' }, '10.0.4.2')).statusCode).toBe(401);
});

it('limits sends per user across REST and WebSocket together (RATE_LIMIT_SENDS_PER_USER)', async () => {
  const a = await account();
  const b = await account();
  const group = await t.app.inject({ method: 'POST', url: '/api/v1/groups', headers: auth(a.token), payload: { name: 'limits', memberIds: [b.user.id] } });
  const conversationId = group.json().id as string;
  const send = (who: Account, body: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/messages`, headers: auth(who.token), payload: { body } });

  expect((await send(a, 'rest 1')).statusCode).toBe(201);
  expect((await send(a, 'rest 2')).statusCode).toBe(201);
  const ws = await WsClient.connect(t.wsUrl, a.token);
  try {
    for (const n of [3, 4]) {
      const ack = await ws.request({ type: 'message.send', conversationId, body: `ws ${n}`, clientMsgId: `ws-${n}` });
      expect(ack.type).toBe('ack');
    }
    // The fifth in a minute, by either path, is refused and nothing is stored.
    const refused = await ws.request({ type: 'message.send', conversationId, body: 'ws 5', clientMsgId: 'ws-5' });
    expect(refused).toMatchObject({ type: 'error', error: { code: 'rate_limited' } });
    expect(refused.error.details.retryAfter).toBeGreaterThanOrEqual(1);
    expectRateLimited(await send(a, 'rest 5'));
    // The socket stays open and its other frames still work.
    expect((await ws.request({ type: 'ping' })).type).toBe('pong');
    expect(ws.closeCode).toBeNull();
  } finally {
    ws.close();
  }
  const history = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversationId}/messages`, headers: auth(b.token) });
  expect(history.json().messages.map((m: { body: string }) => m.body)).toEqual(['rest 1', 'rest 2', 'ws 3', 'ws 4']);
  // Another user has a budget of their own.
  expect((await send(b, 'from b')).statusCode).toBe(201);
});

it('limits frames per connection (RATE_LIMIT_FRAMES_PER_CONNECTION): the excess is refused by id, the socket stays open', async () => {
  const a = await account();
  const ws = await WsClient.connect(t.wsUrl, a.token);
  try {
    const sent = 30;
    for (let i = 0; i < sent; i++) ws.send({ type: 'ping', id: `p${i}` });
    await ws.next(() => ws.frames.filter((f) => f.type === 'pong' || f.type === 'error').length >= sent);
    const pongs = ws.frames.filter((f) => f.type === 'pong');
    const refused = ws.frames.filter((f) => f.type === 'error');
    // A burst of 20, then 10 a minute: none comes back within the test.
    expect(pongs.length).toBe(20);
    expect(refused.length).toBe(10);
    expect(refused.every((f) => f.error.code === 'rate_limited' && /^p\d+$/.test(f.id) && f.error.details.retryAfter >= 1)).toBe(true);
    expect(ws.closeCode).toBeNull();
    // Another connection of the same user counts its own frames.
    const other = await WsClient.connect(t.wsUrl, a.token);
    expect((await other.request({ type: 'ping' })).type).toBe('pong');
    other.close();
  } finally {
    ws.close();
  }
});
