/**
 * Sign-up control in the browser: a site admin makes sign-up invite-only and creates an invite
 * link in the Administration dialog; a new person opens the link and signs up. Then a forgotten
 * password: "Forgot password?", the link from the e-mail (a real SMTP server on loopback), a new
 * password, and signing in with it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dbKind, uniqueName } from '../helpers/app.js';
import { PASSWORD, createAccount, screenshot, useE2e, waitOnline } from '../helpers/browser.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

const smtp = await startSmtpSink();
/** A signed-out page asks whether a cookie holds a session (GET /auth/session): its 401 is expected there. */
const SIGNED_OUT_PROBE = /the server responded with a status of 401/;

describe.runIf(dbKind === 'pglite')('e2e: invite-only sign-up and password reset', () => {
  const e2e = useE2e({ SMTP_URL: smtp.url });
  afterAll(() => smtp.close());

  it('an admin creates an invite link in the Administration dialog; a new user signs up with it', { timeout: 120_000 }, async () => {
    // The first account of the server is its site admin.
    const adminAcc = await createAccount(e2e.server, 'boss', 'Boss');
    const admin = await e2e.newPage('admin', { account: adminAcc });
    await admin.page.getByTestId('account-menu-button').click();
    await admin.page.getByTestId('open-admin').click();
    const dialog = admin.page.getByTestId('admin-dialog');
    // Storage: the site's files (none yet) and its heaviest uploaders.
    await expect.poll(() => dialog.getByTestId('site-storage-meter').textContent()).toContain('0 B');
    await dialog.getByTestId('admin-mode-invite').check();
    await dialog.getByTestId('admin-signup-save').click();
    await expect.poll(async () => (await e2e.server.app.inject({ method: 'GET', url: '/api/v1/auth/options' })).json().signupMode).toBe('invite');

    await dialog.getByTestId('invite-max-uses').fill('1');
    await dialog.getByTestId('invite-create').click();
    const linkInput = dialog.getByTestId('invite-link');
    await linkInput.waitFor();
    const url = await linkInput.inputValue();
    expect(url).toMatch(/\/#\/invite\/[A-Za-z0-9_-]{22,}$/);
    await expect.poll(() => dialog.getByTestId('invite-row').count()).toBe(1);
    expect(await dialog.getByTestId('invite-state').first().textContent()).toBe('Active');
    await screenshot(admin.page, 'admin-invites');

    // Without the link, the sign-up form says the server is invite-only.
    const stranger = await e2e.newPage('stranger');
    stranger.tolerated.push(SIGNED_OUT_PROBE);
    await stranger.page.goto('/');
    await stranger.page.getByTestId('auth-mode-toggle').click();
    await stranger.page.getByTestId('signup-invite-only').waitFor();

    // With it: the form opens on sign-up, says the invite is good, and the account is created.
    const newcomer = await e2e.newPage('newcomer');
    newcomer.tolerated.push(SIGNED_OUT_PROBE);
    await newcomer.page.goto(`/${url.slice(url.indexOf('#'))}`);
    await newcomer.page.getByTestId('signup-invite-valid').waitFor();
    const username = uniqueName('newbie');
    await newcomer.page.getByTestId('auth-username').fill(username);
    await newcomer.page.getByTestId('auth-email').fill(`${username}@example.com`);
    await newcomer.page.getByTestId('auth-password').fill(PASSWORD);
    await screenshot(newcomer.page, 'signup-with-invite');
    await newcomer.page.getByTestId('auth-submit').click();
    await newcomer.page.getByTestId('app').waitFor();
    await waitOnline(newcomer.page);
    expect(await newcomer.page.evaluate('location.hash')).toBe('');

    // The invite is used up: a second person with the same link is told so.
    const late = await e2e.newPage('late');
    late.tolerated.push(SIGNED_OUT_PROBE);
    late.tolerated.push(/404|Failed to load resource/);
    await late.page.goto(`/${url.slice(url.indexOf('#'))}`);
    await late.page.getByTestId('signup-invite-invalid').waitFor();

    // Back to open sign-up for the next test.
    await dialog.getByTestId('admin-mode-open').check();
    await dialog.getByTestId('admin-signup-save').click();
    await expect.poll(async () => (await e2e.server.app.inject({ method: 'GET', url: '/api/v1/auth/options' })).json().signupMode).toBe('open');
  });

  it('"Forgot password?" e-mails a link; the link sets a new password, which then signs in', { timeout: 120_000 }, async () => {
    const username = uniqueName('forgetful');
    const email = `${username}@example.com`;
    const res = await e2e.server.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password: PASSWORD, email } });
    expect(res.statusCode, res.body).toBe(201);

    const user = await e2e.newPage('forgetful');
    user.tolerated.push(SIGNED_OUT_PROBE);
    await user.page.goto('/');
    await user.page.getByTestId('auth-forgot').click();
    await user.page.getByTestId('forgot-login').fill(username);
    await user.page.getByTestId('forgot-submit').click();
    await user.page.getByTestId('forgot-sent').waitFor();

    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const code = /\/#\/reset\/([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect(code).toBeTruthy();
    await user.page.goto(`/#/reset/${code}`);
    const newPassword = 'a much better password 密码';
    await user.page.getByTestId('reset-password-new').fill(newPassword);
    await user.page.getByTestId('reset-password-again').fill(newPassword);
    await screenshot(user.page, 'reset-password');
    await user.page.getByTestId('reset-submit').click();
    await user.page.getByTestId('auth-notice').waitFor();

    await user.page.getByTestId('auth-username').fill(username);
    await user.page.getByTestId('auth-password').fill(newPassword);
    await user.page.getByTestId('auth-submit').click();
    await user.page.getByTestId('app').waitFor();
    await waitOnline(user.page);

    // "Password and e-mail" in the profile: the address is shown, the password can be changed.
    await user.page.getByTestId('account-menu-button').click();
    await user.page.getByTestId('open-profile').click();
    await user.page.getByTestId('open-account-security').click();
    const security = user.page.getByTestId('account-security-dialog');
    await expect.poll(() => security.getByTestId('email-current').textContent()).toContain(email);
    await security.getByTestId('password-current').fill('not my password');
    await security.getByTestId('password-new').fill(PASSWORD);
    await security.getByTestId('password-again').fill(PASSWORD);
    user.tolerated.push(/403|Failed to load resource/);
    await security.getByTestId('password-save').click();
    await expect.poll(() => security.getByTestId('password-error').textContent()).toContain('current password is wrong');
    await security.getByTestId('password-current').fill(newPassword);
    await security.getByTestId('password-save').click();
    await expect.poll(async () => (await e2e.server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } })).statusCode).toBe(200);
    await screenshot(user.page, 'account-security');
  });

  it('a reset link opened while signed in shows the reset form, not the chat; the reset then signs this browser out', { timeout: 120_000 }, async () => {
    const username = uniqueName('signedin');
    const email = `${username}@example.com`;
    const res = await e2e.server.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password: PASSWORD, email } });
    expect(res.statusCode, res.body).toBe(201);
    const user = await e2e.newPage('signedin', { account: res.json() });
    user.tolerated.push(SIGNED_OUT_PROBE, /401|Failed to load resource/);
    await user.page.getByTestId('app').waitFor();

    const asked = await e2e.server.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { login: email } });
    expect(asked.statusCode).toBe(202);
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const code = /\/#\/reset\/([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    await user.page.goto(`/#/reset/${code}`);
    await user.page.getByTestId('reset-password').waitFor();
    expect(await user.page.getByTestId('app').count()).toBe(0);
    // "Back to Parley" leaves the link and returns to the chat.
    await user.page.getByTestId('reset-back').click();
    await user.page.getByTestId('app').waitFor();

    await user.page.goto(`/#/reset/${code}`);
    const newPassword = 'another fine password 密码';
    await user.page.getByTestId('reset-password-new').fill(newPassword);
    await user.page.getByTestId('reset-password-again').fill(newPassword);
    await user.page.getByTestId('reset-submit').click();
    await user.page.getByTestId('auth-screen').waitFor();
    expect(await user.page.evaluate<string>('location.hash')).toBe('');
    await user.page.getByTestId('auth-username').fill(username);
    await user.page.getByTestId('auth-password').fill(newPassword);
    await user.page.getByTestId('auth-submit').click();
    await user.page.getByTestId('app').waitFor();
  });
});
