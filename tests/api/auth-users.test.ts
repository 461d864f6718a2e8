/**
 * Foundation REST rows for accounts: register, login, logout, the bearer token, /users/me,
 * /users/{id} and the user search, plus the generic handling of bad input (CONTRACT.md).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { User } from '../../src/protocol/index.js';
import { apiCaller, auth, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/kit.js';

const USER_KEYS = ['avatarUrl', 'bot', 'createdAt', 'displayName', 'id', 'lastSeenAt', 'online', 'siteAdmin', 'username'];
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const PASSWORD = 'correct horse';

let testApp: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  testApp = await startTestApp();
  app = testApp.app;
});

afterAll(async () => {
  await testApp?.close();
});

const call = apiCaller(() => app);

function expectUserShape(user: User): void {
  expect(Object.keys(user).sort()).toEqual(USER_KEYS);
  expect(typeof user.id).toBe('string');
  expect(user.id.length).toBeGreaterThan(0);
  expect(user.avatarUrl).toBeNull();
  expect(user.createdAt).toMatch(ISO_WITH_ZONE);
  expect(Number.isNaN(Date.parse(user.createdAt))).toBe(false);
  expect(user.online).toBe(false);
  if (user.lastSeenAt !== null) expect(user.lastSeenAt).toMatch(ISO_WITH_ZONE);
}

function registerRaw(payload: unknown): Promise<LightMyRequestResponse> {
  return call('POST', '/auth/register', undefined, payload);
}

/** Runs `fn` over `items`, at most `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

/** Follows nextCursor from the first page and returns every page's users. */
async function allUserPages(token: string, query: string): Promise<User[][]> {
  const pages: User[][] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/users?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = await call('GET', url, token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { users: User[]; nextCursor: string | null };
    expect(Object.keys(body).sort()).toEqual(['nextCursor', 'users']);
    pages.push(body.users);
    cursor = body.nextCursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor !== null);
  return pages;
}

describe('POST /auth/register', () => {
  it('returns 201 {user, token} with the exact User shape and displayName defaulting to the username', async () => {
    const username = uniqueName('reg');
    const res = await registerRaw({ username, password: PASSWORD });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { user: User; token: string };
    expect(Object.keys(body).sort()).toEqual(['token', 'user']);
    expect(typeof body.token).toBe('string');
    expect(body.token.length).toBeGreaterThan(0);
    expectUserShape(body.user);
    expect(body.user.username).toBe(username);
    expect(body.user.displayName).toBe(username);
  });

  it('issues a token that authenticates GET /users/me as the new user', async () => {
    const account = await register(app);
    const res = await call('GET', '/users/me', account.token);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as User).id).toBe(account.user.id);
  });

  it('stores an explicit displayName', async () => {
    const res = await registerRaw({ username: uniqueName('dn'), password: PASSWORD, displayName: 'Ada Lovelace' });
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as { user: User }).user.displayName).toBe('Ada Lovelace');
  });

  it('round-trips Chinese, emoji and astral characters in displayName unchanged', async () => {
    const displayName = '张伟 🎉 𠀀';
    const res = await registerRaw({ username: uniqueName('zh'), password: PASSWORD, displayName });
    expect(res.statusCode, res.body).toBe(201);
    const { user, token } = res.json() as { user: User; token: string };
    expect(user.displayName).toBe(displayName);
    const me = await call('GET', '/users/me', token);
    expect((me.json() as User).displayName).toBe(displayName);
    const other = await register(app);
    const byId = await call('GET', `/users/${user.id}`, other.token);
    expect((byId.json() as User).displayName).toBe(displayName);
  });

  it('accepts usernames of 3 and 32 characters using every allowed symbol class', async () => {
    const hex = uniqueName('').replace(/[^A-Za-z0-9]/g, '');
    const three = `Z${hex.slice(-2)}`;
    const longName = `A.b-C_${hex}`.padEnd(32, 'x');
    expect([three.length, longName.length]).toEqual([3, 32]);
    for (const username of [three, longName]) {
      const res = await registerRaw({ username, password: PASSWORD });
      expect(res.statusCode, `${username}: ${res.body}`).toBe(201);
      expect((res.json() as { user: User }).user.username).toBe(username);
    }
  });

  it.each([
    ['2 characters', 'ab'],
    ['33 characters', 'a'.repeat(33)],
    ['a space', 'has space'],
    ['an @', 'user@example'],
    ['non-ASCII letters', '张伟伟伟'],
    ['a slash', 'a/bcd'],
    ['an empty string', ''],
  ])('rejects a username with %s as 400 validation_failed', async (_label, username) => {
    const res = await registerRaw({ username, password: PASSWORD });
    expectError(res, 400, 'validation_failed');
  });

  it('treats usernames as unique case-insensitively: 409 username_taken', async () => {
    const base = uniqueName('Case');
    const first = await registerRaw({ username: base, password: PASSWORD });
    expect(first.statusCode, first.body).toBe(201);
    expectError(await registerRaw({ username: base, password: PASSWORD }), 409, 'username_taken');
    expectError(await registerRaw({ username: base.toUpperCase(), password: PASSWORD }), 409, 'username_taken');
    expectError(await registerRaw({ username: base.toLowerCase(), password: PASSWORD }), 409, 'username_taken');
  });

  it('lets exactly one of several concurrent registrations of the same name win', async () => {
    const base = uniqueName('race');
    const variants = [base, base.toUpperCase(), base.toLowerCase(), base, base.toUpperCase()];
    const results = await Promise.all(variants.map((username) => registerRaw({ username, password: PASSWORD })));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) expectError(r, 409, 'username_taken');
  });

  it('accepts passwords of 8 and 256 characters', async () => {
    for (const password of ['p'.repeat(8), 'p'.repeat(256)]) {
      const username = uniqueName('pw');
      const res = await registerRaw({ username, password });
      expect(res.statusCode, res.body).toBe(201);
      const login = await call('POST', '/auth/login', undefined, { username, password });
      expect(login.statusCode, login.body).toBe(200);
    }
  });

  it.each([
    ['7 characters', 'p'.repeat(7)],
    ['257 characters', 'p'.repeat(257)],
    ['no characters', ''],
  ])('rejects a password of %s as 400 validation_failed', async (_label, password) => {
    expectError(await registerRaw({ username: uniqueName('pw'), password }), 400, 'validation_failed');
  });

  it('accepts a displayName of 1 and of 64 characters, including 64 Chinese characters', async () => {
    for (const displayName of ['x', 'd'.repeat(64), '张'.repeat(64)]) {
      const res = await registerRaw({ username: uniqueName('dl'), password: PASSWORD, displayName });
      expect(res.statusCode, res.body).toBe(201);
      expect((res.json() as { user: User }).user.displayName).toBe(displayName);
    }
  });

  it('counts displayName length in characters: 40 emoji (80 UTF-16 units) are accepted', async () => {
    const displayName = '😀'.repeat(40);
    const res = await registerRaw({ username: uniqueName('em'), password: PASSWORD, displayName });
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as { user: User }).user.displayName).toBe(displayName);
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'd'.repeat(65)],
  ])('rejects a displayName that is %s as 400 validation_failed', async (_label, displayName) => {
    expectError(await registerRaw({ username: uniqueName('dl'), password: PASSWORD, displayName }), 400, 'validation_failed');
  });
});

describe('POST /auth/login', () => {
  it('returns 200 {user, token} with a fresh working token', async () => {
    const username = uniqueName('login');
    const account = await register(app, username);
    const res = await call('POST', '/auth/login', undefined, { username, password: PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { user: User; token: string };
    expect(Object.keys(body).sort()).toEqual(['token', 'user']);
    expectUserShape(body.user);
    expect(body.user.id).toBe(account.user.id);
    const me = await call('GET', '/users/me', body.token);
    expect(me.statusCode, me.body).toBe(200);
    expect((me.json() as User).id).toBe(account.user.id);
  });

  it('answers a wrong password and an unknown user with the same 401 invalid_credentials', async () => {
    const username = uniqueName('login');
    await register(app, username);
    const wrong = expectError(
      await call('POST', '/auth/login', undefined, { username, password: 'wrong password' }),
      401,
      'invalid_credentials',
    );
    const unknown = expectError(
      await call('POST', '/auth/login', undefined, { username: uniqueName('ghost'), password: PASSWORD }),
      401,
      'invalid_credentials',
    );
    expect(unknown.message).toBe(wrong.message);
  });
});

describe('POST /auth/logout and the bearer token', () => {
  it('returns 204 and revokes only that token: it then gets 401 unauthorized', async () => {
    const username = uniqueName('out');
    const account = await register(app, username);
    const login = await call('POST', '/auth/login', undefined, { username, password: PASSWORD });
    const otherToken = (login.json() as { token: string }).token;

    const res = await call('POST', '/auth/logout', account.token);
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');

    expectError(await call('GET', '/users/me', account.token), 401, 'unauthorized');
    expectError(await call('POST', '/auth/logout', account.token), 401, 'unauthorized');
    const still = await call('GET', '/users/me', otherToken);
    expect(still.statusCode, still.body).toBe(200);
  });

  it('answers a request without Authorization with 401 unauthorized', async () => {
    expectError(await call('GET', '/users/me'), 401, 'unauthorized');
    expectError(await call('GET', '/users?q=a'), 401, 'unauthorized');
    expectError(await call('POST', '/auth/logout'), 401, 'unauthorized');
  });

  it.each([
    ['a garbage bearer token', 'Bearer not-a-real-token'],
    ['an empty bearer token', 'Bearer '],
    ['a Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['a bare token without a scheme', 'abcdef0123456789'],
  ])('answers %s with 401 unauthorized', async (_label, header) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: header } });
    expectError(res, 401, 'unauthorized');
  });
});

describe('/users/me', () => {
  it('GET returns the caller with the exact User shape, plus their own e-mail address, language and theme', async () => {
    const account = await register(app);
    const res = await call('GET', '/users/me', account.token);
    expect(res.statusCode, res.body).toBe(200);
    const { email, locale, theme, ...user } = res.json() as User & { email: string | null; locale: string | null; theme: string };
    expect(email).toBeNull();
    expect(locale).toBeNull();
    expect(theme).toBe('system');
    expectUserShape(user);
    expect(user).toMatchObject({ id: account.user.id, username: account.user.username, displayName: account.user.username });
  });

  it('PATCH {displayName} returns the updated User and the change persists', async () => {
    const account = await register(app);
    const res = await call('PATCH', '/users/me', account.token, { displayName: '李娜 ✨' });
    expect(res.statusCode, res.body).toBe(200);
    // The caller's own view (a Me): the User plus their e-mail address and language.
    const { email: _email, locale: _locale, theme: _theme, ...user } = res.json() as User & { email: string | null; locale: string | null; theme: string };
    expectUserShape(user);
    expect(user).toMatchObject({ id: account.user.id, username: account.user.username, displayName: '李娜 ✨' });
    const me = await call('GET', '/users/me', account.token);
    expect((me.json() as User).displayName).toBe('李娜 ✨');
  });

  it('names are shown as written minus what could disguise them: controls, bidi overrides and invisible characters go; emoji joiners stay', async () => {
    const account = await register(app);
    // RLO, a zero-width space, BEL, a BOM and a soft hyphen around a name; NFD input comes back NFC.
    const res = await call('PATCH', '/users/me', account.token, { displayName: '\u202Eow\u200Bner\u00071\uFEFF \u00AD Ame\u0301lie   👨\u200D👩\u200D👧' });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as User).displayName).toBe('owner1 Amélie 👨\u200D👩\u200D👧');
    // Nothing left to show: as blank.
    expectError(await call('PATCH', '/users/me', account.token, { displayName: '\u200B\u202E\u3164' }), 400, 'validation_failed');
    const reg = await registerRaw({ username: uniqueName('bidi'), password: PASSWORD, displayName: 'admin\u2066\u2069\u200F' });
    expect(reg.statusCode, reg.body).toBe(201);
    expect((reg.json() as { user: User }).user.displayName).toBe('admin');
    const group = await call('POST', '/groups', account.token, { name: '\u202Egnp.exe\u202C team\u0007' });
    expect(group.statusCode, group.body).toBe(201);
    expect(group.json().name).toBe('gnp.exe team');
    const renamed = await call('PATCH', `/groups/${group.json().id}`, account.token, { name: 'ops\u200B\u200B' });
    expect(renamed.json().name).toBe('ops');
  });

  it('PATCH with an empty body changes nothing and returns the User', async () => {
    const account = await register(app);
    const res = await call('PATCH', '/users/me', account.token, {});
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as User).displayName).toBe(account.user.username);
  });

  it('PATCH {avatarUploadId: null} is accepted and leaves avatarUrl null', async () => {
    const account = await register(app);
    const res = await call('PATCH', '/users/me', account.token, { avatarUploadId: null });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as User).avatarUrl).toBeNull();
  });

  it('PATCH {avatarUploadId} naming a non-existent upload is 400 validation_failed', async () => {
    const account = await register(app);
    expectError(await call('PATCH', '/users/me', account.token, { avatarUploadId: randomUUID() }), 400, 'validation_failed');
    expectError(await call('PATCH', '/users/me', account.token, { avatarUploadId: 'not-an-id' }), 400, 'validation_failed');
  });

  it('PATCH rejects an empty or 65-character displayName as 400 validation_failed and keeps the old one', async () => {
    const account = await register(app);
    expectError(await call('PATCH', '/users/me', account.token, { displayName: '' }), 400, 'validation_failed');
    expectError(await call('PATCH', '/users/me', account.token, { displayName: 'x'.repeat(65) }), 400, 'validation_failed');
    const me = await call('GET', '/users/me', account.token);
    expect((me.json() as User).displayName).toBe(account.user.username);
  });

  it('PATCH cannot change the username: the field is unknown, 400 validation_failed', async () => {
    const account = await register(app);
    expectError(await call('PATCH', '/users/me', account.token, { username: uniqueName('new') }), 400, 'validation_failed');
    const me = await call('GET', '/users/me', account.token);
    expect((me.json() as User).username).toBe(account.user.username);
  });
});

describe('GET /users/{id}', () => {
  it('returns another user with the exact User shape, presence fields included', async () => {
    const viewer = await register(app);
    const target = await register(app);
    const res = await call('GET', `/users/${target.user.id}`, viewer.token);
    expect(res.statusCode, res.body).toBe(200);
    const user = res.json() as User;
    expectUserShape(user);
    expect(user).toMatchObject({ id: target.user.id, username: target.user.username });
  });

  it('answers an unknown uuid with 404 not_found', async () => {
    const viewer = await register(app);
    expectError(await call('GET', `/users/${randomUUID()}`, viewer.token), 404, 'not_found');
  });

  it.each(['not-a-uuid', '123', "1'%20OR%20'1'='1", '%E5%BC%A0'])('answers the malformed id %s with 404 not_found', async (id) => {
    const viewer = await register(app);
    expectError(await call('GET', `/users/${id}`, viewer.token), 404, 'not_found');
  });

  it('requires a signed-in user: 401 unauthorized', async () => {
    const target = await register(app);
    expectError(await call('GET', `/users/${target.user.id}`), 401, 'unauthorized');
  });
});

describe('GET /users search', () => {
  it('returns {users, nextCursor} of users whose username starts with q, case-insensitively', async () => {
    const viewer = await register(app);
    const prefix = uniqueName('srch').replace(/[^A-Za-z0-9]/g, '');
    const a = await register(app, `${prefix}_alpha`);
    const b = await register(app, `${prefix}_beta`);
    const outsider = await register(app);
    const pages = await allUserPages(viewer.token, `q=${prefix.toUpperCase()}`);
    const ids = pages.flat().map((u) => u.id);
    expect(ids.sort()).toEqual([a.user.id, b.user.id].sort());
    expect(ids).not.toContain(outsider.user.id);
    for (const user of pages.flat()) expectUserShape(user);
  });

  it('matches a displayName prefix case-insensitively, in any script', async () => {
    const viewer = await register(app);
    const tag = uniqueName('').replace(/[^A-Za-z0-9]/g, '');
    const latin = await register(app);
    await call('PATCH', '/users/me', latin.token, { displayName: `Zorblax${tag} Smith` });
    const chinese = await register(app);
    await call('PATCH', '/users/me', chinese.token, { displayName: `张伟${tag} 🎉 𠀀` });

    const byLatin = (await allUserPages(viewer.token, `q=zORBLAX${tag}`)).flat().map((u) => u.id);
    expect(byLatin).toEqual([latin.user.id]);
    const byChinese = (await allUserPages(viewer.token, `q=${encodeURIComponent(`张伟${tag}`)}`)).flat();
    expect(byChinese.map((u) => u.id)).toEqual([chinese.user.id]);
    expect(byChinese[0]?.displayName).toBe(`张伟${tag} 🎉 𠀀`);
  });

  it('matches prefixes only, not substrings in the middle of a name', async () => {
    const viewer = await register(app);
    const tag = uniqueName('').replace(/[^A-Za-z0-9]/g, '');
    await register(app, `qq${tag}mid`);
    const res = await call('GET', `/users?q=${tag}mid`, viewer.token);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { users: User[] }).users).toEqual([]);
  });

  it('treats LIKE wildcards in q literally (_ and %)', async () => {
    const viewer = await register(app);
    const tag = uniqueName('w').replace(/[^A-Za-z0-9]/g, '');
    const underscore = await register(app, `${tag}_x`);
    await register(app, `${tag}ax`);
    const res = await call('GET', `/users?q=${tag}_`, viewer.token);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { users: User[] }).users.map((u) => u.id)).toEqual([underscore.user.id]);

    const percent = await call('GET', `/users?q=${encodeURIComponent('%')}`, viewer.token);
    expect(percent.statusCode, percent.body).toBe(200);
    for (const user of (percent.json() as { users: User[] }).users) {
      expect(user.username.startsWith('%') || user.displayName.startsWith('%')).toBe(true);
    }
  });

  it('pages with nextCursor over every match exactly once, nextCursor null on the last page', async () => {
    const viewer = await register(app);
    const prefix = uniqueName('page').replace(/[^A-Za-z0-9]/g, '');
    const created = await inBatches([...Array(7).keys()], 7, (i) => register(app, `${prefix}_${i}`));
    const pages = await allUserPages(viewer.token, `q=${prefix}&limit=3`);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const ids = pages.flat().map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(created.map((c) => c.user.id).sort());
  });

  it('defaults limit to 50 and clamps a larger limit to 100', async () => {
    const viewer = await register(app);
    const prefix = uniqueName('many').replace(/[^A-Za-z0-9]/g, '');
    const created: Account[] = await inBatches([...Array(105).keys()], 15, (i) => register(app, `${prefix}_${i}`));

    const byDefault = await call('GET', `/users?q=${prefix}`, viewer.token);
    expect(byDefault.statusCode, byDefault.body).toBe(200);
    expect((byDefault.json() as { users: User[] }).users).toHaveLength(50);

    const clamped = await call('GET', `/users?q=${prefix}&limit=1000`, viewer.token);
    expect(clamped.statusCode, clamped.body).toBe(200);
    const body = clamped.json() as { users: User[]; nextCursor: string | null };
    expect(body.users).toHaveLength(100);
    expect(body.nextCursor).not.toBeNull();

    const all = (await allUserPages(viewer.token, `q=${prefix}&limit=1000`)).flat().map((u) => u.id);
    expect(all.sort()).toEqual(created.map((c) => c.user.id).sort());
  });

  it.each(['0', '-1', 'abc', '1.5'])('rejects limit=%s as 400 validation_failed', async (limit) => {
    const viewer = await register(app);
    expectError(await call('GET', `/users?q=a&limit=${limit}`, viewer.token), 400, 'validation_failed');
  });

  it('answers a garbage cursor with a 400 validation_failed, never a 500', async () => {
    const viewer = await register(app);
    expectError(await call('GET', `/users?q=a&cursor=${encodeURIComponent('!!not a cursor!!')}`, viewer.token), 400, 'validation_failed');
  });
});

describe('bad input', () => {
  it('answers malformed JSON with 400 validation_failed', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"username": "abc", "password":',
    });
    expectError(res, 400, 'validation_failed');
  });

  it('answers an empty JSON body with 400 validation_failed', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expectError(res, 400, 'validation_failed');
  });

  it.each([
    ['a number username', { username: 12345, password: PASSWORD }],
    ['a null password', { username: 'someone', password: null }],
    ['an object displayName', { username: 'someone', password: PASSWORD, displayName: { a: 1 } }],
    ['a missing password', { username: 'someone' }],
  ])('answers %s with 400 validation_failed carrying details', async (_label, payload) => {
    const error = expectError(await registerRaw(payload), 400, 'validation_failed');
    expect(error.details).toBeDefined();
  });

  it.each([
    ['a JSON array', '[]'],
    ['a JSON string', '"hello"'],
    ['JSON null', 'null'],
  ])('answers a body that is %s with 400 validation_failed', async (_label, payload) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expectError(res, 400, 'validation_failed');
  });

  it('answers an unknown body field with 400 validation_failed and creates no user', async () => {
    const username = uniqueName('extra');
    expectError(await registerRaw({ username, password: PASSWORD, isAdmin: true }), 400, 'validation_failed');
    const again = await registerRaw({ username, password: PASSWORD });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('answers an unknown query parameter on a list route with 400 validation_failed', async () => {
    const viewer = await register(app);
    expectError(await call('GET', '/users?q=a&sort=desc', viewer.token), 400, 'validation_failed');
  });

  it('answers a query parameter on a route that takes none with 400 validation_failed', async () => {
    const viewer = await register(app);
    expectError(await call('GET', '/users/me?verbose=1', viewer.token), 400, 'validation_failed');
    expectError(await call('GET', `/users/${viewer.user.id}?expand=all`, viewer.token), 400, 'validation_failed');
  });

  it('answers a body over 1 MiB with 413 payload_too_large', async () => {
    const viewer = await register(app);
    const payload = JSON.stringify({ displayName: 'x'.repeat(1024 * 1024 + 16) });
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: { ...auth(viewer.token), 'content-type': 'application/json' },
      payload,
    });
    expectError(res, 413, 'payload_too_large');
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: uniqueName('big'), password: 'p'.repeat(1024 * 1024 + 16) }),
    });
    expectError(anonymous, 413, 'payload_too_large');
  });

  it('answers content-type text/plain on a JSON route with 415 unsupported_media_type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ username: uniqueName('txt'), password: PASSWORD }),
    });
    expectError(res, 415, 'unsupported_media_type');
  });

  it('answers an unknown /api/v1 route with 404 not_found in the error format', async () => {
    const viewer = await register(app);
    expectError(await call('GET', '/no-such-route', viewer.token), 404, 'not_found');
  });
});
