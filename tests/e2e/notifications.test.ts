/**
 * Notifications in the web client (issue 10): the conversation header's 🔔 menu sets the level
 * (kept across a reload, and changed live when another device changes it), Mute dims the conversation in the inbox and leaves it out of the
 * title's unread count, the Notifications dialog changes the e-mail digest, and the service
 * worker is served at /sw.js and registered for scope /. (A real push through Chromium's own
 * push service cannot work offline; the push path is tested against a loopback push service in
 * tests/api/push-notifications.test.ts.)
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { createAccount, createGroupApi, inboxItem, openConversation, postMessageApi, screenshot, useE2e, waitOnline } from '../helpers/browser.js';

async function api<T>(e2e: ReturnType<typeof useE2e>, token: string, method: 'GET' | 'PATCH', url: string): Promise<T> {
  const res = await e2e.server.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}

async function chooseLevel(page: Page, testId: string): Promise<void> {
  await page.getByTestId('notify-menu-button').click();
  await page.getByTestId('notify-menu').waitFor();
  await page.getByTestId(testId).click();
}

describe.runIf(dbKind === 'pglite')('e2e: notifications', () => {
  const e2e = useE2e({}, { serviceWorker: true });

  it('the 🔔 menu sets the level (kept across a reload); Mute dims the conversation and leaves it out of the title count', { timeout: 120_000 }, async () => {
    const [alice, bob] = await Promise.all([createAccount(e2e.server, 'alice', 'Alice'), createAccount(e2e.server, 'bob', 'Bob 鲍勃')]);
    const quiet = await createGroupApi(e2e.server, alice, { name: 'Quiet 安静', memberIds: [bob.user.id] });
    const loud = await createGroupApi(e2e.server, alice, { name: 'Loud 🔊', memberIds: [bob.user.id] });
    const home = await createGroupApi(e2e.server, alice, { name: 'Home', memberIds: [bob.user.id] });
    const { page } = await e2e.newPage('alice', { account: alice });

    // A group defaults to mentions.
    await openConversation(page, quiet);
    const button = page.getByTestId('notify-menu-button');
    await expect.poll(() => button.getAttribute('data-level')).toBe('mentions');
    await chooseLevel(page, 'notify-level-all');
    await expect.poll(() => button.getAttribute('data-level')).toBe('all');
    await screenshot(page, 'notify-menu-all');
    const stored = await api<{ notifyLevel: string; muted: boolean }>(e2e, alice.token, 'GET', `/conversations/${quiet}`);
    expect(stored).toMatchObject({ notifyLevel: 'all', muted: false });

    // Kept across a reload.
    await page.reload();
    await waitOnline(page);
    await openConversation(page, quiet);
    await expect.poll(() => page.getByTestId('notify-menu-button').getAttribute('data-level')).toBe('all');

    // Changed on another device: shown here at once, without a reload.
    const elsewhere = async (level: string) => {
      const res = await e2e.server.app.inject({
        method: 'PUT',
        url: `/api/v1/conversations/${quiet}/notifications`,
        headers: { authorization: `Bearer ${alice.token}` },
        payload: { level },
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    await elsewhere('none');
    await expect.poll(() => page.getByTestId('notify-menu-button').getAttribute('data-level')).toBe('none');
    await elsewhere('all');
    await expect.poll(() => page.getByTestId('notify-menu-button').getAttribute('data-level')).toBe('all');

    // Mute: the inbox entry is dimmed and marked.
    await chooseLevel(page, 'notify-mute');
    await expect.poll(() => page.getByTestId('notify-menu-button').getAttribute('data-muted')).toBe('true');
    const item = inboxItem(page, quiet);
    await expect.poll(() => item.getAttribute('data-muted')).toBe('true');
    expect(Number(await page.evaluate<string>(`getComputedStyle(document.querySelector('[data-testid="inbox-item"][data-conversation-id="${quiet}"]')).opacity`))).toBeLessThan(1);
    expect(await api<{ muted: boolean }>(e2e, alice.token, 'GET', `/conversations/${quiet}`)).toMatchObject({ muted: true });

    // Unread in the muted group does not count in the title; unread in another group does.
    await openConversation(page, home);
    await postMessageApi(e2e.server, bob, quiet, 'psst 🤫');
    await expect.poll(() => item.getAttribute('data-unread')).toBe('1');
    await page.waitForTimeout(300);
    expect(await page.title()).toBe('Parley');
    await postMessageApi(e2e.server, bob, loud, 'HELLO 👋');
    await expect.poll(() => inboxItem(page, loud).getAttribute('data-unread')).toBe('1');
    await expect.poll(() => page.title()).toBe('(1) Parley');
    await screenshot(page, 'notify-muted-inbox');

    // "Nothing" in a direct conversation, whose default is all.
    const direct = await e2e.server.app.inject({
      method: 'POST',
      url: '/api/v1/conversations/direct',
      headers: { authorization: `Bearer ${alice.token}` },
      payload: { userId: bob.user.id },
    });
    const directId = (direct.json() as { id: string }).id;
    await page.reload();
    await waitOnline(page);
    await openConversation(page, directId);
    await expect.poll(() => page.getByTestId('notify-menu-button').getAttribute('data-level')).toBe('all');
    await chooseLevel(page, 'notify-level-none');
    await expect.poll(() => page.getByTestId('notify-menu-button').getAttribute('data-level')).toBe('none');
    expect(await api<{ notifyLevel: string }>(e2e, alice.token, 'GET', `/conversations/${directId}`)).toMatchObject({ notifyLevel: 'none' });
  });

  it('the Notifications dialog changes the e-mail digest; /sw.js is served and registered for scope /', { timeout: 90_000 }, async () => {
    const alice = await createAccount(e2e.server, 'alice', 'Alice');
    const { page } = await e2e.newPage('alice', { account: alice });

    const sw = await page.request.get('/sw.js');
    expect(sw.status()).toBe(200);
    expect(sw.headers()['content-type']).toMatch(/^text\/javascript/);
    expect(sw.headers()['cache-control']).toBe('no-cache');
    expect(await sw.text()).toContain("addEventListener('push'");
    const scope = await page.evaluate<string>('navigator.serviceWorker.ready.then((r) => r.scope)');
    expect(scope).toBe(`${e2e.server.httpUrl}/`);

    const item = page.getByTestId('open-profile');
    if (!(await item.isVisible())) await page.getByTestId('account-menu-button').click();
    await item.click();
    await page.getByTestId('profile-dialog').waitFor();
    await page.getByTestId('open-notification-settings').click();
    const dialog = page.getByTestId('notification-settings-dialog');
    await dialog.waitFor();
    const email = dialog.getByTestId('notify-email-toggle');
    await expect.poll(() => email.isChecked()).toBe(true);
    await expect.poll(() => dialog.getByTestId('notify-push-toggle').isVisible()).toBe(true);
    await dialog.getByTestId('notify-email-delay').selectOption('60');
    await expect.poll(async () => (await api<{ emailDigestDelayMinutes: number }>(e2e, alice.token, 'GET', '/users/me/notification-prefs')).emailDigestDelayMinutes).toBe(60);
    await email.uncheck();
    await expect.poll(async () => (await api<{ emailDigest: boolean }>(e2e, alice.token, 'GET', '/users/me/notification-prefs')).emailDigest).toBe(false);
    await screenshot(page, 'notification-settings');
  });
});
