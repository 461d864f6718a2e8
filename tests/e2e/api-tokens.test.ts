/** The API tokens dialog in a real browser: a token made with chosen scopes is shown once, works within them, and is revoked. */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { createAccount, useE2e } from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: API tokens', () => {
  const e2e = useE2e();

  it('creates a token with the scopes ticked, shows its secret once, and revokes it', { timeout: 120_000 }, async () => {
    const acc = await createAccount(e2e.server, 'tok', 'Tokens 令牌');
    const { page } = await e2e.newPage('tok', { account: acc });
    await page.getByTestId('account-menu-button').click();
    await page.getByTestId('open-profile').click();
    await page.getByTestId('open-api-tokens').click();
    const dialog = page.getByTestId('api-tokens-dialog');
    await dialog.getByTestId('token-name').fill('CI 通知');
    // Read and write are ticked by default; untick write, tick sessions.
    expect(await dialog.getByTestId('token-scope-write').isChecked()).toBe(true);
    expect(await dialog.getByTestId('token-scope-read').isDisabled()).toBe(true);
    await dialog.getByTestId('token-scope-write').uncheck();
    await dialog.getByTestId('token-scope-sessions').check();
    await dialog.getByTestId('token-create').click();
    const secret = await dialog.getByTestId('token-secret').inputValue();
    expect(secret).toMatch(/^parley_pat_/);
    await expect.poll(() => dialog.getByTestId('token-row-scopes').first().textContent()).toContain('read, sessions');

    const inject = (method: 'GET' | 'POST', url: string) => e2e.server.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${secret}` }, ...(method === 'POST' ? { payload: { name: 'g' } } : {}) });
    expect((await inject('GET', '/users/me/sessions')).statusCode).toBe(200);
    expect((await inject('POST', '/groups')).statusCode).toBe(403);

    await dialog.getByTestId('token-revoke').click();
    await expect.poll(() => dialog.getByTestId('token-row').count()).toBe(0);
    expect((await inject('GET', '/users/me')).statusCode).toBe(401);
  });
});
