/**
 * OpenID Connect sign-in against a real provider (oidc-provider on loopback): the whole redirect
 * dance from GET /auth/oidc/start through the provider's login page to the callback, account
 * creation and reuse, the sign-up modes, and every way a sign-in is refused (a redirect to the
 * web client with an error code, never a JSON 500).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { sessions, users } from '../../src/db/schema.js';
import { newId } from '../../src/core/ids.js';
import { repositories } from '../../src/db/repositories/index.js';
import { auth, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { startOidcProvider, type ProviderAccount, type TestOidcProvider } from '../helpers/oidc-provider.js';

/** The app is driven with inject(): nothing listens here, the provider only redirects the "browser" to it. */
const PUBLIC_URL = 'http://127.0.0.1:9';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;
const ADMIN = `oidcadmin_${Math.random().toString(36).slice(2, 8)}`;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

function oidcEnv(provider: TestOidcProvider, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: provider.clientSecret,
    OIDC_DISPLAY_NAME: 'Test SSO',
    PUBLIC_URL,
    ADMIN_USERNAME: ADMIN,
    ...extra,
  };
}

/** The value of one cookie set by a response, with its attributes. */
function setCookie(res: LightMyRequestResponse, name: string): { value: string; attrs: string } | null {
  const raw = res.headers['set-cookie'];
  const all = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const found = all.filter((c) => c.startsWith(`${name}=`)).at(-1);
  if (!found) return null;
  const [pair = '', ...attrs] = found.split(';');
  return { value: pair.slice(name.length + 1), attrs: attrs.join(';').trim() };
}

interface SignInResult {
  /** The callback's answer. */
  res: LightMyRequestResponse;
  location: string;
  /** The session cookie it set, when it signed in. */
  session: string | null;
}

/** The browser's part: start, the provider's login page as `accountId`, the callback (with the state cookie). */
async function signIn(
  app: FastifyInstance,
  provider: TestOidcProvider,
  accountId: string,
  opts: { tamper?: (callbackUrl: URL) => void; cookie?: (value: string) => string | null; cancel?: boolean } = {},
): Promise<SignInResult> {
  const start = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start', headers: { 'user-agent': UA } });
  expect(start.statusCode, start.body).toBe(302);
  const state = setCookie(start, 'parley_oidc');
  expect(state, 'the start sets the state cookie').not.toBeNull();
  const back = new URL(await provider.signIn(start.headers.location as string, accountId, { cancel: opts.cancel }));
  expect(back.origin + back.pathname).toBe(CALLBACK);
  opts.tamper?.(back);
  const cookieValue = opts.cookie ? opts.cookie(state!.value) : state!.value;
  const res = await app.inject({
    method: 'GET',
    url: back.pathname + back.search,
    headers: { 'user-agent': UA, ...(cookieValue === null ? {} : { cookie: `parley_oidc=${cookieValue}` }) },
  });
  expect(res.statusCode, res.body).toBe(302);
  return { res, location: res.headers.location as string, session: setCookie(res, 'parley_session')?.value ?? null };
}

/** Who the session cookie signs in as (GET /auth/session). */
async function whoIs(app: FastifyInstance, session: string): Promise<{ id: string; username: string; displayName: string }> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/auth/session', cookies: { parley_session: session } });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { user: { id: string; username: string; displayName: string } }).user;
}

function expectRefused(r: SignInResult, code: string): void {
  expect(r.location).toBe(`/#/login?error=${code}`);
  expect(r.session).toBeNull();
}

function addAccount(provider: TestOidcProvider, claims: ProviderAccount): string {
  const sub = `sub-${uniqueName('p')}`;
  provider.accounts.set(sub, claims);
  return sub;
}

describe('OpenID Connect sign-in', () => {
  let provider: TestOidcProvider;
  let t: TestApp;
  let app: FastifyInstance;
  let admin: Account;

  const userRow = async (id: string) => (await t.database.db.select().from(users).where(eq(users.id, id)))[0]!;
  const setSignup = async (body: Record<string, unknown>) => {
    const res = await app.inject({ method: 'PATCH', url: '/api/v1/admin/settings', headers: auth(admin.token), payload: body });
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    provider = await startOidcProvider();
    provider.setRedirectUri(CALLBACK);
    t = await startTestApp(oidcEnv(provider));
    app = t.app;
    admin = await register(app, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  it('offers the provider in GET /auth/options', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/options' });
    expect(res.statusCode).toBe(200);
    expect(res.json().oidc).toEqual({ name: 'Test SSO', startUrl: '/api/v1/auth/oidc/start' });
  });

  it('starts with a redirect to the provider carrying state, nonce and PKCE (S256), and a short-lived Lax state cookie', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    expect(res.statusCode).toBe(302);
    const to = new URL(res.headers.location as string);
    expect(to.origin).toBe(provider.issuer);
    const q = to.searchParams;
    expect(q.get('client_id')).toBe(provider.clientId);
    expect(q.get('redirect_uri')).toBe(CALLBACK);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('scope')).toBe('openid profile email');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')!.length).toBeGreaterThanOrEqual(22);
    expect(q.get('nonce')!.length).toBeGreaterThanOrEqual(22);
    const cookie = setCookie(res, 'parley_oidc')!;
    // Sealed: neither the state nor the verifier can be read from it.
    expect(cookie.value).not.toContain(q.get('state'));
    expect(cookie.attrs).toMatch(/Max-Age=600/);
    expect(cookie.attrs).toMatch(/Path=\/api\/v1\/auth\/oidc/);
    expect(cookie.attrs).toMatch(/HttpOnly/);
    expect(cookie.attrs).toMatch(/SameSite=Lax/);
  });

  it('creates an account on first sign-in from the claims, with no password, and signs the browser in', async () => {
    const sub = addAccount(provider, { preferred_username: 'Zoë.Müller', name: 'Zoë Müller 佐伊 🎈', email: 'zoe@example.com', email_verified: true });
    const r = await signIn(app, provider, sub);
    expect(r.location).toBe('/');
    expect(r.session).toBeTruthy();
    const me = await whoIs(app, r.session!);
    expect(me.username).toBe('Zoe.Muller');
    expect(me.displayName).toBe('Zoë Müller 佐伊 🎈');
    const row = await userRow(me.id);
    expect(row.email).toBe('zoe@example.com');
    expect(row.passwordHash).toBeNull();
    // The session is the web client's cookie session, with its device recorded.
    const [session] = await t.database.db.select().from(sessions).where(eq(sessions.userId, me.id));
    expect(session).toMatchObject({ cookie: true, userAgent: UA, kind: 'session' });
    expect(session!.ip).toBeTruthy();
    // No password works for it.
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: me.username, password: 'anything at all' } });
    expect(login.statusCode).toBe(401);
  });

  it('signs the same provider account into the same Parley account the next time', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('again'), name: 'Again' });
    const first = await whoIs(app, (await signIn(app, provider, sub)).session!);
    // A changed name at the provider does not create another account.
    provider.accounts.set(sub, { preferred_username: uniqueName('renamed'), name: 'Renamed' });
    const second = await whoIs(app, (await signIn(app, provider, sub)).session!);
    expect(second.id).toBe(first.id);
    expect(second.username).toBe(first.username);
  });

  it('creates one account when two first sign-ins of the same person finish at once', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('twice'), email: `${uniqueName('twice')}@example.com`, email_verified: true });
    const pending: { url: string; state: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const start = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
      const back = new URL(await provider.signIn(start.headers.location as string, sub));
      pending.push({ url: back.pathname + back.search, state: setCookie(start, 'parley_oidc')!.value });
    }
    const results = await Promise.all(pending.map((p) => app.inject({ method: 'GET', url: p.url, cookies: { parley_oidc: p.state } })));
    const ids: string[] = [];
    for (const res of results) {
      expect(res.headers.location).toBe('/');
      ids.push((await whoIs(app, setCookie(res, 'parley_session')!.value)).id);
    }
    expect(ids[0]).toBe(ids[1]);
  });

  it('makes a taken username unique with a suffix', async () => {
    const base = uniqueName('carol');
    await register(app, base);
    const sub = addAccount(provider, { preferred_username: base, name: 'Carol' });
    const me = await whoIs(app, (await signIn(app, provider, sub)).session!);
    expect(me.username).toBe(`${base}_2`);
    const sub2 = addAccount(provider, { preferred_username: base.toUpperCase(), name: 'Carol again' });
    const me2 = await whoIs(app, (await signIn(app, provider, sub2)).session!);
    expect(me2.username).toBe(`${base.toUpperCase()}_3`);
  });

  it('never gives the reserved usernames all and here: the next candidate instead', async () => {
    const me = await whoIs(app, (await signIn(app, provider, addAccount(provider, { preferred_username: 'All', name: 'Everybody' }))).session!);
    expect(me.username).toBe('All_2');
    const me2 = await whoIs(app, (await signIn(app, provider, addAccount(provider, { preferred_username: 'here', name: 'Here' }))).session!);
    expect(me2.username).toBe('here_2');
  });

  it('falls back to the e-mail local part, then the name, for the username', async () => {
    const local = uniqueName('mail');
    const a = await whoIs(app, (await signIn(app, provider, addAccount(provider, { email: `${local}@example.org`, email_verified: false, name: 'X' }))).session!);
    expect(a.username).toBe(local);
    expect(a.displayName).toBe('X');
    const b = await whoIs(app, (await signIn(app, provider, addAccount(provider, { name: '张三' }))).session!);
    expect(b.username).toMatch(/^user(_[0-9a-f]+|_\d)?$/);
    expect(b.displayName).toBe('张三');
  });

  it('does not store an unverified e-mail address, nor one another account has', async () => {
    const unverified = `${uniqueName('unv')}@example.com`;
    const a = await whoIs(app, (await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('unv'), email: unverified, email_verified: false }))).session!);
    expect((await userRow(a.id)).email).toBeNull();
    const verified = `${uniqueName('v')}@example.com`;
    const b = await whoIs(app, (await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('v1'), email: verified, email_verified: true }))).session!);
    expect((await userRow(b.id)).email).toBe(verified);
    const c = await whoIs(app, (await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('v2'), email: verified.toUpperCase(), email_verified: true }))).session!);
    expect((await userRow(c.id)).email).toBeNull();
  });

  it('refuses a tampered state and a missing or altered state cookie; a success clears the cookie', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('tamper') });
    expectRefused(await signIn(app, provider, sub, { tamper: (u) => u.searchParams.set('state', `${u.searchParams.get('state')}x`) }), 'oidc_state');
    expectRefused(await signIn(app, provider, sub, { cookie: () => null }), 'oidc_state');
    expectRefused(await signIn(app, provider, sub, { cookie: (v) => `${v.slice(0, -4)}AAAA` }), 'oidc_state');
    // A successful callback clears the state cookie (one use).
    const ok = await signIn(app, provider, sub);
    expect(ok.location).toBe('/');
    expect(ok.res.headers['set-cookie']!.toString()).toMatch(/parley_oidc=;/);
  });

  it('refuses a code replayed with its state cookie', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('replay') });
    const start = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const state = setCookie(start, 'parley_oidc')!.value;
    const back = new URL(await provider.signIn(start.headers.location as string, sub));
    const call = () => app.inject({ method: 'GET', url: back.pathname + back.search, cookies: { parley_oidc: state } });
    expect((await call()).headers.location).toBe('/');
    const again = await call();
    expect(again.headers.location).toBe('/#/login?error=oidc_failed');
    expect(setCookie(again, 'parley_session')).toBeNull();
  });

  it('tells the web client when the user cancels at the provider', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('cancel') });
    expectRefused(await signIn(app, provider, sub, { cancel: true }), 'oidc_denied');
  });

  it('claims the account an import made for the same verified e-mail address, whatever the sign-up mode', async () => {
    const name = uniqueName('imp');
    const email = `${name}@example.test`;
    const repos = repositories(t.database.db);
    const imported = (await repos.imports.insertUser({ id: newId(), username: name, displayName: 'Imported 导入', email, passwordHash: null, deactivatedAt: new Date() }))!;
    await repos.imports.insertKeys([{ source: 'slack', kind: 'user', externalId: `U${name}`, parleyId: imported.id, claimable: true }]);
    // An unverified address claims nothing: a new account, the imported one stays deactivated.
    const stranger = await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('unv'), email: email.toUpperCase(), email_verified: false }));
    if (stranger.session) expect((await whoIs(app, stranger.session)).id).not.toBe(imported.id);
    expect((await userRow(imported.id)).deactivatedAt).not.toBeNull();

    const sub = addAccount(provider, { preferred_username: 'someone-else', email: email.toUpperCase(), email_verified: true });
    const r = await signIn(app, provider, sub);
    expect(r.session).not.toBeNull();
    expect((await whoIs(app, r.session!)).id).toBe(imported.id);
    const row = await userRow(imported.id);
    expect(row.deactivatedAt).toBeNull();
    expect(row.username).toBe(name);
    expect(await repos.imports.isClaimable(imported.id)).toBe(false);
    // The next sign-in finds it by the linked identity.
    const again = await signIn(app, provider, sub);
    expect((await whoIs(app, again.session!)).id).toBe(imported.id);
  });

  it('refuses a deactivated account', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('gone') });
    const me = await whoIs(app, (await signIn(app, provider, sub)).session!);
    const res = await app.inject({ method: 'POST', url: `/api/v1/admin/users/${me.id}/deactivate`, headers: auth(admin.token) });
    expect(res.statusCode, res.body).toBe(204);
    expectRefused(await signIn(app, provider, sub), 'account_deactivated');
  });

  it('in domain mode, creates accounts only for a verified e-mail address in an allowed domain', async () => {
    const existing = addAccount(provider, { preferred_username: uniqueName('before') });
    await signIn(app, provider, existing);
    await setSignup({ signupMode: 'domain', allowedEmailDomains: ['allowed.example'] });
    try {
      expectRefused(await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('d1'), email: 'x@other.example', email_verified: true })), 'email_domain_not_allowed');
      expectRefused(await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('d2'), email: `${uniqueName('d')}@allowed.example`, email_verified: false })), 'email_domain_not_allowed');
      expectRefused(await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('d3') })), 'email_domain_not_allowed');
      const email = `${uniqueName('d')}@Allowed.Example`;
      const ok = await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('d4'), email, email_verified: true }));
      expect((await userRow((await whoIs(app, ok.session!)).id)).email).toBe(email);
      // An account that exists signs in whatever the mode.
      expect((await signIn(app, provider, existing)).location).toBe('/');
    } finally {
      await setSignup({ signupMode: 'open' });
    }
  });

  it('in invite mode, creates no account (OIDC_ALLOW_SIGNUP is off) but lets existing ones in', async () => {
    const existing = addAccount(provider, { preferred_username: uniqueName('member') });
    await signIn(app, provider, existing);
    await setSignup({ signupMode: 'invite' });
    try {
      expectRefused(await signIn(app, provider, addAccount(provider, { preferred_username: uniqueName('newcomer') })), 'signup_closed');
      expect((await signIn(app, provider, existing)).location).toBe('/');
    } finally {
      await setSignup({ signupMode: 'open' });
    }
  });

  it('answers a callback without any parameters with a redirect, not an error page', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/callback' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/#/login?error=oidc_state');
  });
});

describe('OpenID Connect sign-in with OIDC_ALLOW_SIGNUP=on', () => {
  let provider: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    provider = await startOidcProvider();
    provider.setRedirectUri(CALLBACK);
    t = await startTestApp(oidcEnv(provider, { OIDC_ALLOW_SIGNUP: 'on' }));
    const admin = await register(t.app, ADMIN);
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/admin/settings', headers: auth(admin.token), payload: { signupMode: 'invite' } });
    expect(res.statusCode, res.body).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  it('in invite mode, the provider is the gate: its users get accounts', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('gate'), name: 'Gate' });
    const r = await signIn(t.app, provider, sub);
    expect(r.location).toBe('/');
    expect((await whoIs(t.app, r.session!)).displayName).toBe('Gate');
  });
});

describe('OpenID Connect sign-in while the provider is down', () => {
  let provider: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    provider = await startOidcProvider();
    provider.setRedirectUri(CALLBACK);
    await provider.close();
    t = await startTestApp(oidcEnv(provider, { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_PER_IP: '6/min' }));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  it('redirects to the web client with oidc_unavailable, at once or after the timeout for a provider that hangs, and works when it is back', async () => {
    let began = Date.now();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/#/login?error=oidc_unavailable');
    expect(Date.now() - began).toBeLessThan(4_000);
    // Something on the port that accepts connections and never answers: bounded by the 5 s timeout.
    const sockets = new Set<net.Socket>();
    const hanging = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => hanging.listen(provider.port, '127.0.0.1', resolve));
    began = Date.now();
    const hung = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const took = Date.now() - began;
    expect(hung.headers.location).toBe('/#/login?error=oidc_unavailable');
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(10_000);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    // Discovery is tried again on the next sign-in.
    await provider.listen();
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    expect(again.statusCode).toBe(302);
    expect(new URL(again.headers.location as string).origin).toBe(provider.issuer);
  });

  it('refuses the code exchange clearly when the provider goes down during the sign-in', async () => {
    const sub = addAccount(provider, { preferred_username: uniqueName('mid') });
    const start = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const back = new URL(await provider.signIn(start.headers.location as string, sub));
    await provider.close();
    const res = await t.app.inject({ method: 'GET', url: back.pathname + back.search, cookies: { parley_oidc: setCookie(start, 'parley_oidc')!.value } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/#/login?error=oidc_unavailable');
    await provider.listen();
  });

  it('limits sign-in attempts per address (RATE_LIMIT_LOGIN_PER_IP), with a redirect too', async () => {
    let last: LightMyRequestResponse | null = null;
    for (let i = 0; i < 8; i++) last = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    expect(last!.statusCode).toBe(302);
    expect(last!.headers.location).toBe('/#/login?error=rate_limited');
  });
});

describe('without OpenID Connect configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('offers no provider, and the routes redirect with oidc_not_configured', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/options' })).json().oidc).toBeNull();
    for (const url of ['/api/v1/auth/oidc/start', '/api/v1/auth/oidc/callback?code=x&state=y']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/#/login?error=oidc_not_configured');
    }
  });
});
