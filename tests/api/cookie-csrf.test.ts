/**
 * The web client's cookie session: `"session": "cookie"` sign-ins set an HttpOnly, SameSite=Strict
 * cookie and never put the token in the body; requests made with the cookie that change
 * something need the session's X-CSRF-Token and a trusted Origin; bearer requests are unchanged;
 * the WebSocket takes the cookie only from this server's own pages.
 */
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema.js';
import { hashToken } from '../../src/services/identity/identity.js';
import { auth, startTestApp, uniqueName, type TestApp } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

const ALLOWED = 'https://allowed.example';
let t: TestServer;
let host: string;

beforeAll(async () => {
  t = await startTestServer({ TRUST_PROXY: 'loopback', CORS_ORIGINS: ALLOWED });
  host = new URL(t.httpUrl).host;
}, 120_000);

afterAll(async () => {
  await t?.close();
});

interface CookieSignIn {
  username: string;
  token: string;
  csrf: string;
  setCookie: string;
  body: Record<string, unknown>;
}

function sessionCookieOf(res: LightMyRequestResponse): string {
  const all = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const found = all.find((c) => c.startsWith('parley_session='));
  if (!found) throw new Error(`no parley_session cookie in ${JSON.stringify(all)}`);
  return found;
}

async function cookieSignIn(app = t.app, headers: Record<string, string> = {}): Promise<CookieSignIn> {
  const username = uniqueName('ck');
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', headers, payload: { username, password: 'correct horse', session: 'cookie' } });
  expect(res.statusCode, res.body).toBe(201);
  const setCookie = sessionCookieOf(res);
  const token = /^parley_session=([^;]+)/.exec(setCookie)![1]!;
  const body = res.json() as Record<string, unknown>;
  return { username, token, csrf: body.csrfToken as string, setCookie, body };
}

const withCookie = (s: CookieSignIn, extra: Record<string, string> = {}) => ({ cookie: `parley_session=${s.token}`, ...extra });
const codeOf = (res: LightMyRequestResponse) => (res.json() as { error?: { code?: string } }).error?.code;

describe('cookie sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict, Path=/ cookie lasting the idle expiry, not Secure over plain http; the body has the user and a CSRF token, never the token', async () => {
    const s = await cookieSignIn();
    const attrs = s.setCookie.split(';').map((x) => x.trim().toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=strict');
    expect(attrs).toContain('path=/');
    expect(attrs).toContain(`max-age=${30 * 86_400}`);
    expect(attrs).not.toContain('secure');
    expect(Object.keys(s.body).sort()).toEqual(['csrfToken', 'user']);
    expect(JSON.stringify(s.body)).not.toContain(s.token);
    expect(s.csrf.length).toBeGreaterThanOrEqual(40);
    // Login works the same way; without "session": "cookie" the contract's bearer answer is unchanged.
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: s.username, password: 'correct horse', session: 'cookie' } });
    expect(login.statusCode).toBe(200);
    expect(Object.keys(login.json() as object).sort()).toEqual(['csrfToken', 'user']);
    expect(sessionCookieOf(login)).toMatch(/HttpOnly/);
    const bearer = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: s.username, password: 'correct horse' } });
    expect(Object.keys(bearer.json() as object).sort()).toEqual(['token', 'user']);
    expect(bearer.headers['set-cookie']).toBeUndefined();
  });

  it('marks the cookie Secure when the request came over https (a believed X-Forwarded-Proto)', async () => {
    const s = await cookieSignIn(t.app, { 'x-forwarded-proto': 'https' });
    expect(s.setCookie.split(';').map((x) => x.trim())).toContain('Secure');
  });

  it('marks the cookie Secure when PUBLIC_URL is https, even behind a plain-http hop', async () => {
    let https: TestApp | null = null;
    try {
      https = await startTestApp({ PUBLIC_URL: 'https://chat.example.com' });
      const s = await cookieSignIn(https.app);
      expect(s.setCookie.split(';').map((x) => x.trim())).toContain('Secure');
      // Its own origin is trusted for cookie requests.
      const ok = await https.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: withCookie(s, { 'x-csrf-token': s.csrf, origin: 'https://chat.example.com' }), payload: { displayName: 'Über' } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await https?.close();
    }
  }, 120_000);

  it('records the session as a cookie session in the sessions list', async () => {
    const s = await cookieSignIn();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/users/me/sessions', headers: withCookie(s) });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { sessions: { cookie: boolean; current: boolean }[] }).sessions).toMatchObject([{ cookie: true, current: true }]);
  });

  it('GET /auth/session tells a reloaded page who is signed in and the same CSRF token; nulls without a session, 401 for a bad bearer token', async () => {
    const s = await cookieSignIn();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: withCookie(s) });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { user: { username: string }; csrfToken: string };
    expect(body.user.username).toBe(s.username);
    expect(body.csrfToken).toBe(s.csrf);
    const nobody = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session' });
    expect(nobody.statusCode).toBe(200);
    expect(nobody.json()).toEqual({ user: null, csrfToken: null });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: auth('not-a-real-token-1234567890') })).statusCode).toBe(401);
  });
});

describe('CSRF protection of cookie requests', () => {
  it('refuses an unsafe request without the CSRF token or with a wrong one (403 csrf_failed), and accepts it with the right one', async () => {
    const s = await cookieSignIn();
    const patch = (headers: Record<string, string>) => t.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: withCookie(s, headers), payload: { displayName: '新名字 🎉' } });
    const none = await patch({});
    expect(none.statusCode).toBe(403);
    expect(codeOf(none)).toBe('csrf_failed');
    const other = await cookieSignIn();
    // The right token with its last character changed (to one it is not: a fixed 'A' would be right 1 time in 64).
    const lastChanged = `${s.csrf.slice(0, -1)}${s.csrf.endsWith('A') ? 'B' : 'A'}`;
    for (const wrong of ['x', lastChanged, other.csrf, s.token]) {
      const res = await patch({ 'x-csrf-token': wrong });
      expect(res.statusCode, wrong).toBe(403);
      expect(codeOf(res)).toBe('csrf_failed');
    }
    const ok = await patch({ 'x-csrf-token': s.csrf });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as { displayName: string }).displayName).toBe('新名字 🎉');
    // Reads need no CSRF token.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: withCookie(s) })).statusCode).toBe(200);
  });

  it('refuses a cookie request from a foreign Origin even with the right CSRF token; this server and CORS_ORIGINS are trusted', async () => {
    const s = await cookieSignIn();
    const patch = (origin: string) =>
      t.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: withCookie(s, { 'x-csrf-token': s.csrf, origin, host }), payload: { displayName: 'O' } });
    for (const foreign of ['https://evil.example', 'null', `http://${host}.evil.example`]) {
      const res = await patch(foreign);
      expect(res.statusCode, foreign).toBe(403);
      expect(codeOf(res)).toBe('csrf_failed');
    }
    expect((await patch(`http://${host}`)).statusCode).toBe(200);
    expect((await patch(ALLOWED)).statusCode).toBe(200);
  });

  it('bearer requests need no CSRF token, and a bearer header wins over a cookie', async () => {
    const s = await cookieSignIn();
    const bearer = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: s.username, password: 'correct horse' } })).json() as { token: string };
    const ok = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...auth(bearer.token), origin: 'https://evil.example' }, payload: { displayName: 'B' } });
    expect(ok.statusCode).toBe(200);
    // A valid cookie does not rescue a bad bearer token...
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { ...auth('not-a-real-token-1234567890'), ...withCookie(s) } });
    expect(bad.statusCode).toBe(401);
    // ...and a bearer header with a cookie is not CSRF-checked.
    const both = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...auth(bearer.token), ...withCookie(s) }, payload: { displayName: 'C' } });
    expect(both.statusCode).toBe(200);
  });

  it('the cookie carries only cookie sessions: a bearer session token put in the cookie is refused', async () => {
    const s = await cookieSignIn();
    const bearer = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: s.username, password: 'correct horse' } })).json() as { token: string };
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { cookie: `parley_session=${bearer.token}` } });
    expect(res.statusCode).toBe(401);
  });

  it('uploads (multipart) work with the cookie and the CSRF header, and are refused without it', async () => {
    const s = await cookieSignIn();
    const m = multipart('note.txt', Buffer.from('hello 你好'), 'text/plain');
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: withCookie(s, { 'content-type': m.contentType }), payload: m.payload });
    expect(refused.statusCode).toBe(403);
    expect(codeOf(refused)).toBe('csrf_failed');
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: withCookie(s, { 'content-type': m.contentType, 'x-csrf-token': s.csrf }), payload: m.payload });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('a cookie session that slides forward sends its cookie again with a fresh Max-Age', async () => {
    const s = await cookieSignIn();
    await t.database.db.update(sessions).set({ lastUsedAt: new Date(Date.now() - 120_000) }).where(eq(sessions.tokenHash, hashToken(s.token)));
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: withCookie(s) });
    expect(res.statusCode).toBe(200);
    const again = sessionCookieOf(res);
    expect(again).toContain(`parley_session=${s.token}`);
    expect(again).toMatch(/Max-Age=2592000/);
    // Within the minute: no cookie again.
    const next = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: withCookie(s) });
    expect(next.headers['set-cookie']).toBeUndefined();
  });

  it('logout clears the cookie and revokes its session; a dead cookie is cleared too', async () => {
    const s = await cookieSignIn();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: withCookie(s, { 'x-csrf-token': s.csrf }) });
    expect(res.statusCode).toBe(204);
    const cleared = sessionCookieOf(res);
    expect(cleared).toMatch(/^parley_session=;/);
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: withCookie(s) });
    expect(after.statusCode).toBe(401);
    expect(sessionCookieOf(after)).toMatch(/^parley_session=;/);
  });
});

describe('WebSocket with the session cookie', () => {
  const open = (s: CookieSignIn | null, origin: string | null) =>
    new Promise<WsClient>((resolve, reject) => {
      const ws = new WebSocket(t.wsUrl, { headers: { ...(s ? { cookie: `parley_session=${s.token}` } : {}), ...(origin ? { origin } : {}) } });
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });

  it('an auth frame without a token is signed in by the cookie when the upgrade comes from this server\'s origin', async () => {
    const s = await cookieSignIn();
    for (const frame of [{ type: 'auth' }, { type: 'auth', token: null }]) {
      const c = await open(s, t.httpUrl);
      c.send(frame);
      const ready = await c.next((f) => f.type === 'ready');
      expect(ready.user.username).toBe(s.username);
      c.close();
    }
  });

  it('refuses the cookie (4401) from a foreign Origin or with no Origin: no cross-site WebSocket hijacking', async () => {
    const s = await cookieSignIn();
    for (const origin of ['https://evil.example', ALLOWED, null]) {
      const c = await open(s, origin);
      c.send({ type: 'auth' });
      expect(await c.closed, String(origin)).toBe(4401);
    }
    // No cookie at all: 4401 too.
    const c = await open(null, t.httpUrl);
    c.send({ type: 'auth' });
    expect(await c.closed).toBe(4401);
  });

  it('a bearer token in the auth frame works as before, whatever the Origin', async () => {
    const s = await cookieSignIn();
    const bearer = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: s.username, password: 'correct horse' } })).json() as { token: string };
    const c = await open(null, 'https://elsewhere.example');
    c.send({ type: 'auth', token: bearer.token });
    await c.next((f) => f.type === 'ready');
    c.close();
  });

  it('logging out closes the cookie socket with 4401', async () => {
    const s = await cookieSignIn();
    const c = await open(s, t.httpUrl);
    c.send({ type: 'auth' });
    await c.next((f) => f.type === 'ready');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: withCookie(s, { 'x-csrf-token': s.csrf }) });
    expect(res.statusCode).toBe(204);
    expect(await c.closed).toBe(4401);
  });
});
