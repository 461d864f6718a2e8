/**
 * Sign-up control (issue 10): GET /auth/options, invite-only and e-mail-domain sign-up, invites
 * (expiry, use count with racing sign-ups, revocation), the account's e-mail address (validated,
 * unique case-insensitively, shown only to its owner) and PUT /users/me/email.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/kit.js';

const PASSWORD = 'correct horse';
let t: TestApp;
let admin: Account;
let plain: Account;

beforeAll(async () => {
  t = await startTestApp();
  admin = await register(t.app, uniqueName('suadmin'));
  plain = await register(t.app, uniqueName('suplain'));
}, 60_000);
afterAll(() => t?.close());

const call = apiCaller(() => t.app);
const signUp = (body: Record<string, unknown>) => call('POST', '/auth/register', null, { username: uniqueName('su'), password: PASSWORD, ...body });
const setMode = async (patch: Record<string, unknown>) => expect((await call('PATCH', '/admin/settings', admin.token, patch)).statusCode).toBe(200);
const newInvite = async (body: Record<string, unknown> = {}) => {
  const res = await call('POST', '/admin/invites', admin.token, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; code: string; url: string; uses: number; maxUses: number | null; expiresAt: string };
};
const execute = (query: ReturnType<typeof sql>) => t.database.db.execute(query);

describe('GET /auth/options', () => {
  it('answers without a token: the sign-up mode, no password reset without SMTP, no OpenID Connect', async () => {
    const res = await call('GET', '/auth/options');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ signupMode: 'open', passwordReset: false, oidc: null });
    await setMode({ signupMode: 'invite' });
    expect((await call('GET', '/auth/options')).json().signupMode).toBe('invite');
    await setMode({ signupMode: 'open' });
  });
});

describe('open sign-up', () => {
  it('needs no e-mail; an e-mail given is stored as given and shown only to its owner', async () => {
    expect((await signUp({})).statusCode).toBe(201);
    const res = await signUp({ email: 'Ada.Lovelace@Example.ORG' });
    expect(res.statusCode, res.body).toBe(201);
    const { user, token } = res.json();
    expect(user).not.toHaveProperty('email');
    expect((await call('GET', '/users/me', token)).json().email).toBe('Ada.Lovelace@Example.ORG');
    const seen = await call('GET', `/users/${user.id}`, plain.token);
    expect(seen.json()).not.toHaveProperty('email');
    const listed = await call('GET', `/users?q=${user.username}`, plain.token);
    expect(listed.json().users[0]).not.toHaveProperty('email');
    // Site admins see it in their user list.
    const forAdmin = await call('GET', `/admin/users?q=${user.username}`, admin.token);
    expect(forAdmin.json().users[0]).toMatchObject({ user: { id: user.id }, email: 'Ada.Lovelace@Example.ORG' });
    expect(forAdmin.json().users[0].user).not.toHaveProperty('email');
  });

  it('refuses malformed e-mail addresses with 400', async () => {
    for (const email of ['no-at-sign', 'two@@example.com', 'a@b@example.com', 'sp ace@example.com', 'tab\t@example.com', 'nul\u0000@example.com', '@example.com', 'x@', 'x@nodot', `${'a'.repeat(250)}@example.com`, 'x@exa mple.com']) {
      const res = await signUp({ email });
      expect(res.statusCode, `${JSON.stringify(email)}: ${res.body}`).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
  });

  it('keeps e-mail addresses unique case-insensitively (409 email_taken), and a failed sign-up creates nothing', async () => {
    const email = `${uniqueName('dup')}@example.com`;
    expect((await signUp({ email })).statusCode).toBe(201);
    const username = uniqueName('dup2');
    expectError(await signUp({ email: email.toUpperCase(), username }), 409, 'email_taken');
    expect((await call('POST', '/auth/login', null, { username, password: PASSWORD })).statusCode).toBe(401);
  });

  it('ignores an invite code (none is used up)', async () => {
    const invite = await newInvite({ maxUses: 1 });
    expect((await signUp({ inviteCode: invite.code })).statusCode).toBe(201);
    expect((await signUp({ inviteCode: 'whatever' })).statusCode).toBe(201);
    const list = (await call('GET', '/admin/invites', admin.token)).json().invites as { id: string; uses: number }[];
    expect(list.find((i) => i.id === invite.id)?.uses).toBe(0);
  });
});

describe('invite-only sign-up', () => {
  beforeAll(() => setMode({ signupMode: 'invite' }));
  afterAll(() => setMode({ signupMode: 'open' }));

  it('needs an invite: 403 invite_required without one, invite_invalid for an unknown one', async () => {
    expectError(await signUp({}), 403, 'invite_required');
    expectError(await signUp({ inviteCode: 'not-a-real-code' }), 403, 'invite_invalid');
  });

  it('an admin creates an invite (code shown once, link to the web client), a new user signs up with it', async () => {
    const before = Date.now();
    const invite = await newInvite({ maxUses: 3 });
    expect(invite.code.length).toBeGreaterThanOrEqual(22);
    expect(invite.url).toMatch(new RegExp(`/#/invite/${invite.code}$`));
    expect(invite).toMatchObject({ maxUses: 3, uses: 0, revokedAt: null, createdBy: admin.user.id });
    // 168 hours (a week) by default.
    const expires = Date.parse(invite.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 168 * 3_600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 168 * 3_600_000 + 1000);

    const check = await call('GET', `/auth/invites/${invite.code}`);
    expect(check.statusCode).toBe(200);
    expect(check.json()).toEqual({ valid: true, expiresAt: invite.expiresAt });

    const res = await signUp({ inviteCode: invite.code });
    expect(res.statusCode, res.body).toBe(201);
    const list = (await call('GET', '/admin/invites', admin.token)).json();
    const listed = list.invites.find((i: { id: string }) => i.id === invite.id);
    expect(listed).toMatchObject({ uses: 1, maxUses: 3 });
    expect(listed).not.toHaveProperty('code');
    expect(JSON.stringify(list)).not.toContain(invite.code);
  });

  it('the very first account of a server may always sign up (and becomes site admin)', async () => {
    const fresh = await startTestApp();
    try {
      await fresh.database.db.execute(sql`INSERT INTO settings (key, value) VALUES ('site_settings', '{"signupMode":"invite","allowedEmailDomains":[]}')`);
      const first = await fresh.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: uniqueName('first'), password: PASSWORD } });
      expect(first.statusCode, first.body).toBe(201);
      expect(first.json().user.siteAdmin).toBe(true);
      const second = await fresh.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: uniqueName('second'), password: PASSWORD } });
      expectError(second, 403, 'invite_required');
    } finally {
      await fresh.close();
    }
  }, 60_000);

  it('an expired invite admits nobody and its check is 404', async () => {
    const invite = await newInvite({ expiresInHours: 1 });
    await execute(sql`UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = ${invite.id}`);
    expectError(await signUp({ inviteCode: invite.code }), 403, 'invite_invalid');
    expect((await call('GET', `/auth/invites/${invite.code}`)).statusCode).toBe(404);
  });

  it('a revoked invite admits nobody; revoking is audited, an unknown id is 404', async () => {
    const invite = await newInvite();
    expect((await call('DELETE', `/admin/invites/${invite.id}`, admin.token)).statusCode).toBe(204);
    expectError(await signUp({ inviteCode: invite.code }), 403, 'invite_invalid');
    expect((await call('GET', `/auth/invites/${invite.code}`)).statusCode).toBe(404);
    const listed = (await call('GET', '/admin/invites', admin.token)).json().invites.find((i: { id: string }) => i.id === invite.id);
    expect(listed.revokedAt).not.toBeNull();
    expect((await call('DELETE', '/admin/invites/00000000-0000-4000-8000-000000000000', admin.token)).statusCode).toBe(404);
    expect((await call('DELETE', '/admin/invites/nonsense', admin.token)).statusCode).toBe(404);
    const audit = (await call('GET', '/admin/audit', admin.token)).json().entries as { action: string; details: { inviteId?: string } }[];
    const actions = audit.filter((e) => e.details.inviteId === invite.id).map((e) => e.action);
    expect(actions).toEqual(['invite.revoked', 'invite.created']);
  });

  it('two sign-ups racing for the last use of an invite: exactly one wins', async () => {
    const invite = await newInvite({ maxUses: 1 });
    const results = await Promise.all([signUp({ inviteCode: invite.code }), signUp({ inviteCode: invite.code })]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 403]);
    expect(results.find((r) => r.statusCode === 403)!.json().error.code).toBe('invite_invalid');
    const listed = (await call('GET', '/admin/invites', admin.token)).json().invites.find((i: { id: string }) => i.id === invite.id);
    expect(listed.uses).toBe(1);
  });

  it('many sign-ups racing for an invite of 3 uses: exactly 3 accounts', async () => {
    const invite = await newInvite({ maxUses: 3 });
    const results = await Promise.all(Array.from({ length: 8 }, () => signUp({ inviteCode: invite.code })));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 403)).toHaveLength(5);
    const listed = (await call('GET', '/admin/invites', admin.token)).json().invites.find((i: { id: string }) => i.id === invite.id);
    expect(listed.uses).toBe(3);
  }, 30_000);

  it('a sign-up that fails (username taken) gives its invite use back', async () => {
    const invite = await newInvite({ maxUses: 1 });
    expectError(await signUp({ inviteCode: invite.code, username: plain.user.username }), 409, 'username_taken');
    expect((await signUp({ inviteCode: invite.code })).statusCode).toBe(201);
  });

  it('refuses bad invite bodies (400) and non-admins (403)', async () => {
    for (const body of [{ expiresInHours: 0 }, { expiresInHours: 8761 }, { maxUses: 0 }, { maxUses: 1001 }, { maxUses: 1.5 }, { other: 1 }]) {
      expect((await call('POST', '/admin/invites', admin.token, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await call('POST', '/admin/invites', plain.token, {})).statusCode).toBe(403);
    expect((await call('GET', '/admin/invites', plain.token)).statusCode).toBe(403);
    const unlimited = await newInvite({ maxUses: null, expiresInHours: 8760 });
    expect(unlimited.maxUses).toBeNull();
  });

  it('lists invites newest first, page by page', async () => {
    const made = [await newInvite(), await newInvite(), await newInvite()];
    const first = (await call('GET', '/admin/invites?limit=2', admin.token)).json();
    expect(first.invites.map((i: { id: string }) => i.id)).toEqual([made[2]!.id, made[1]!.id]);
    const second = (await call('GET', `/admin/invites?limit=2&cursor=${first.nextCursor}`, admin.token)).json();
    expect(second.invites[0].id).toBe(made[0]!.id);
    expect((await call('GET', '/admin/invites?cursor=garbage', admin.token)).statusCode).toBe(400);
  });
});

describe('e-mail domain sign-up', () => {
  beforeAll(() => setMode({ signupMode: 'domain', allowedEmailDomains: ['example.com', 'corp.example.org'] }));
  afterAll(() => setMode({ signupMode: 'open', allowedEmailDomains: [] }));

  it('needs an address in an allowed domain (compared case-insensitively, sub-domains excluded)', async () => {
    expectError(await signUp({}), 403, 'email_domain_not_allowed');
    expectError(await signUp({ email: `${uniqueName('x')}@elsewhere.net` }), 403, 'email_domain_not_allowed');
    expectError(await signUp({ email: `${uniqueName('x')}@sub.example.com` }), 403, 'email_domain_not_allowed');
    const ok = await signUp({ email: `${uniqueName('Grace')}@Example.COM` });
    expect(ok.statusCode, ok.body).toBe(201);
    expect((await signUp({ email: `${uniqueName('x')}@corp.example.org` })).statusCode).toBe(201);
  });

  it('an invite admits someone outside the domains; a bad invite does not', async () => {
    const invite = await newInvite({ maxUses: 1 });
    expectError(await signUp({ email: `${uniqueName('x')}@elsewhere.net`, inviteCode: 'bogus' }), 403, 'invite_invalid');
    const res = await signUp({ email: `${uniqueName('x')}@elsewhere.net`, inviteCode: invite.code });
    expect(res.statusCode, res.body).toBe(201);
    expect((await signUp({ inviteCode: invite.code })).statusCode).toBe(403);
  });
});

describe('PUT /users/me/email', () => {
  it('changes the address with the password; wrong password 403 wrong_password; taken 409 email_taken', async () => {
    const me = await register(t.app, uniqueName('em'));
    const email = `${uniqueName('New')}@Example.net`;
    expectError(await call('PUT', '/users/me/email', me.token, { email, password: 'wrong password' }), 403, 'wrong_password');
    const res = await call('PUT', '/users/me/email', me.token, { email, password: PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: me.user.id, email });
    expect((await call('GET', '/users/me', me.token)).json().email).toBe(email);
    const other = await register(t.app, uniqueName('em2'));
    expectError(await call('PUT', '/users/me/email', other.token, { email: email.toLowerCase(), password: PASSWORD }), 409, 'email_taken');
    expectError(await call('PUT', '/users/me/email', other.token, { email: 'not an address', password: PASSWORD }), 400, 'validation_failed');
  });

  it('an account without a password (a bot) cannot change it this way', async () => {
    // A bot token with the `account` scope (without it, the scope is what refuses: 403 forbidden).
    const bot = (await call('POST', '/bots', plain.token, { username: uniqueName('embot'), scopes: ['read', 'account'] })).json();
    const res = await call('PUT', '/users/me/email', bot.token, { email: `${uniqueName('b')}@example.com`, password: 'anything at all' });
    expectError(res, 403, 'password_not_set');
    expect(res.json().error.message).toMatch(/no password/);
  });
});

describe('password reset without an e-mail server', () => {
  it('is 503 unavailable, saying e-mail is not configured', async () => {
    const res = await call('POST', '/auth/password-reset', null, { login: plain.user.username });
    expectError(res, 503, 'unavailable');
    expect(res.json().error.message).toMatch(/e-mail|SMTP/);
  });
});
