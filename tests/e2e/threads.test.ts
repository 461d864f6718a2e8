/**
 * Threads in two browsers: Alice replies in a thread on Bob's message; Bob sees the root's reply
 * count and repliers change live, the reply kept out of his timeline, and the Threads badge; he
 * opens the Threads view, then the thread (the badge clears), and answers with "Also send to
 * conversation", which Alice sees in her timeline and in the thread; unfollowing takes it off his
 * list; a reload keeps all of it (collapsed history, the thread's URL).
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { markNoReload, pairInGroup, PHONE, postMessageApi, screenshot, stillSamePage, useE2e, waitOnline } from '../helpers/browser.js';

/** The conversation's own timeline (not the thread panel beside it). */
function timeline(page: Page): Locator {
  return page.getByTestId('timeline');
}

function inTimeline(page: Page, body: string): Locator {
  return timeline(page).locator('[data-testid="message"][data-status="sent"]').filter({ has: page.getByTestId('message-body').getByText(body, { exact: true }) });
}

function panel(page: Page): Locator {
  return page.getByTestId('thread-panel');
}

function inPanel(page: Page, body: string): Locator {
  return panel(page).locator('[data-testid="message"][data-status="sent"]').filter({ has: page.getByTestId('message-body').getByText(body, { exact: true }) });
}

function rootAt(page: Page, rootId: string): Locator {
  return timeline(page).locator(`[data-testid="message"][data-message-id="${rootId}"]`);
}

describe.runIf(dbKind === 'pglite')('e2e: threads', () => {
  const e2e = useE2e();

  it('replies in a thread live, lists it under Threads with a badge, sends a reply to the conversation too, unfollows, and keeps it all after a reload', { timeout: 90_000 }, async () => {
    const { alice, bob, aliceAcc, bobAcc, groupId } = await pairInGroup(e2e, 'Threads 线程');
    const rootId = await postMessageApi(e2e.server, bobAcc, groupId, 'Shall we ship on Friday?');
    await rootAt(bob.page, rootId).waitFor();
    await markNoReload(bob.page);
    await expect.poll(() => bob.page.getByTestId('threads-entry').getAttribute('data-unread')).toBe('0');

    // Alice opens the thread from the message's actions (the panel takes focus) and replies, mentioning Bob.
    const rootAtAlice = rootAt(alice.page, rootId);
    await rootAtAlice.hover();
    await rootAtAlice.getByTestId('action-thread').click();
    await panel(alice.page).waitFor();
    expect(await panel(alice.page).getAttribute('data-root-id')).toBe(rootId);
    await expect.poll(() => panel(alice.page).getByTestId('composer-input').evaluate((el) => el.matches(':focus'))).toBe(true);
    await panel(alice.page).getByTestId('thread-root').getByText('Shall we ship on Friday?').waitFor();
    const input = panel(alice.page).getByTestId('composer-input');
    const aliceReply = `Friday works, @${bobAcc.user.username} agreed`;
    await input.fill(aliceReply);
    await input.press('Enter');
    await inPanel(alice.page, aliceReply).waitFor();

    // Bob, without a reload: the root says "1 reply" with Alice among the repliers, the reply is
    // not in his timeline, and the Threads entry has a badge (with a mention).
    const summary = rootAt(bob.page, rootId).getByTestId('thread-summary');
    await expect.poll(() => summary.getByTestId('thread-reply-count').textContent()).toBe('1 reply');
    await expect.poll(() => summary.getByTestId('thread-participant').evaluateAll((els) => els.map((e) => e.getAttribute('data-user-id')))).toEqual([aliceAcc.user.id]);
    const entry = bob.page.getByTestId('threads-entry');
    await expect.poll(() => entry.getAttribute('data-unread')).toBe('1');
    await expect.poll(() => entry.getAttribute('data-mentions')).toBe('1');
    await entry.getByTestId('mention-badge').waitFor();
    // Bob's other device shows the same badge (it learns of the thread from the reply's event too).
    const bob2 = await e2e.newPage('bob-2', { account: bobAcc });
    const entry2 = bob2.page.getByTestId('threads-entry');
    await expect.poll(() => entry2.getAttribute('data-unread')).toBe('1');
    expect(await timeline(bob.page).getByText(aliceReply).count()).toBe(0);
    expect(await timeline(alice.page).getByText(aliceReply).count()).toBe(0);
    await screenshot(bob.page, 'thread-summary');

    // The Threads view lists it, unread, with its conversation; opening it opens the conversation
    // with the thread's panel, and the badge clears.
    await entry.click();
    await bob.page.getByTestId('threads-view').waitFor();
    const item = bob.page.locator(`[data-testid="thread-item"][data-root-id="${rootId}"]`);
    await expect.poll(() => item.getAttribute('data-unread')).toBe('1');
    await expect.poll(() => item.getByTestId('thread-item-conversation').textContent()).toBe('#Threads 线程');
    await expect.poll(() => item.getByTestId('thread-item-root').textContent()).toContain('Shall we ship on Friday?');
    await expect.poll(() => item.getByTestId('thread-item-count').textContent()).toBe('1 reply');
    await screenshot(bob.page, 'threads-view');
    await item.click();
    await panel(bob.page).waitFor();
    expect(new URL(bob.page.url()).pathname).toBe(`/c/${groupId}/t/${rootId}`);
    await inPanel(bob.page, aliceReply).waitFor();
    await expect.poll(() => entry.getAttribute('data-unread')).toBe('0');
    await expect.poll(() => entry.getAttribute('data-mentions')).toBe('0');
    await entry.getByTestId('unread-badge').waitFor({ state: 'detached' });
    // Read here, so read there: the other device's badge clears too (thread.state).
    await expect.poll(() => entry2.getAttribute('data-unread')).toBe('0');
    await bob2.context.close();

    // Bob answers with "Also send to conversation": Alice sees it in the thread and in her timeline,
    // marked as a thread reply, and the root's summary counts two replies by two people.
    const bobReply = 'Also sent: Friday it is';
    await panel(bob.page).getByTestId('thread-also-send').check();
    await panel(bob.page).getByTestId('composer-input').fill(bobReply);
    await panel(bob.page).getByTestId('composer-input').press('Enter');
    await inPanel(bob.page, bobReply).waitFor();
    await inPanel(alice.page, bobReply).waitFor();
    const echoed = inTimeline(alice.page, bobReply);
    await echoed.getByTestId('thread-link').waitFor();
    await inTimeline(bob.page, bobReply).waitFor();
    expect(await panel(bob.page).getByTestId('thread-also-send').isChecked()).toBe(false);
    const aliceSummary = rootAtAlice.getByTestId('thread-summary');
    await expect.poll(() => aliceSummary.getByTestId('thread-reply-count').textContent()).toBe('2 replies');
    await expect.poll(() => aliceSummary.getByTestId('thread-participant').evaluateAll((els) => els.map((e) => e.getAttribute('data-user-id')))).toEqual([bobAcc.user.id, aliceAcc.user.id]);
    await screenshot(alice.page, 'thread-panel');
    // Alice closes her panel: focus goes back to the message whose thread it was.
    await panel(alice.page).getByTestId('thread-close').click();
    await panel(alice.page).waitFor({ state: 'detached' });
    await expect.poll(() => rootAtAlice.evaluate((el) => el.matches(':focus-within'))).toBe(true);

    // Bob unfollows: the thread leaves his Threads view.
    const follow = panel(bob.page).getByTestId('thread-follow');
    await expect.poll(() => follow.getAttribute('data-following')).toBe('true');
    await follow.click();
    await expect.poll(() => follow.getAttribute('data-following')).toBe('false');
    // Escape closes the panel.
    await panel(bob.page).getByTestId('composer-input').focus();
    await bob.page.keyboard.press('Escape');
    await panel(bob.page).waitFor({ state: 'detached' });
    expect(new URL(bob.page.url()).pathname).toBe(`/c/${groupId}`);
    await entry.click();
    await bob.page.getByTestId('threads-empty').waitFor();
    expect(await item.count()).toBe(0);
    expect(await stillSamePage(bob.page)).toBe(true);

    // After a reload: the collapsed history (the root with its summary, the reply also sent here,
    // not Alice's thread-only one), no badge, and the thread's URL opens its panel.
    await bob.page.goto(`/c/${groupId}/t/${rootId}`);
    await waitOnline(bob.page);
    await inPanel(bob.page, aliceReply).waitFor();
    await inPanel(bob.page, bobReply).waitFor();
    await expect.poll(() => rootAt(bob.page, rootId).getByTestId('thread-reply-count').textContent()).toBe('2 replies');
    await inTimeline(bob.page, bobReply).getByTestId('thread-link').waitFor();
    expect(await timeline(bob.page).getByText(aliceReply).count()).toBe(0);
    expect(await entry.getAttribute('data-unread')).toBe('0');
    expect(await panel(bob.page).getByTestId('thread-follow').getAttribute('data-following')).toBe('false');

    // Search finds Alice's reply "in thread"; picking it opens the thread's panel.
    await alice.page.getByTestId('open-search').click();
    await alice.page.getByTestId('search-input').fill('agreed');
    const result = alice.page.locator('[data-testid="search-result"]').filter({ hasText: 'Friday works' });
    await result.getByTestId('search-in-thread').waitFor();
    await result.click();
    await panel(alice.page).waitFor();
    expect(new URL(alice.page.url()).pathname).toBe(`/c/${groupId}/t/${rootId}`);
    await inPanel(alice.page, aliceReply).waitFor();
  });

  it('on a phone the thread takes the screen, with Back to the conversation; a deleted root closes its thread to replies', { timeout: 60_000 }, async () => {
    const { bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Phone threads', { only: 'bob', bobViewport: PHONE });
    const rootId = await postMessageApi(e2e.server, aliceAcc, groupId, 'A root on a phone');
    const root = rootAt(bob.page, rootId);
    await root.waitFor();
    await root.click();
    await root.getByTestId('action-thread').click();
    await panel(bob.page).waitFor();
    const box = await panel(bob.page).boundingBox();
    expect(box?.width).toBe(PHONE.width);
    await screenshot(bob.page, 'thread-panel-phone');
    // Alice replies and then deletes her root: the reply shows live; the thread stays readable, closed to replies.
    const res = await e2e.server.app.inject({ method: 'POST', url: `/api/v1/conversations/${groupId}/messages`, headers: { authorization: `Bearer ${aliceAcc.token}` }, payload: { body: 'A reply from Alice', threadId: rootId } });
    expect(res.statusCode, res.body).toBe(201);
    await inPanel(bob.page, 'A reply from Alice').waitFor();
    const del = await e2e.server.app.inject({ method: 'DELETE', url: `/api/v1/messages/${rootId}`, headers: { authorization: `Bearer ${aliceAcc.token}` } });
    expect(del.statusCode, del.body).toBe(204);
    await panel(bob.page).getByTestId('thread-closed').waitFor();
    expect(await panel(bob.page).getByTestId('composer-input').count()).toBe(0);
    await inPanel(bob.page, 'A reply from Alice').waitFor();
    await panel(bob.page).getByTestId('thread-back').click();
    await panel(bob.page).waitFor({ state: 'detached' });
    // In the timeline the root is a tombstone that still leads to its thread.
    await root.getByTestId('message-deleted').waitFor();
    await expect.poll(() => root.getByTestId('thread-reply-count').textContent()).toBe('1 reply');
  });
});
