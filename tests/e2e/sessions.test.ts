/**
 * The web client's cookie session and the Sessions dialog in real browsers: one person signs in
 * in two browsers, scripts cannot read the session, the dialog lists both devices, and signing
 * the other one out sends that browser back to the login screen at once.
 */
import { describe, expect, it } from 'vitest';
import { dbKind, uniqueName } from '../helpers/app.js';
import { PASSWORD, registerInUi, screenshot, useE2e, waitOnline } from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: sessions', () => {
  const e2e = useE2e();

  it('keeps the session in an HttpOnly cookie, lists both browsers, and signing the other out returns it to the login screen', { timeout: 120_000 }, async () => {
    const username = uniqueName('dev');
    const laptop = await e2e.newPage('laptop');
    await registerInUi(laptop.page, username, 'Dev 设备');

    // The token is not visible to scripts, nor kept in storage.
    expect(await laptop.page.evaluate('document.cookie')).not.toContain('parley_session');
    expect(await laptop.page.evaluate('JSON.stringify({ ...localStorage })')).not.toMatch(/token/i);
    const cookies = await laptop.context.cookies();
    const session = cookies.find((c) => c.name === 'parley_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');

    // A reload keeps the session (GET /auth/session), and the page can still change things (CSRF token).
    await laptop.page.reload();
    await waitOnline(laptop.page);
    await expect.poll(() => laptop.page.getByTestId('me-name').textContent()).toBe('Dev 设备');

    // The same person signs in on a second browser.
    const phone = await e2e.newPage('phone');
    // Once signed out from elsewhere, its requests in flight get 401s.
    phone.tolerated.push(/status of 401/);
    await phone.page.goto('/');
    await phone.page.getByTestId('auth-username').fill(username);
    await phone.page.getByTestId('auth-password').fill(PASSWORD);
    await phone.page.getByTestId('auth-submit').click();
    await waitOnline(phone.page);

    // The laptop's Sessions dialog lists both, this one marked.
    await openProfile(laptop.page);
    await laptop.page.getByTestId('open-sessions').click();
    const dialog = laptop.page.getByTestId('sessions-dialog');
    await expect.poll(() => dialog.getByTestId('session-row').count()).toBe(2);
    const current = dialog.locator('[data-testid="session-row"][data-current="true"]');
    await expect.poll(() => current.count()).toBe(1);
    expect(await current.getByTestId('session-current').textContent()).toBe('this device');
    expect(await dialog.getByTestId('session-device').first().textContent()).toMatch(/Chrome on Linux|Chrome/);
    await screenshot(laptop.page, 'sessions-dialog');

    // Signing the other browser out: it is back at the login screen without a reload.
    await dialog.locator('[data-testid="session-row"][data-current="false"]').getByTestId('session-revoke').click();
    await phone.page.getByTestId('auth-screen').waitFor();
    await expect.poll(() => dialog.getByTestId('session-row').count()).toBe(1);
    // The laptop stays signed in.
    await waitOnline(laptop.page);
    expect(await laptop.page.getByTestId('auth-screen').count()).toBe(0);
  });
});

/** Opens the profile dialog from the account menu. */
async function openProfile(page: import('playwright-core').Page): Promise<void> {
  const item = page.getByTestId('open-profile');
  if (!(await item.isVisible())) await page.getByTestId('account-menu-button').click();
  await item.click();
  await page.getByTestId('profile-dialog').waitFor();
}
