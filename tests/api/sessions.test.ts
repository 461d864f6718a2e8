/**
 * Login sessions (devices): the list with device labels, revoking one or all others (their
 * requests get 401 and their sockets close with 4401 at once), expiry with sliding renewal and
 * its absolute cap, the sweep of expired rows, and API tokens that expire.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { sessions } from '../../src/db/schema.js';
import { hashToken } from '../../src/services/identity/identity.js';
import { auth, uniqueName } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';
import { waitFor } from '../helpers/kit.js';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const DAY = 86_400_000;

interface SessionView {
  id: string;
  current: boolean;
  kind: string;
  device: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string | null;
  cookie: boolean;
}

let t: TestServer;
let app: ParleyApp;

beforeAll(async () => {
  // Sockets' sessions are rechecked every 1.5 s here (60 s by default).
  t = await startTestServer({ SESSION_IDLE_DAYS: '30', SESSION_MAX_DAYS: '365' }, { gateway: { sessionCheckMs: 1500 } });
  app = t.app as ParleyApp;
}, 120_000);

afterAll(async () => {
  await t?.close();
});

async function signUp(userAgent = CHROME_LINUX): Promise<{ username: string; token: string; userId: string }> {
  const username = uniqueName('sess');
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'user-agent': userAgent }, payload: { username, password: 'correct horse' } });
  expect(res.statusCode).toBe(201);
  const body = res.json() as { token: string; user: { id: string } };
  return { username, token: body.token, userId: body.user.id };
}

async function signIn(username: string, userAgent: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'user-agent': userAgent, ...headers }, payload: { username, password: 'correct horse' } });
  expect(res.statusCode).toBe(200);
  return (res.json() as { token: string }).token;
}

async function list(token: string): Promise<SessionView[]> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/users/me/sessions', headers: auth(token) });
  expect(res.statusCode).toBe(200);
  return (res.json() as { sessions: SessionView[] }).sessions;
}

const status = async (token: string) => (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: auth(token) })).statusCode;

const rowOf = async (token: string) => {
  const [row] = await t.database.db.select().from(sessions).where(eq(sessions.tokenHash, hashToken(token)));
  return row;
};

const setRow = (token: string, values: Partial<typeof sessions.$inferInsert>) =>
  t.database.db.update(sessions).set(values).where(eq(sessions.tokenHash, hashToken(token)));


describe('the sessions list', () => {
  it('lists each login with its device label, address and expiry, marks the current one, and leaves API tokens out', async () => {
    const me = await signUp(CHROME_LINUX);
    await signIn(me.username, FIREFOX_WINDOWS);
    await signIn(me.username, SAFARI_IPHONE);
    const api = await signIn(me.username, 'parley-bot/1.0 (node)');
    await app.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers: auth(me.token), payload: { name: 'script' } });

    const all = await list(me.token);
    expect(all.map((s) => s.device)).toEqual(['Chrome on Linux', 'Firefox on Windows', 'Safari on iPhone', 'Parley API client']);
    expect(all.map((s) => s.current)).toEqual([true, false, false, false]);
    for (const s of all) {
      expect(s.kind).toBe('session');
      expect(s.ip).toBe('127.0.0.1');
      expect(s.cookie).toBe(false);
      const expiresIn = Date.parse(s.expiresAt!) - Date.now();
      expect(expiresIn).toBeGreaterThan(29 * DAY);
      expect(expiresIn).toBeLessThanOrEqual(30 * DAY);
    }
    expect(all[0]!.userAgent).toBe(CHROME_LINUX);
    // Seen from another device, that one is current.
    expect((await list(api)).find((s) => s.current)!.device).toBe('Parley API client');
  });

  it('keeps at most 512 characters of a User-Agent', async () => {
    const me = await signUp(`${CHROME_LINUX} ${'x'.repeat(2000)}`);
    const [s] = await list(me.token);
    expect(s!.userAgent!.length).toBe(512);
    expect(s!.device).toBe('Chrome on Linux');
  });

  it('records the client address from X-Forwarded-For only when TRUST_PROXY believes the proxy', async () => {
    const me = await signUp();
    await signIn(me.username, CHROME_LINUX, { 'x-forwarded-for': '203.0.113.7' });
    // TRUST_PROXY is off here: the forwarded address is not believed.
    expect((await list(me.token)).map((s) => s.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});

describe('revoking sessions', () => {
  it('revoking one session refuses its requests (401) and closes its socket with 4401 at once', async () => {
    const me = await signUp();
    const phone = await signIn(me.username, SAFARI_IPHONE);
    const socket = await WsClient.connect(t.wsUrl, phone);
    const mine = await WsClient.connect(t.wsUrl, me.token);
    const target = (await list(me.token)).find((s) => !s.current)!;
    const started = Date.now();
    const res = await app.inject({ method: 'DELETE', url: `/api/v1/users/me/sessions/${target.id}`, headers: auth(me.token) });
    expect(res.statusCode).toBe(204);
    expect(await socket.closed).toBe(4401);
    // Through the bus at once, not at the next periodic check.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await status(phone)).toBe(401);
    expect(await status(me.token)).toBe(200);
    expect(mine.closeCode).toBeNull();
    expect((await list(me.token)).map((s) => s.id)).not.toContain(target.id);
    mine.close();
  });

  it("another person's session, an unknown id and a malformed id are all 404; an API token's id is not a session", async () => {
    const me = await signUp();
    const other = await signUp();
    const theirs = (await list(other.token))[0]!;
    const token = (await app.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers: auth(me.token), payload: { name: 'x' } })).json() as { id: string };
    for (const id of [theirs.id, '00000000-0000-4000-8000-000000000000', 'not-an-id', token.id]) {
      const res = await app.inject({ method: 'DELETE', url: `/api/v1/users/me/sessions/${id}`, headers: auth(me.token) });
      expect(res.statusCode, id).toBe(404);
      expect((res.json() as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect(await status(other.token)).toBe(200);
  });

  it('signing out everywhere else keeps the current session and API tokens, and closes the other sessions\' sockets', async () => {
    const me = await signUp();
    const laptop = await signIn(me.username, FIREFOX_WINDOWS);
    const phone = await signIn(me.username, SAFARI_IPHONE);
    const pat = ((await app.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers: auth(me.token), payload: { name: 'ci' } })).json() as { token: string }).token;
    const sockets = await Promise.all([WsClient.connect(t.wsUrl, laptop), WsClient.connect(t.wsUrl, phone)]);
    const mine = await WsClient.connect(t.wsUrl, me.token);
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/users/me/sessions', headers: auth(me.token) });
    expect(res.statusCode).toBe(204);
    expect(await Promise.all(sockets.map((s) => s.closed))).toEqual([4401, 4401]);
    expect(await status(laptop)).toBe(401);
    expect(await status(phone)).toBe(401);
    expect(await status(me.token)).toBe(200);
    expect(await status(pat)).toBe(200);
    expect((await list(me.token)).map((s) => s.current)).toEqual([true]);
    expect(mine.closeCode).toBeNull();
    mine.close();
  });
});

describe('expiry and sliding renewal', () => {
  it('an expired session is refused (401), over REST and for a new socket', async () => {
    const me = await signUp();
    await setRow(me.token, { expiresAt: new Date(Date.now() - 1000) });
    expect(await status(me.token)).toBe(401);
    const ws = await WsClient.open(t.wsUrl);
    ws.send({ type: 'auth', token: me.token });
    expect(await ws.closed).toBe(4401);
  });

  it('an open socket whose session expires is closed with 4401', async () => {
    const me = await signUp();
    const socket = await WsClient.connect(t.wsUrl, me.token);
    await setRow(me.token, { expiresAt: new Date(Date.now() - 1000) });
    expect(await socket.closed).toBe(4401);
  });

  it('using a session moves its expiry to now + SESSION_IDLE_DAYS, at most once a minute', async () => {
    const me = await signUp();
    const soon = new Date(Date.now() + DAY);
    // Used within the last minute: no write, the expiry stays.
    await setRow(me.token, { expiresAt: soon });
    // The write, when there is one, is made before the answer (src/services/identity/accounts.service.ts).
    expect(await status(me.token)).toBe(200);
    expect((await rowOf(me.token))!.expiresAt!.getTime()).toBe(soon.getTime());
    // Last used two minutes ago: this use slides it.
    await setRow(me.token, { lastUsedAt: new Date(Date.now() - 120_000) });
    expect(await status(me.token)).toBe(200);
    await waitFor(async () => (await rowOf(me.token))!.expiresAt!.getTime() > Date.now() + 29 * DAY, 'the expiry slid');
    const row = (await rowOf(me.token))!;
    expect(row.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * DAY);
    expect(Date.now() - row.lastUsedAt.getTime()).toBeLessThan(10_000);
  });

  it('sliding never goes past SESSION_MAX_DAYS from sign-in', async () => {
    const me = await signUp();
    const created = new Date(Date.now() - 360 * DAY);
    await setRow(me.token, { createdAt: created, lastUsedAt: new Date(Date.now() - 120_000), expiresAt: new Date(Date.now() + DAY) });
    expect(await status(me.token)).toBe(200);
    const cap = created.getTime() + 365 * DAY;
    await waitFor(async () => Math.abs((await rowOf(me.token))!.expiresAt!.getTime() - cap) < 2000, 'the expiry capped');
  });

  it('the sweep deletes expired sessions and tokens only, and running it again (another node) finds nothing', async () => {
    const me = await signUp();
    const old = await signIn(me.username, FIREFOX_WINDOWS);
    const pat = ((await app.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers: auth(me.token), payload: { name: 'old', expiresInDays: 1 } })).json() as { token: string }).token;
    await setRow(old, { expiresAt: new Date(Date.now() - 1000) });
    await setRow(pat, { expiresAt: new Date(Date.now() - 1000) });
    const [a, b] = await Promise.all([app.services.sessions.sweep(), app.services.sessions.sweep()]);
    expect(a + b).toBeGreaterThanOrEqual(2);
    expect(await rowOf(old)).toBeUndefined();
    expect(await rowOf(pat)).toBeUndefined();
    expect(await rowOf(me.token)).toBeDefined();
    expect(await app.services.sessions.sweep()).toBe(0);
  });
});

describe('API tokens that expire', () => {
  it('expiresInDays sets expiresAt; such a token is refused after it; tokens without it never expire', async () => {
    const me = await signUp();
    const res = await app.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers: auth(me.token), payload: { name: 'weekly', expiresInDays: 7 } });
    expect(res.statusCode).toBe(201);
    const made = res.json() as { id: string; token: string; expiresAt: string };
    expect(Math.abs(Date.parse(made.expiresAt) - (Date.now() + 7 * DAY))).toBeLessThan(60_000);
    const forever = (await app.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers: auth(me.token), payload: { name: 'forever' } })).json() as { token: string; expiresAt?: string };
    expect(forever.expiresAt).toBeUndefined();
    expect((await rowOf(forever.token))!.expiresAt).toBeNull();
    // Using an API token never slides it.
    await setRow(made.token, { lastUsedAt: new Date(Date.now() - 120_000) });
    expect(await status(made.token)).toBe(200);
    expect((await rowOf(made.token))!.expiresAt!.toISOString()).toBe(made.expiresAt);
    await setRow(made.token, { expiresAt: new Date(Date.now() - 1000) });
    expect(await status(made.token)).toBe(401);
    expect(await status(forever.token)).toBe(200);
  });

  it("a bot's token may expire too; expiresInDays must be a whole number of days from 1 to 3650", async () => {
    const me = await signUp();
    const bot = (await app.inject({ method: 'POST', url: '/api/v1/bots', headers: auth(me.token), payload: { username: uniqueName('sbot') } })).json() as { user: { id: string } };
    const res = await app.inject({ method: 'POST', url: `/api/v1/bots/${bot.user.id}/tokens`, headers: auth(me.token), payload: { name: 'ci', expiresInDays: 30 } });
    expect(res.statusCode).toBe(201);
    expect(Date.parse((res.json() as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now() + 29 * DAY);
    for (const bad of [0, -1, 1.5, 3651, '7']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers: auth(me.token), payload: { name: 'x', expiresInDays: bad } });
      expect(r.statusCode, String(bad)).toBe(400);
      expect((r.json() as { error: { code: string } }).error.code).toBe('validation_failed');
    }
  });
});
