/**
 * Keyboard, dark mode and 200 % zoom (issue 21) in Chromium: the quick switcher (Ctrl+K) opens a
 * conversation and a person, search moved to Ctrl+Shift+F and "/", Alt+↑/↓ step through the inbox
 * order (Alt+Shift: unread ones), Esc marks the conversation read, ↑ in an empty composer edits the
 * last message, ? lists the shortcuts; the theme chosen in the profile is applied (the background
 * changes), kept on the account and across a reload; at 640×400 CSS pixels (a 1280×800 window at
 * 200 %) the page never scrolls sideways and the inbox, header and composer stay reachable.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { dbKind } from '../helpers/app.js';
import { createAccount, createGroupApi, inboxItem, openConversation, postMessageApi, sendFromComposer, useE2e, waitOnline } from '../helpers/browser.js';

/** The conversation shown now. */
const openId = (page: Page) => page.locator('[data-testid="conversation"]').getAttribute('data-conversation-id');
/** The inbox, top to bottom: id and unread count. */
const inbox = (page: Page) =>
  page.locator('[data-testid="inbox-item"]').evaluateAll((els) => els.map((el) => ({ id: el.getAttribute('data-conversation-id')!, unread: Number(el.getAttribute('data-unread')) })));
/**
 * The page's globals these checks read inside page.evaluate, typed as far as they use them: the
 * test project compiles without the DOM library (it would retype Node's globals for every file).
 * Each page.evaluate casts globalThis itself: only the function's own text runs in the page.
 */
interface PageElement {
  getAttribute(name: string): string | null;
  blur(): void;
  scrollWidth: number;
  dataset: Record<string, string | undefined>;
}
interface PageGlobals {
  document: { body: PageElement; documentElement: PageElement; activeElement: PageElement | null };
  window: { innerWidth: number; innerHeight: number };
  getComputedStyle(element: PageElement): { backgroundColor: string };
}
const background = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).getComputedStyle((globalThis as unknown as PageGlobals).document.body).backgroundColor);
const LIGHT_BG = 'rgb(255, 255, 255)';
const DARK_BG = 'rgb(22, 24, 29)';

async function openProfile(page: Page): Promise<void> {
  await page.getByTestId('account-menu-button').click();
  await page.getByTestId('open-profile').click();
  await page.getByTestId('profile-dialog').waitFor();
}

describe.runIf(dbKind === 'pglite')('e2e: keyboard, theme and zoom', () => {
  const e2e = useE2e();

  it('has a quick switcher, inbox steps, Esc to read, ↑ to edit and a list of shortcuts', { timeout: 150_000 }, async () => {
    const alice = await createAccount(e2e.server, 'alice', 'Alice');
    const bob = await createAccount(e2e.server, 'bob', 'Bob');
    const carol = await createAccount(e2e.server, 'carol', 'Carol Zhang');
    const long = await createGroupApi(e2e.server, alice, { name: 'Long history 长', memberIds: [bob.user.id] });
    const quiet = await createGroupApi(e2e.server, alice, { name: 'Quiet corner', memberIds: [bob.user.id] });
    const planning = await createGroupApi(e2e.server, alice, { name: 'Planning 计划', memberIds: [bob.user.id] });
    // Long: many unread messages, more than one screen; Planning: one unread.
    for (let i = 1; i <= 40; i++) await postMessageApi(e2e.server, bob, long, `line ${i}`);
    await postMessageApi(e2e.server, bob, planning, 'agenda?');

    const { page } = await e2e.newPage('alice', { account: alice });
    await page.getByTestId('inbox-item').nth(2).waitFor();

    // Ctrl+K: a fuzzy match on names; Enter opens the selected one.
    await page.keyboard.press('Control+k');
    const switcher = page.getByTestId('quick-switcher');
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-testid'))).toBe('switcher-input');
    await page.keyboard.type('qcr');
    await expect.poll(() => switcher.getByTestId('switcher-item').first().textContent()).toBe('Quiet corner');
    await page.keyboard.press('Enter');
    await switcher.waitFor({ state: 'detached' });
    await expect.poll(() => openId(page)).toBe(quiet);

    // A person with no direct conversation yet: ↓ to them, Enter opens a new direct one.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('carol');
    const person = switcher.locator('[data-testid="switcher-item"][data-kind="person"]');
    await person.first().waitFor();
    expect(await person.first().textContent()).toContain('Carol Zhang');
    await page.keyboard.press('Enter');
    await switcher.waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('.inbox-item.active').textContent()).toContain('Carol Zhang');
    const direct = await openId(page);
    expect([long, quiet, planning]).not.toContain(direct);
    const conv = (await page.evaluate((id) => fetch(`/api/v1/conversations/${id}`).then((r) => r.json()), direct)) as { kind: string; peer: { id: string } };
    expect(conv).toMatchObject({ kind: 'direct', peer: { id: carol.user.id } });

    // Alt+↓ / Alt+↑: the next / previous conversation of the inbox order.
    let order = await inbox(page);
    expect(order).toHaveLength(4);
    const second = order[1]!.id;
    await openConversation(page, second);
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => openId(page)).toBe(order[2]!.id);
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => openId(page)).toBe(second);
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => openId(page)).toBe(order[0]!.id);

    // Alt+Shift+↓ / ↑: the next / previous unread one, skipping read ones.
    await openConversation(page, direct!);
    order = await inbox(page);
    const at = order.findIndex((c) => c.id === direct);
    const nextUnread = order.slice(at + 1).find((c) => c.unread > 0 && c.id !== direct);
    expect(nextUnread).toBeDefined();
    await page.keyboard.press('Alt+Shift+ArrowDown');
    await expect.poll(() => openId(page)).toBe(nextUnread!.id);

    // Esc marks the whole conversation read (opened at the first unread, most of it was not seen).
    await openConversation(page, long);
    expect(Number(await inboxItem(page, long).getAttribute('data-unread'))).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    await expect.poll(() => inboxItem(page, long).getAttribute('data-unread')).toBe('0');
    await expect
      .poll(async () => ((await page.evaluate((id) => fetch(`/api/v1/conversations/${id}`).then((r) => r.json()), long)) as { unreadCount: number }).unreadCount)
      .toBe(0);

    // ↑ in the empty composer edits your last message.
    await openConversation(page, quiet);
    await sendFromComposer(page, 'my last words');
    const input = page.getByTestId('composer-input');
    await input.focus();
    await input.press('ArrowUp');
    await expect.poll(() => input.inputValue()).toBe('my last words');
    await input.press('Escape');
    await expect.poll(() => input.inputValue()).toBe('');

    // "/" (not typing) opens search, as does Ctrl+Shift+F; "/" in the composer is just typed.
    await input.press('/');
    expect(await input.inputValue()).toBe('/');
    await input.fill('');
    await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.blur());
    await page.keyboard.press('/');
    await page.getByTestId('search-dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('search-dialog').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+Shift+f');
    await page.getByTestId('search-dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('search-dialog').waitFor({ state: 'detached' });

    // ?: the list of shortcuts, focus inside it, Esc closes it.
    await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.blur());
    await page.keyboard.press('?');
    const list = page.getByTestId('shortcuts-dialog');
    await list.waitFor();
    expect(await list.locator('tr').count()).toBeGreaterThanOrEqual(9);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-testid'))).toBe('shortcuts-close');
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'detached' });
  });

  it('applies the chosen theme over the system one, keeps it on the account and across a reload', { timeout: 120_000 }, async () => {
    const ann = await createAccount(e2e.server, 'ann', 'Ann');
    const { page } = await e2e.newPage('ann', { account: ann });
    await page.emulateMedia({ colorScheme: 'light' });
    await waitOnline(page);
    expect(await background(page)).toBe(LIGHT_BG);

    await openProfile(page);
    const select = page.getByTestId('profile-theme');
    expect(await select.inputValue()).toBe('system');
    await select.selectOption('dark');
    await expect.poll(() => background(page)).toBe(DARK_BG);
    await expect.poll(async () => ((await page.evaluate(() => fetch('/api/v1/users/me').then((r) => r.json()))) as { theme: string }).theme).toBe('dark');

    // A reload: dark from the first paint (before the session answers), and after.
    await page.reload({ waitUntil: 'domcontentloaded' });
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme)).toBe('dark');
    await waitOnline(page);
    expect(await background(page)).toBe(DARK_BG);

    // Another browser of the account (nothing remembered there) gets it from the account.
    const other = await e2e.newPage('ann-2', { account: ann });
    await other.page.emulateMedia({ colorScheme: 'light' });
    await waitOnline(other.page);
    await expect.poll(() => background(other.page)).toBe(DARK_BG);

    // Light wins over a dark system; System follows it again.
    await page.emulateMedia({ colorScheme: 'dark' });
    await openProfile(page);
    await page.getByTestId('profile-theme').selectOption('light');
    await expect.poll(() => background(page)).toBe(LIGHT_BG);
    await page.getByTestId('profile-theme').selectOption('system');
    await expect.poll(() => background(page)).toBe(DARK_BG);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => background(page)).toBe(LIGHT_BG);
  });

  it('keeps working at 200 % zoom (640×400 CSS pixels): no sideways scrolling, inbox, header and composer reachable', { timeout: 120_000 }, async () => {
    const zed = await createAccount(e2e.server, 'zed', 'Zed 泽');
    const yan = await createAccount(e2e.server, 'yan', 'Yan');
    const group = await createGroupApi(e2e.server, zed, { name: 'A group with a rather long name to see how the header copes 很长的名字', memberIds: [yan.user.id] });
    await postMessageApi(e2e.server, yan, group, `a long word ${'x'.repeat(200)} and a link https://example.com/${'y'.repeat(120)}`);
    const { page } = await e2e.newPage('zed', { account: zed, viewport: { width: 640, height: 400 } });
    const fits = () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth <= (globalThis as unknown as PageGlobals).window.innerWidth && (globalThis as unknown as PageGlobals).document.body.scrollWidth <= (globalThis as unknown as PageGlobals).window.innerWidth);
    // Reachable: once scrolled to (as a keyboard or a wheel would), wholly inside the window.
    const inView = (testId: string) =>
      page.getByTestId(testId).first().evaluate((el) => {
        el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        const r = el.getBoundingClientRect();
        const ok = r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= (globalThis as unknown as PageGlobals).window.innerWidth + 1 && r.top >= 0 && r.bottom <= (globalThis as unknown as PageGlobals).window.innerHeight + 1;
        return ok || `${el.getAttribute('data-testid')} at ${JSON.stringify(r)}`;
      });

    // The inbox.
    await inboxItem(page, group).waitFor();
    expect(await fits()).toBe(true);
    expect(await inView('inbox-item')).toBe(true);
    expect(await inView('account-menu-button')).toBe(true);

    // A conversation: header and composer on screen, nothing wider than the window.
    await openConversation(page, group);
    expect(await fits()).toBe(true);
    expect(await inView('composer-input')).toBe(true);
    expect(await inView('conversation-title')).toBe(true);
    await sendFromComposer(page, 'still fits');
    expect(await fits()).toBe(true);

    // One screen at a time: Back to the inbox, which still fits; the profile dialog and the quick switcher too.
    expect(await inView('back-button')).toBe(true);
    await page.getByTestId('back-button').click();
    await page.getByTestId('no-conversation').waitFor({ state: 'hidden' });
    await inboxItem(page, group).waitFor();
    expect(await fits()).toBe(true);
    await openProfile(page);
    expect(await fits()).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByTestId('profile-dialog').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+k');
    await page.getByTestId('quick-switcher').waitFor();
    expect(await fits()).toBe(true);
  });
});
