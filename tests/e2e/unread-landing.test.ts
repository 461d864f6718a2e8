/**
 * Opening a conversation with many unread messages (issue 25.1): the reader lands at the first
 * unread, with the "New messages" divider and the jump bars; only what was scrolled into view is
 * marked read, so leaving early keeps the rest unread; the bottom bar goes to the newest.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { auth, dbKind } from '../helpers/app.js';
import { createAccount, createGroupApi, inboxItem, openConversation, postMessageApi, screenshot, useE2e, waitOnline } from '../helpers/browser.js';

interface Conv {
  lastSeq: number;
  lastReadSeq: number;
  unreadCount: number;
}

/** Whether an element is at least partly inside the message list's visible area. */
async function inListView(page: Page, selector: string): Promise<boolean> {
  const [list, el] = await Promise.all([page.getByTestId('message-list').boundingBox(), page.locator(selector).first().boundingBox()]);
  if (!list || !el) return false;
  return el.y + el.height > list.y && el.y < list.y + list.height;
}

/** The element right after the "New messages" divider. */
function afterDivider(page: Page) {
  return page.locator('[data-testid="new-messages-divider"] + *');
}

const bodyOf = (n: number) => `新消息 unread #${n}`;
const messageWith = (page: Page, body: string) =>
  page.locator('[data-testid="message"][data-status="sent"]').filter({ has: page.getByTestId('message-body').getByText(body, { exact: true }) });

describe.runIf(dbKind === 'pglite')('e2e: landing at the first unread', () => {
  const e2e = useE2e();

  it('opens 120 unread at the first, reads only what was seen, and jumps both ways', { timeout: 180_000 }, async () => {
    const alice = await createAccount(e2e.server, 'alice', 'Alice');
    const bobAcc = await createAccount(e2e.server, 'bob', 'Bob 小明');
    const groupId = await createGroupApi(e2e.server, alice, { name: 'Long backlog 长消息', memberIds: [bobAcc.user.id] });
    const otherId = await createGroupApi(e2e.server, alice, { name: 'Elsewhere 别处', memberIds: [bobAcc.user.id] });
    await postMessageApi(e2e.server, alice, otherId, 'hello there');
    for (let i = 1; i <= 10; i++) await postMessageApi(e2e.server, alice, groupId, `old read message ${i}`);
    const read = await e2e.server.app.inject({ method: 'POST', url: `/api/v1/conversations/${groupId}/read`, headers: auth(bobAcc.token), payload: { seq: 10 } });
    expect(read.statusCode).toBe(204);
    for (let i = 1; i <= 120; i++) await postMessageApi(e2e.server, alice, groupId, bodyOf(i));
    const conv = async (): Promise<Conv> =>
      (await e2e.server.app.inject({ method: 'GET', url: `/api/v1/conversations/${groupId}`, headers: auth(bobAcc.token) })).json() as Conv;

    const bob = await e2e.newPage('bob', { account: bobAcc });
    const page = bob.page;
    await waitOnline(page);
    await expect.poll(() => inboxItem(page, groupId).getAttribute('data-unread')).toBe('120');
    await openConversation(page, groupId);

    // Landed at the first unread: the divider and #1 in view, the newest not loaded, a bar down to it.
    const first = messageWith(page, bodyOf(1));
    await first.waitFor();
    const divider = page.getByTestId('new-messages-divider');
    await divider.waitFor();
    expect(await inListView(page, '[data-testid="new-messages-divider"]')).toBe(true);
    expect(await inListView(page, `[data-message-id="${await first.getAttribute('data-message-id')}"]`)).toBe(true);
    // The divider sits right before #1 (the last read message is just above it).
    expect(await afterDivider(page).textContent()).toContain(bodyOf(1));
    expect(await messageWith(page, 'old read message 10').count()).toBe(1);
    expect(await messageWith(page, bodyOf(120)).count()).toBe(0);
    const down = page.getByTestId('jump-to-latest');
    await expect.poll(() => down.textContent()).toMatch(/^\d+ new messages ↓$/);
    await screenshot(page, 'unread-landing');

    // Only what was seen is read: the badge and the server keep the rest.
    await expect.poll(async () => (await conv()).lastReadSeq).toBeGreaterThan(10);
    const afterLanding = await conv();
    expect(afterLanding.unreadCount).toBeGreaterThan(0);
    expect(afterLanding.unreadCount).toBeLessThan(120);
    await expect.poll(() => inboxItem(page, groupId).getAttribute('data-unread')).toBe(String(afterLanding.unreadCount));

    // Scrolling down past the divider: a bar back up to the first unread.
    await page.getByTestId('message-list').evaluate((el) => (el.scrollTop += 900));
    const up = page.getByTestId('jump-to-unread');
    await up.waitFor();
    expect(await up.textContent()).toBe('120 new messages ↑');
    await up.click();
    await expect.poll(() => inListView(page, '[data-testid="new-messages-divider"]')).toBe(true);
    await up.waitFor({ state: 'detached' });

    // Leaving early: the rest stays unread, on the server and in the badge.
    await inboxItem(page, otherId).click();
    await page.locator(`[data-testid="conversation"][data-conversation-id="${otherId}"]`).waitFor();
    const left = await conv();
    expect(left.unreadCount).toBeGreaterThan(0);
    expect(left.unreadCount).toBeLessThan(120);
    await expect.poll(() => inboxItem(page, groupId).getAttribute('data-unread')).toBe(String(left.unreadCount));

    // Back again: lands at the new first unread (the one after the read pointer).
    await openConversation(page, groupId);
    await divider.waitFor();
    const nextSeq = left.lastReadSeq + 1;
    const firstNow = page.locator(`[data-testid="message"][data-seq="${nextSeq}"]`);
    await firstNow.waitFor();
    expect(await inListView(page, `[data-testid="message"][data-seq="${nextSeq}"]`)).toBe(true);
    expect(await afterDivider(page).getAttribute('data-seq')).toBe(String(nextSeq));

    // The bar down: the newest messages, everything read.
    await page.getByTestId('jump-to-latest').click();
    const last = messageWith(page, bodyOf(120));
    await last.waitFor();
    const lastId = await last.getAttribute('data-message-id');
    await expect.poll(() => inListView(page, `[data-message-id="${lastId}"]`)).toBe(true);
    await expect.poll(async () => (await conv()).unreadCount).toBe(0);
    await inboxItem(page, groupId).locator('[data-testid="unread-badge"]').waitFor({ state: 'detached' });
    await page.getByTestId('jump-to-latest').waitFor({ state: 'detached' });
  });
});
