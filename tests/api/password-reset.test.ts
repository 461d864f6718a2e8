/**
 * Password change and password reset by e-mail (issue 10), with a real SMTP server on loopback
 * (tests/helpers/smtp-sink.ts) as the peer: the mail arrives, its link's code works once, expired
 * and superseded codes fail, sessions are revoked (sockets closed, API tokens kept), and the
 * answer for an unknown account is the same as for a known one.
 */
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { repositories } from '../../src/db/repositories/index.js';
import { apiCaller, auth, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';
import { expectError } from '../helpers/kit.js';

const PASSWORD = 'correct horse';
const NEW_PASSWORD = 'battery staple 电池';
const PUBLIC_URL = 'https://chat.example.test';
let smtp: SmtpSink;
let s: TestServer;

beforeAll(async () => {
  smtp = await startSmtpSink();
  s = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'Parley <parley@example.test>', PUBLIC_URL });
}, 60_000);
afterAll(async () => {
  await s?.close();
  await smtp?.close();
});

const callOn = (t: TestApp) => apiCaller(() => t.app);
const call = apiCaller(() => s.app);

async function person(t: TestApp = s, withEmail = true): Promise<Account & { email: string }> {
  const username = uniqueName('pr');
  const email = `${username}@Example.test`;
  const res = await callOn(t)('POST', '/auth/register', null, { username, password: PASSWORD, ...(withEmail ? { email } : {}) });
  expect(res.statusCode, res.body).toBe(201);
  return { ...(res.json() as Account), email };
}
const login = (username: string, password: string, t: TestApp = s) => callOn(t)('POST', '/auth/login', null, { username, password });
const me = (token: string) => call('GET', '/users/me', token);
/** Until the reset e-mails requested so far are sent or refused (the service's drain, as the app runs it at close). */
const resetsSent = (t: TestApp = s) => t.app.services.accountSecurity.drain();
const mailTo = (email: string, after = 0) => smtp.waitFor((m) => m.to.includes(email.toLowerCase()) && smtp.mails.indexOf(m) >= after);
const codeOf = (mail: ReceivedMail): string => {
  const m = /\/#\/reset\/([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!m) throw new Error(`no reset link in ${mail.text}`);
  return m[1]!;
};

describe('password reset by e-mail', () => {
  it('e-mails a one-hour link; its code sets the password once and signs out every login session (API tokens kept)', async () => {
    const u = await person();
    const other = (await login(u.user.username, PASSWORD)).json().token as string;
    const apiToken = (await call('POST', '/users/me/tokens', u.token, { name: 'script' })).json().token as string;
    const ws = await WsClient.connect(s.wsUrl, other);
    const apiWs = await WsClient.connect(s.wsUrl, apiToken);

    const before = smtp.mails.length;
    const res = await call('POST', '/auth/password-reset', null, { login: u.user.username });
    expect(res.statusCode).toBe(202);
    const mail = await mailTo(u.email, before);
    expect(mail.from).toBe('parley@example.test');
    expect(mail.subject).toContain(u.user.username);
    expect(mail.text).toContain(u.user.username);
    expect(mail.text).toContain(`${PUBLIC_URL}/#/reset/`);
    expect(mail.text).toMatch(/one hour/);
    const code = codeOf(mail);
    expect(code.length).toBeGreaterThanOrEqual(22);

    expect((await call('POST', '/auth/password-reset/confirm', null, { code, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    expect(await ws.closed).toBe(4401);
    for (const token of [u.token, other]) expectError(await me(token), 401, 'unauthorized');
    expect((await me(apiToken)).statusCode).toBe(200);
    expect(apiWs.closeCode).toBeNull();
    apiWs.close();
    expectError(await login(u.user.username, PASSWORD), 401, 'invalid_credentials');
    expect((await login(u.user.username, NEW_PASSWORD)).statusCode).toBe(200);

    // Single use.
    expectError(await call('POST', '/auth/password-reset/confirm', null, { code, newPassword: 'yet another one' }), 400, 'reset_code_invalid');
    expect((await login(u.user.username, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('writes the e-mail in the language the account chose (Simplified Chinese), the link unchanged', async () => {
    const u = await person();
    const patched = await s.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(u.token), payload: { locale: 'zh-CN' } });
    expect(patched.statusCode, patched.body).toBe(200);
    const before = smtp.mails.length;
    await call('POST', '/auth/password-reset', null, { login: u.user.username });
    const mail = await mailTo(u.email, before);
    expect(mail.subject).toBe(`重置你的 Parley 密码（${u.user.username}）`);
    expect(mail.text).toContain('请在一小时内打开此链接');
    expect(mail.text).not.toMatch(/one hour/);
    expect((await call('POST', '/auth/password-reset/confirm', null, { code: codeOf(mail), newPassword: NEW_PASSWORD })).statusCode).toBe(204);
  });

  it('is audited as user.password_reset via e-mail', async () => {
    const u = await person();
    const before = smtp.mails.length;
    await call('POST', '/auth/password-reset', null, { login: u.user.username });
    const code = codeOf(await mailTo(u.email, before));
    expect((await call('POST', '/auth/password-reset/confirm', null, { code, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    const rows = await s.database.db.execute(sql`SELECT actor_id, details FROM audit_log WHERE action = 'user.password_reset' AND target_user_id = ${u.user.id}`);
    const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as { actor_id: string; details: unknown }[];
    expect(list).toHaveLength(1);
    expect(list[0]!.actor_id).toBe(u.user.id);
    expect(list[0]!.details).toEqual({ via: 'email' });
  });

  it('lets the owner of an account an import made claim it: the link sets its first password and activates it', async () => {
    const name = uniqueName('imp');
    const email = `${name}@example.test`;
    const repos = repositories(s.database.db);
    const imported = (await repos.imports.insertUser({ id: newId(), username: name, displayName: 'Imported', email, passwordHash: null, deactivatedAt: new Date() }))!;
    await repos.imports.insertKeys([{ source: 'mattermost', kind: 'user', externalId: name, parleyId: imported.id, claimable: true }]);
    expect((await login(name, NEW_PASSWORD)).statusCode).not.toBe(200);
    const before = smtp.mails.length;
    expect((await call('POST', '/auth/password-reset', null, { login: email })).statusCode).toBe(202);
    const code = codeOf(await mailTo(email, before));
    expect((await call('POST', '/auth/password-reset/confirm', null, { code, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    expect((await login(name, NEW_PASSWORD)).statusCode).toBe(200);
    expect(await repos.imports.isClaimable(imported.id)).toBe(false);
    const rows = await s.database.db.execute(sql`SELECT action FROM audit_log WHERE target_user_id = ${imported.id}`);
    const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as { action: string }[];
    expect(list.map((r) => r.action)).toEqual(['user.claimed']);
  });

  it('sends nothing to a deactivated account that no import made (deactivation still shuts password resets)', async () => {
    const u = await person();
    const repos = repositories(s.database.db);
    await repos.users.setAdminState(u.user.id, { deactivatedAt: new Date() });
    const before = smtp.mails.length;
    expect((await call('POST', '/auth/password-reset', null, { login: u.email })).statusCode).toBe(202);
    await resetsSent();
    expect(smtp.mails.slice(before).filter((m) => m.to.includes(u.email.toLowerCase()))).toHaveLength(0);
  });

  it('does not reopen an imported account a site admin deactivated', async () => {
    const admin = await person();
    const repos = repositories(s.database.db);
    await repos.users.setAdminState(admin.user.id, { siteAdmin: true });
    const name = uniqueName('imp');
    const email = `${name}@example.test`;
    const imported = (await repos.imports.insertUser({ id: newId(), username: name, displayName: 'Imported', email, passwordHash: null, deactivatedAt: new Date() }))!;
    await repos.imports.insertKeys([{ source: 'slack', kind: 'user', externalId: `U${name}`, parleyId: imported.id, claimable: true }]);
    expect((await call('POST', `/admin/users/${imported.id}/reactivate`, admin.token)).statusCode).toBe(204);
    expect((await call('POST', `/admin/users/${imported.id}/deactivate`, admin.token)).statusCode).toBe(204);
    const before = smtp.mails.length;
    expect((await call('POST', '/auth/password-reset', null, { login: email })).statusCode).toBe(202);
    await resetsSent();
    expect(smtp.mails.slice(before).filter((m) => m.to.includes(email))).toHaveLength(0);
    expect(await repos.imports.isClaimable(imported.id)).toBe(false);
  });

  it('accepts the e-mail address (any case) instead of the username', async () => {
    const u = await person();
    const before = smtp.mails.length;
    expect((await call('POST', '/auth/password-reset', null, { login: u.email.toUpperCase() })).statusCode).toBe(202);
    const mail = await mailTo(u.email, before);
    expect(mail.text).toContain(u.user.username);
  });

  it('an expired code fails', async () => {
    const u = await person();
    const before = smtp.mails.length;
    await call('POST', '/auth/password-reset', null, { login: u.user.username });
    const code = codeOf(await mailTo(u.email, before));
    await s.database.db.execute(sql`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = ${u.user.id}`);
    expectError(await call('POST', '/auth/password-reset/confirm', null, { code, newPassword: NEW_PASSWORD }), 400, 'reset_code_invalid');
    expect((await login(u.user.username, PASSWORD)).statusCode).toBe(200);
  });

  it('a new code invalidates the older one; changing the password invalidates unused codes', async () => {
    const u = await person();
    let before = smtp.mails.length;
    await call('POST', '/auth/password-reset', null, { login: u.user.username });
    const first = codeOf(await mailTo(u.email, before));
    before = smtp.mails.length;
    await call('POST', '/auth/password-reset', null, { login: u.user.username });
    const second = codeOf(await mailTo(u.email, before));
    expect(second).not.toBe(first);
    expectError(await call('POST', '/auth/password-reset/confirm', null, { code: first, newPassword: NEW_PASSWORD }), 400, 'reset_code_invalid');

    expect((await call('POST', '/users/me/password', u.token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    expectError(await call('POST', '/auth/password-reset/confirm', null, { code: second, newPassword: 'something else' }), 400, 'reset_code_invalid');
  });

  it('answers an unknown account exactly like a known one, and sends nothing for it', async () => {
    const u = await person();
    const noEmail = await person(s, false);
    const answers: LightMyRequestResponse[] = [];
    const before = smtp.mails.length;
    for (const loginName of [u.user.username, uniqueName('nobody'), 'nobody@nowhere.example', noEmail.user.username]) {
      answers.push(await call('POST', '/auth/password-reset', null, { login: loginName }));
    }
    const shape = (r: LightMyRequestResponse) => ({ status: r.statusCode, body: r.body, type: r.headers['content-type'] ?? null, length: r.headers['content-length'] ?? null });
    for (const a of answers) expect(shape(a)).toEqual(shape(answers[0]!));
    expect(answers[0]!.statusCode).toBe(202);
    await mailTo(u.email, before);
    await resetsSent();
    expect(smtp.mails.slice(before).map((m) => m.to)).toEqual([[u.email.toLowerCase()]]);
  });

  it('a failing SMTP server neither delays nor fails the request', async () => {
    const u = await person();
    smtp.setRefusing(true);
    try {
      const started = Date.now();
      const res = await call('POST', '/auth/password-reset', null, { login: u.user.username });
      expect(res.statusCode).toBe(202);
      expect(Date.now() - started).toBeLessThan(2000);
      // The refused attempt is made (and logged) before the server accepts mail again.
      await resetsSent();
    } finally {
      smtp.setRefusing(false);
    }
  });

  it('refuses bad input with 400 and unknown codes with reset_code_invalid', async () => {
    expectError(await call('POST', '/auth/password-reset', null, {}), 400, 'validation_failed');
    expectError(await call('POST', '/auth/password-reset', null, { login: '' }), 400, 'validation_failed');
    expectError(await call('POST', '/auth/password-reset/confirm', null, { code: 'x', newPassword: 'short' }), 400, 'validation_failed');
    expectError(await call('POST', '/auth/password-reset/confirm', null, { code: 'not-a-code', newPassword: NEW_PASSWORD }), 400, 'reset_code_invalid');
  });

  it('GET /auth/options says a password reset is available', async () => {
    expect((await call('GET', '/auth/options')).json()).toEqual({ signupMode: 'open', passwordReset: true, oidc: null });
  });
});

describe('password change', () => {
  it('needs the current password (403 wrong_password, not 401) and signs out only the other login sessions', async () => {
    const u = await person();
    const other = (await login(u.user.username, PASSWORD)).json().token as string;
    const apiToken = (await call('POST', '/users/me/tokens', u.token, { name: 'bot' })).json().token as string;
    const otherWs = await WsClient.connect(s.wsUrl, other);
    const ownWs = await WsClient.connect(s.wsUrl, u.token);

    expectError(await call('POST', '/users/me/password', u.token, { currentPassword: 'wrong password', newPassword: NEW_PASSWORD }), 403, 'wrong_password');
    expect((await me(other)).statusCode).toBe(200);
    expectError(await call('POST', '/users/me/password', u.token, { currentPassword: PASSWORD, newPassword: 'short' }), 400, 'validation_failed');

    expect((await call('POST', '/users/me/password', u.token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    expect(await otherWs.closed).toBe(4401);
    expectError(await me(other), 401, 'unauthorized');
    expect((await me(u.token)).statusCode).toBe(200);
    expect((await me(apiToken)).statusCode).toBe(200);
    // The other session's socket is closed already; this one still answers a ping after it.
    expect(await ownWs.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(ownWs.closeCode).toBeNull();
    ownWs.close();
    expectError(await login(u.user.username, PASSWORD), 401, 'invalid_credentials');
    expect((await login(u.user.username, NEW_PASSWORD)).statusCode).toBe(200);
  });
});

describe('rate limits', () => {
  let r: TestApp;
  beforeAll(async () => {
    r = await startTestApp({
      SMTP_URL: smtp.url,
      RATE_LIMIT: 'on',
      RATE_LIMIT_REGISTER_PER_IP: 'off',
      RATE_LIMIT_PASSWORD_RESET_PER_IP: '4/min',
      RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT: '1/h',
      RATE_LIMIT_PASSWORD_CHANGE_PER_ACCOUNT: '2/min',
    });
  }, 60_000);
  afterAll(() => r?.close());

  it('limits reset e-mails per account silently (same 202) and requests per address with 429', async () => {
    const u = await person(r);
    const before = smtp.mails.length;
    const first = await callOn(r)('POST', '/auth/password-reset', null, { login: u.user.username });
    const second = await callOn(r)('POST', '/auth/password-reset', null, { login: u.email });
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    await mailTo(u.email, before);
    await resetsSent(r);
    expect(smtp.mails.slice(before).filter((m) => m.to.includes(u.email.toLowerCase()))).toHaveLength(1);
    await callOn(r)('POST', '/auth/password-reset', null, { login: uniqueName('x') });
    await callOn(r)('POST', '/auth/password-reset', null, { login: uniqueName('x') });
    const limited = await callOn(r)('POST', '/auth/password-reset', null, { login: uniqueName('x') });
    expectError(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('limits password change attempts per account', async () => {
    const u = await person(r);
    const attempt = () => callOn(r)('POST', '/users/me/password', u.token, { currentPassword: 'wrong guess', newPassword: NEW_PASSWORD });
    expectError(await attempt(), 403, 'wrong_password');
    expectError(await attempt(), 403, 'wrong_password');
    expectError(await attempt(), 429, 'rate_limited');
  });

  it('limits password guesses at account deletion (DELETE /users/me) with the same budget', async () => {
    const u = await person(r);
    const attempt = () => callOn(r)('DELETE', '/users/me', u.token, { password: 'wrong guess' });
    expectError(await attempt(), 403, 'wrong_password');
    expectError(await attempt(), 403, 'wrong_password');
    expectError(await attempt(), 429, 'rate_limited');
    expect((await callOn(r)('GET', '/users/me', u.token, undefined)).statusCode).toBe(200);
  });
});
