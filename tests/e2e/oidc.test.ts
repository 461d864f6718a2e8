/**
 * Single sign-on in a real browser: "Sign in with Test SSO" on the sign-in screen, the login page
 * of a real OpenID Connect provider (oidc-provider on loopback), and back signed in; a sign-in
 * cancelled at the provider comes back to the sign-in screen with the reason shown.
 *
 * The app is reached as http://localhost:PORT and the provider as http://127.0.0.1:PORT: two
 * different sites, so the callback is a cross-site navigation as in production (the state
 * cookie must be SameSite=Lax for it to arrive).
 */
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dbKind, startTestApp, uniqueName, type TestApp } from '../helpers/app.js';
import { ensureWebClientBuilt, launchChromium, screenshot, waitOnline } from '../helpers/browser.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe.runIf(dbKind === 'pglite')('e2e: single sign-on (OpenID Connect)', () => {
  let provider: TestOidcProvider;
  let t: TestApp;
  let browser: Browser;
  let appUrl = '';
  const problems: string[] = [];
  const contexts: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    const distDir = await ensureWebClientBuilt();
    provider = await startOidcProvider();
    const port = await freePort();
    appUrl = `http://localhost:${port}`;
    provider.setRedirectUri(`${appUrl}/api/v1/auth/oidc/callback`);
    t = await startTestApp(
      {
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: provider.clientId,
        OIDC_CLIENT_SECRET: provider.clientSecret,
        OIDC_DISPLAY_NAME: 'Test SSO',
        PUBLIC_URL: appUrl,
      },
      { web: { distDir } },
    );
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  }, 180_000);

  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
    const seen = problems.splice(0);
    if (seen.length > 0) throw new Error(`the pages logged errors:\n${seen.join('\n')}`);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await provider?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ baseURL: appUrl, locale: 'en-US', viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const where = msg.location().url ?? '';
      // Signed out, the client's "who am I?" is a 401; the test provider's page has no favicon.
      if (where.includes('/api/v1/auth/session') || where.startsWith(provider.issuer)) return;
      problems.push(`console.error: ${msg.text()} (${where})`);
    });
    page.on('pageerror', (err) => problems.push(`uncaught: ${err.stack ?? err.message}`));
    return page;
  }

  it('signs in with the provider from the sign-in screen and lands in the chat, signed in', { timeout: 90_000 }, async () => {
    const sub = uniqueName('sso');
    provider.accounts.set(sub, { preferred_username: sub, name: 'Ada Lovelace 艾达', email: `${sub}@example.com`, email_verified: true });
    const page = await newPage();
    await page.goto('/');
    await page.getByTestId('auth-screen').waitFor();
    const button = page.getByTestId('oidc-sign-in');
    await expect.poll(() => button.textContent()).toBe('Sign in with Test SSO');
    await screenshot(page, 'oidc-sign-in');
    await button.click();

    // The provider's own login page.
    await page.getByTestId('provider-login').fill(sub);
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    await page.getByTestId('provider-submit').click();

    await page.getByTestId('app').waitFor();
    await waitOnline(page);
    expect(new URL(page.url()).pathname).toBe('/');
    await expect.poll(() => page.getByTestId('me-name').textContent()).toBe('Ada Lovelace 艾达');
    // A reload keeps the session (the HttpOnly cookie).
    await page.reload();
    await page.getByTestId('app').waitFor();
    await waitOnline(page);
  });

  it('comes back to the sign-in screen with the reason when the sign-in is cancelled at the provider', { timeout: 60_000 }, async () => {
    const sub = uniqueName('cancel');
    provider.accounts.set(sub, { preferred_username: sub });
    const page = await newPage();
    await page.goto('/');
    await page.getByTestId('oidc-sign-in').click();
    await page.getByTestId('provider-cancel').click();
    await page.getByTestId('auth-screen').waitFor();
    const error = page.getByTestId('oidc-error');
    await expect.poll(() => error.textContent()).toBe('Sign-in was cancelled at the provider.');
    expect(await error.getAttribute('data-code')).toBe('oidc_denied');
    // The message is shown once: the address no longer carries it.
    expect(new URL(page.url()).hash).toBe('');
    await screenshot(page, 'oidc-error');
  });
});
