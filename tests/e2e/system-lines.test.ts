/**
 * Membership, role and group-setting changes in the timeline (issue 25.2): small system lines
 * built from the member.* and conversation.updated events, live and again from history after a
 * reload; a member removed by an admin is told why the group went away.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { auth, dbKind } from '../helpers/app.js';
import { createAccount, inboxItem, openConversation, pairInGroup, postMessageApi, screenshot, useE2e, waitOnline } from '../helpers/browser.js';

const lines = (page: Page) => page.getByTestId('system-line').locator('span').allTextContents();

describe.runIf(dbKind === 'pglite')('e2e: system lines', () => {
  const e2e = useE2e();

  it('shows who added, left, became admin and renamed, live and after a reload; tells a removed member', { timeout: 120_000 }, async () => {
    const { alice, bob, aliceAcc, bobAcc, groupId } = await pairInGroup(e2e, 'Team 团队');
    const carol = await createAccount(e2e.server, 'carol', '李娜 Carol');
    const dan = await createAccount(e2e.server, 'dan', 'Dan');
    const as = (token: string, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      e2e.server.app.inject({ method, url: `/api/v1${url}`, headers: auth(token), ...(payload ? { payload } : {}) });

    await postMessageApi(e2e.server, aliceAcc, groupId, 'before the changes');
    expect((await as(aliceAcc.token, 'POST', `/groups/${groupId}/members`, { userId: carol.user.id })).statusCode).toBe(201);
    expect((await as(aliceAcc.token, 'POST', `/groups/${groupId}/members`, { userId: dan.user.id })).statusCode).toBe(201);
    expect((await as(aliceAcc.token, 'PATCH', `/groups/${groupId}/members/${dan.user.id}`, { role: 'admin' })).statusCode).toBe(200);
    await postMessageApi(e2e.server, dan, groupId, 'between 中间');
    expect((await as(aliceAcc.token, 'PATCH', `/groups/${groupId}`, { name: '新名字 New team' })).statusCode).toBe(200);
    expect((await as(carol.token, 'DELETE', `/groups/${groupId}/members/${carol.user.id}`)).statusCode).toBe(204);
    expect((await as(dan.token, 'DELETE', `/groups/${groupId}/members/${dan.user.id}`)).statusCode).toBe(204);

    const expected = [
      'Alice added 李娜 Carol',
      'Alice added Dan',
      'Dan is now an admin',
      'Alice renamed the group to “新名字 New team”',
      '李娜 Carol left',
      'Dan left',
    ];
    // Live, in Bob's open timeline (Alice's own lines say "You").
    await expect.poll(() => lines(bob.page)).toEqual(expected);
    await expect.poll(() => lines(alice.page)).toEqual(expected.map((l) => l.replace(/^Alice /, 'You ')));
    // In order with the messages: the admin line comes before Dan's message, the rename after it.
    const order = await bob.page.locator('[data-testid="system-line"], [data-testid="message"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-seq')));
    const seqs = order.map(Number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    await screenshot(bob.page, 'system-lines');

    // After a reload the lines come from the events feed.
    await bob.page.reload();
    await waitOnline(bob.page);
    await openConversation(bob.page, groupId);
    await expect.poll(() => lines(bob.page)).toEqual(expected);

    // Alice removes Bob: he is told, instead of the group just vanishing.
    expect((await as(aliceAcc.token, 'DELETE', `/groups/${groupId}/members/${bobAcc.user.id}`)).statusCode).toBe(204);
    const notice = bob.page.getByTestId('removal-notice');
    await notice.waitFor();
    expect(await notice.locator('span').textContent()).toBe('You were removed from 新名字 New team by Alice.');
    await inboxItem(bob.page, groupId).waitFor({ state: 'detached' });
    await expect.poll(() => lines(alice.page)).toContain('You removed Bob');
    await screenshot(bob.page, 'removed-notice');
    await notice.getByTestId('removal-notice-dismiss').click();
    await notice.waitFor({ state: 'detached' });
  });
});
