/**
 * A conversation of thousands of messages (issue 21): the list is virtualized, so the page holds
 * far fewer message elements than are loaded; a search result hundreds of messages back is
 * brought into view; a new message at the bottom stays in view; scrolling up loads every older
 * page with the view kept still, down to the start of the history.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { auth, dbKind } from '../helpers/app.js';
import { insertBulkMessages } from '../helpers/bulk-messages.js';
import { createAccount, createGroupApi, openConversation, postMessageApi, screenshot, sentMessage, useE2e } from '../helpers/browser.js';

const BEFORE_NEEDLE = 2400;
const AFTER_NEEDLE = 600;
const NEEDLE = '针 needle 旧消息 far back';

/** Where an element is relative to the list's visible area, or null when it is not in the page. */
function placeIn(page: Page, selector: string): Promise<{ top: number; inView: boolean } | null> {
  return page.evaluate(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    const list = document.querySelector('[data-testid="message-list"]');
    if (!el || !list) return null;
    const r = el.getBoundingClientRect();
    const l = list.getBoundingClientRect();
    return { top: r.top - l.top, inView: r.height > 0 && r.top >= l.top - 1 && r.bottom <= l.bottom + 1 };
  })()`);
}

/** The seq of the first message wholly in the list's visible area. */
function firstInView(page: Page): Promise<string | null> {
  return page.evaluate(`(() => {
    const l = document.querySelector('[data-testid="message-list"]').getBoundingClientRect();
    for (const el of document.querySelectorAll('[data-testid="message"][data-seq]')) {
      const r = el.getBoundingClientRect();
      if (r.top >= l.top && r.bottom <= l.bottom) return el.dataset.seq;
    }
    return null;
  })()`);
}

const messageCount = (page: Page) => page.locator('[data-testid="message"]').count();

describe.runIf(dbKind === 'pglite')('e2e: a conversation of thousands of messages', () => {
  const e2e = useE2e();

  it('renders only what is near the view, jumps far back, sticks to new messages, and loads all history keeping the view still', { timeout: 300_000 }, async () => {
    const alice = await createAccount(e2e.server, 'alice', 'Alice');
    const carol = await createAccount(e2e.server, 'carol', 'Carol 小红');
    const bobAcc = await createAccount(e2e.server, 'bob', 'Bob');
    const groupId = await createGroupApi(e2e.server, alice, { name: 'Long history 长历史', memberIds: [bobAcc.user.id, carol.user.id] });
    const db = e2e.server.database.db;
    const start = new Date(Date.now() - 5000 * 60_000);
    // The group's creation events hold seqs 1..n: the bulk messages continue after them.
    const head = (await (await e2e.server.app.inject({ method: 'GET', url: `/api/v1/conversations/${groupId}`, headers: auth(alice.token) })).json()) as { lastSeq: number };
    const first = head.lastSeq + 1;
    await insertBulkMessages(db, { conversationId: groupId, senderIds: [alice.user.id, carol.user.id], from: first, count: BEFORE_NEEDLE, start });
    const needleId = await postMessageApi(e2e.server, carol, groupId, NEEDLE);
    const afterFrom = first + BEFORE_NEEDLE + 1;
    await insertBulkMessages(db, { conversationId: groupId, senderIds: [alice.user.id, carol.user.id], from: afterFrom, count: AFTER_NEEDLE, start: new Date(Date.now() - AFTER_NEEDLE * 60_000) });
    const lastSeq = afterFrom + AFTER_NEEDLE - 1;
    const read = await e2e.server.app.inject({ method: 'POST', url: `/api/v1/conversations/${groupId}/read`, headers: auth(bobAcc.token), payload: { seq: lastSeq } });
    expect(read.statusCode, read.body).toBe(204);

    const bob = await e2e.newPage('bob', { account: bobAcc });
    const page = bob.page;
    await openConversation(page, groupId);
    await page.locator(`[data-testid="message"][data-seq="${lastSeq}"]`).waitFor();
    const list = page.getByTestId('message-list');

    // Search far back: the pages up to it load, and it is brought into view among a few rendered rows.
    await page.keyboard.press('Control+Shift+f');
    const dialog = page.getByTestId('search-dialog');
    await dialog.getByTestId('search-input').fill('needle');
    await dialog.locator(`[data-testid="search-result"][data-message-id="${needleId}"]`).click();
    await dialog.waitFor({ state: 'detached' });
    const needle = `[data-testid="message"][data-message-id="${needleId}"]`;
    await expect.poll(async () => (await placeIn(page, needle))?.inView, { timeout: 20_000 }).toBe(true);
    expect(await list.getAttribute('data-virtual')).toBe('true');
    expect(await messageCount(page)).toBeLessThan(120);
    await screenshot(page, 'long-conversation-jump');

    // Back at the bottom, a new message stays in view.
    await page.getByTestId('jump-to-latest').click();
    await expect.poll(async () => (await placeIn(page, `[data-testid="message"][data-seq="${lastSeq}"]`))?.inView).toBe(true);
    await page.getByTestId('jump-to-latest').waitFor({ state: 'detached' });
    await postMessageApi(e2e.server, alice, groupId, 'the newest one 最新');
    const newest = sentMessage(page, 'the newest one 最新');
    await newest.waitFor();
    await expect.poll(async () => (await placeIn(page, `[data-testid="message"][data-seq="${lastSeq + 1}"]`))?.inView).toBe(true);
    await expect.poll(() => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(2);

    // Scrolling to the top, page after page: what is in view stays where it was as each page comes in above.
    const frames = () => page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    let pages = 0;
    while ((await page.getByTestId('history-start').count()) === 0) {
      expect(pages++).toBeLessThan(80);
      await list.evaluate((el) => (el.scrollTop = 400));
      await frames();
      const anchor = await firstInView(page);
      expect(anchor).not.toBeNull();
      const at = `[data-testid="message"][data-seq="${anchor}"]`;
      const before = (await placeIn(page, at))!.top;
      // Into the top 300 px: the next page is asked for.
      await list.evaluate((el) => (el.scrollTop -= 150));
      await expect
        .poll(async () => (await page.getByTestId('history-loading').count()) === 0 && ((await list.evaluate((el) => el.scrollTop)) > 400 || (await page.getByTestId('history-start').count()) > 0))
        .toBe(true);
      await frames();
      // Kept within the height of the "loading" line that showed above while the page came.
      const after = await placeIn(page, at);
      expect(after, `message ${anchor} left the page after page ${pages}`).not.toBeNull();
      expect(Math.abs(after!.top - (before + 150)), `message ${anchor} moved after page ${pages}`).toBeLessThan(60);
    }
    expect(await messageCount(page)).toBeLessThan(120);
    // The oldest message is there, the first bulk one with its text.
    await expect.poll(() => page.locator(`[data-testid="message"][data-seq="${first}"]`).textContent()).toContain(`Message ${first}`);
  });
});
