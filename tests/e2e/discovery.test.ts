/** Finding things: message search (Chinese substrings included), public groups to join, and the phone layout. */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import {
  PHONE,
  createAccount,
  createGroupApi,
  inboxItem,
  openConversation,
  postMessageApi,
  screenshot,
  sendFromComposer,
  sentBodies,
  sentMessage,
  useE2e,
} from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: search, public groups, phone', () => {
  const e2e = useE2e();

  /** Bob's conversation "Planning" with two messages about 讨论 far back, and a group of Alice's he is not in. */
  async function searchFixture() {
    const [aliceAcc, bobAcc] = await Promise.all([createAccount(e2e.server, 'alice', 'Alice'), createAccount(e2e.server, 'bob', 'Bob')]);
    const planning = await createGroupApi(e2e.server, aliceAcc, { name: 'Planning 计划', memberIds: [bobAcc.user.id] });
    const secret = await createGroupApi(e2e.server, aliceAcc, { name: 'Not for Bob' });
    const wanted = await postMessageApi(e2e.server, aliceAcc, planning, '我们明天讨论技术方案');
    await postMessageApi(e2e.server, aliceAcc, planning, 'lunch at noon?');
    const other = await postMessageApi(e2e.server, aliceAcc, planning, '另一个讨论：预算');
    await postMessageApi(e2e.server, aliceAcc, secret, '秘密讨论，不给 Bob 看');
    // More than a page of history after them: the wanted message is not in the first page loaded.
    for (let i = 0; i < 60; i++) await postMessageApi(e2e.server, aliceAcc, planning, `filler ${i}`);
    // Bob has read them all, so the conversation opens at the newest (unread ones would open at the first unread).
    const read = await e2e.server.app.inject({ method: 'POST', url: `/api/v1/conversations/${planning}/read`, headers: { authorization: `Bearer ${bobAcc.token}` }, payload: { seq: 63 } });
    if (read.statusCode !== 204) throw new Error(`read failed: ${read.statusCode} ${read.body}`);
    return { bobAcc, planning, secret, wanted, other };
  }

  /** The message is inside the visible part of the message list. */
  function inView(page: Page, messageId: string): Promise<boolean> {
    return page.evaluate(`(() => {
      const el = document.querySelector('[data-testid="message"][data-message-id="${messageId}"]');
      const list = document.querySelector('[data-testid="message-list"]');
      if (!el || !list) return false;
      const r = el.getBoundingClientRect(), l = list.getBoundingClientRect();
      return r.height > 0 && r.top >= l.top - 1 && r.bottom <= l.bottom + 1;
    })()`);
  }

  it('finds messages by a Chinese substring, only in the reader’s conversations, and jumps to the one picked', { timeout: 90_000 }, async () => {
    const { bobAcc, planning, secret, wanted, other } = await searchFixture();
    const bob = await e2e.newPage('bob', { account: bobAcc });
    await openConversation(bob.page, planning);
    await sentMessage(bob.page, 'filler 59').waitFor();
    expect(await inView(bob.page, wanted)).toBe(false);

    // Ctrl+Shift+F opens the search.
    await bob.page.keyboard.press('Control+Shift+f');
    const dialog = bob.page.getByTestId('search-dialog');
    await dialog.getByTestId('search-input').fill('讨论');
    const results = dialog.getByTestId('search-result');
    await expect.poll(() => results.evaluateAll((els) => els.map((el) => el.getAttribute('data-message-id')))).toEqual([other, wanted]);
    expect(await dialog.locator('mark').allTextContents()).toEqual(['讨论', '讨论']);
    await screenshot(bob.page, 'search');

    await dialog.getByTestId('search-input').fill('技术方');
    await expect.poll(() => results.evaluateAll((els) => els.map((el) => el.getAttribute('data-message-id')))).toEqual([wanted]);

    // Picking the result brings that message (older than the loaded page) into view.
    await results.first().click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => inView(bob.page, wanted), { timeout: 10_000 }).toBe(true);
    expect(await inboxItem(bob.page, secret).count()).toBe(0);
  });

  // UI bug (reported): from a conversation whose messages are not loaded yet (the search opened
  // from the inbox), picking a result shows "That message is too far back to show here." and stays
  // at the newest messages: ConversationView's jump runs loadUntil while the first page is still
  // loading, and loadOlder gives up on a timeline that is not loaded. Unskip once fixed.
  it('opens a search result in a conversation not opened yet, at that message', { timeout: 90_000 }, async () => {
    const { bobAcc, planning, wanted } = await searchFixture();
    const bob = await e2e.newPage('bob', { account: bobAcc });
    await bob.page.getByTestId('no-conversation').waitFor();
    await bob.page.getByTestId('open-search').click();
    const dialog = bob.page.getByTestId('search-dialog');
    await dialog.getByTestId('search-input').fill('技术方');
    await dialog.locator(`[data-testid="search-result"][data-message-id="${wanted}"]`).click();
    await bob.page.locator(`[data-testid="conversation"][data-conversation-id="${planning}"]`).waitFor();
    await expect.poll(() => inView(bob.page, wanted), { timeout: 10_000 }).toBe(true);
    expect(await bob.page.getByTestId('toast').count()).toBe(0);
  });

  it('browses and joins a public group on a phone-sized screen, and chats there', { timeout: 90_000 }, async () => {
    const [aliceAcc, bobAcc] = await Promise.all([createAccount(e2e.server, 'alice', 'Alice'), createAccount(e2e.server, 'bob', 'Bob')]);
    const lounge = await createGroupApi(e2e.server, aliceAcc, { name: 'Lounge 休息室', visibility: 'public', description: 'Anyone is welcome' });
    await postMessageApi(e2e.server, aliceAcc, lounge, 'welcome to the lounge 欢迎');
    const alice = await e2e.newPage('alice', { account: aliceAcc });
    await openConversation(alice.page, lounge);

    const bob = await e2e.newPage('bob', { account: bobAcc, viewport: PHONE });
    await bob.page.getByTestId('inbox-empty').waitFor();
    await screenshot(bob.page, 'phone-inbox-empty');
    await bob.page.getByTestId('open-browse-groups').click();
    const dialog = bob.page.getByTestId('browse-groups-dialog');
    await dialog.getByTestId('group-search-input').fill('Lounge');
    const entry = dialog.locator(`[data-testid="public-group"][data-group-id="${lounge}"]`);
    await entry.waitFor();
    await expect.poll(() => entry.textContent()).toContain('Anyone is welcome');
    await screenshot(bob.page, 'phone-browse-groups');
    await entry.getByTestId('public-group-join').click();

    // The conversation takes the whole screen, with its history.
    await bob.page.locator(`[data-testid="conversation"][data-conversation-id="${lounge}"]`).waitFor();
    await sentMessage(bob.page, 'welcome to the lounge 欢迎').waitFor();
    expect(await bob.page.getByTestId('sidebar').isVisible()).toBe(false);
    await expect.poll(() => alice.page.getByTestId('conversation-subtitle').textContent()).toContain('2 members');

    await sendFromComposer(bob.page, 'hi from my phone 📱');
    await sentMessage(alice.page, 'hi from my phone 📱').waitFor();
    await sendFromComposer(alice.page, 'hello phone');
    await sentMessage(bob.page, 'hello phone').waitFor();
    expect(await sentBodies(bob.page)).toEqual(['welcome to the lounge 欢迎', 'hi from my phone 📱', 'hello phone']);
    const overflow = await bob.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    await screenshot(bob.page, 'phone-conversation');

    // On a phone the header's actions are in its ⋯ menu.
    await bob.page.getByTestId('header-menu-button').click();
    await bob.page.getByTestId('header-menu-members').click();
    await bob.page.getByTestId('members-panel').locator('[data-testid="member"]').nth(1).waitFor();
    await screenshot(bob.page, 'phone-members');
    await bob.page.getByTestId('members-panel-close').click();

    // Back to the inbox, which now lists the group.
    await bob.page.getByTestId('back-button').click();
    await inboxItem(bob.page, lounge).waitFor();
    expect(await bob.page.getByTestId('conversation').count()).toBe(0);
    await screenshot(bob.page, 'phone-inbox');
  });
});
