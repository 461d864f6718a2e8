/**
 * One case-folding rule for usernames (src/core/username.ts): the per-account login limit and the
 * account look-up agree however a name is spelt (issue 26.5: "İ", U+0130, gave each "i" of a name
 * another login budget, since the limiter folded with toLowerCase() and the database with lower()).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auth, uniqueName } from '../helpers/app.js';
import { startTestServer, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_PER_IP: 'off', RATE_LIMIT_REGISTER_PER_IP: 'off', RATE_LIMIT_LOGIN_PER_ACCOUNT: '3/min' });
});
afterAll(async () => t.close());

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers });

it('counts every case of a name against one login budget; a spelling with "İ" finds no account, so adds none', async () => {
  const username = uniqueName('iii');
  expect((await post('/auth/register', { username, password: 'password123' })).statusCode).toBe(201);
  const dotted = username.replaceAll('i', '\u0130');
  // Before: 401 (a budget of its own) or even 200 where the database's lower() folds "İ" to "i".
  expect((await post('/auth/login', { username: dotted, password: 'password123' })).statusCode).toBe(401);
  const codes: number[] = [];
  for (const s of [username, username.toUpperCase(), username.replace('i', 'I')]) {
    codes.push((await post('/auth/login', { username: s, password: 'wrong-guess' })).statusCode);
  }
  expect(codes).toEqual([401, 401, 401]);
  // The budget is the account's, whatever the case: the right password waits too.
  expect((await post('/auth/login', { username: username.toUpperCase(), password: 'password123' })).statusCode).toBe(429);
  expect((await post('/auth/login', { username: dotted, password: 'password123' })).statusCode).toBe(401);
});

it('signs in with the name in any ASCII case, never through a look-alike character', async () => {
  const username = `kate_${uniqueName('i')}`;
  expect((await post('/auth/register', { username, password: 'password123' })).statusCode).toBe(201);
  expect((await post('/auth/login', { username: username.toUpperCase(), password: 'password123' })).statusCode).toBe(200);
  // U+0130 for "i" and U+212A KELVIN SIGN for "k": the database's lower() may fold them to ASCII; the rule does not.
  for (const spoof of [username.replace('i', '\u0130'), username.replace('k', '\u212a')]) {
    const res = await post('/auth/login', { username: spoof, password: 'password123' });
    expect(res.statusCode, spoof).toBe(401);
    expect(res.json().error.code).toBe('invalid_credentials');
  }
});

it('mentions find users by the same rule', async () => {
  const bob = `bi_${uniqueName('m')}`;
  const alice = (await post('/auth/register', { username: uniqueName('a'), password: 'password123' })).json();
  const b = (await post('/auth/register', { username: bob, password: 'password123' })).json();
  const g = (await post('/groups', { name: 'fold' }, auth(alice.token))).json();
  expect((await post(`/groups/${g.id}/members`, { userId: b.user.id }, auth(alice.token))).statusCode).toBeLessThan(300);
  const m = (await post(`/conversations/${g.id}/messages`, { body: `hi @${bob.toUpperCase()} and @${bob.replace('i', '\u0130')}` }, auth(alice.token))).json();
  expect(m.mentions).toEqual([b.user.id]);
});
