/**
 * Group rules in the web client: the owner makes the group announcement-only and describes it in
 * the settings dialog (the member's composer gives way to a note, live and after a reload), @all
 * is offered to the owner, and a pin reaches the member's pins panel live.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { openConversation, pairInGroup, PHONE, screenshot, sendFromComposer, sentMessage, useE2e } from '../helpers/browser.js';

function byId(page: Page, messageId: string): Locator {
  return page.locator(`[data-testid="message"][data-message-id="${messageId}"]`);
}

describe.runIf(dbKind === 'pglite')('e2e: group rules', () => {
  const e2e = useE2e();

  it('announcement-only from the settings dialog replaces the member\'s composer; a pin shows in the member\'s pins panel', { timeout: 120_000 }, async () => {
    // Bob on a phone: the header's buttons and the pins panel must fit there too.
    const { alice, bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Announcements 公告', { bobViewport: PHONE });
    await sendFromComposer(alice.page, 'Welcome 欢迎 everyone');
    const welcomeId = (await sentMessage(alice.page, 'Welcome 欢迎 everyone').getAttribute('data-message-id'))!;
    await bob.page.getByTestId('composer-input').waitFor();
    // A plain member has no settings button and no pin action.
    expect(await bob.page.getByTestId('open-group-settings').count()).toBe(0);

    // The owner: description and "Only admins can post" in the settings dialog.
    await alice.page.getByTestId('open-group-settings').click();
    const dialog = alice.page.getByTestId('group-settings-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('group-description-input').fill('Team news 团队新闻 📣');
    await dialog.getByTestId('group-settings-admins-only').check();
    await screenshot(alice.page, 'group-settings-dialog');
    await dialog.getByTestId('group-settings-save').click();
    await dialog.waitFor({ state: 'detached' });

    // The details panel's "Edit group" opens the same dialog, filled in: it makes the group public.
    await alice.page.getByTestId('toggle-members').click();
    await alice.page.getByTestId('members-panel').getByTestId('edit-group').click();
    await dialog.waitFor();
    expect(await dialog.getByTestId('group-description-input').inputValue()).toBe('Team news 团队新闻 📣');
    expect(await dialog.getByTestId('group-settings-admins-only').isChecked()).toBe(true);
    await dialog.getByTestId('group-visibility-public').check();
    await dialog.getByTestId('group-settings-save').click();
    await dialog.waitFor({ state: 'detached' });
    await expect
      .poll(async () => (await e2e.server.app.inject({ method: 'GET', url: `/api/v1/groups/${groupId}`, headers: { authorization: `Bearer ${aliceAcc.token}` } })).json().visibility)
      .toBe('public');
    await alice.page.getByTestId('members-panel-close').click();

    // Bob, live: the note instead of the composer, and the description in the header.
    await bob.page.getByTestId('announcement-note').waitFor();
    expect(await bob.page.getByTestId('composer-input').count()).toBe(0);
    await expect.poll(() => bob.page.getByTestId('conversation-description').textContent()).toBe('Team news 团队新闻 📣');
    await screenshot(bob.page, 'announcement-member-view');

    // The owner still posts, and is offered @all in the mention suggestions.
    const input = alice.page.getByTestId('composer-input');
    await input.fill('@al');
    await alice.page.locator('[data-testid="mention-option"][data-username="all"]').waitFor();
    await input.fill('');

    // Bob opens the pins panel (empty); the owner pins the welcome message; it appears live.
    // On a phone the header's actions are in its ⋯ menu.
    await bob.page.getByTestId('header-menu-button').click();
    await bob.page.getByTestId('header-menu-pins').click();
    await bob.page.getByTestId('pins-empty').waitFor();
    const welcome = byId(alice.page, welcomeId);
    await welcome.hover();
    await welcome.getByTestId('message-actions').getByTestId('action-pin').click();
    await expect.poll(() => welcome.getByTestId('action-pin').getAttribute('data-pinned')).toBe('true');
    const pinned = bob.page.locator(`[data-testid="pinned-message"][data-message-id="${welcomeId}"]`);
    await pinned.waitFor();
    await expect.poll(() => pinned.getByTestId('pinned-message-body').textContent()).toBe('Welcome 欢迎 everyone');
    // Plain members do not unpin.
    expect(await pinned.getByTestId('pinned-message-unpin').count()).toBe(0);
    await screenshot(bob.page, 'pins-panel');

    // After a reload: still announcement-only, still pinned.
    await bob.page.reload();
    // On a phone the open conversation hides the inbox (and its connection badge).
    await bob.page.locator('[data-testid="connection-state"][data-state="online"]').waitFor({ state: 'attached' });
    if ((await bob.page.locator(`[data-testid="conversation"][data-conversation-id="${groupId}"]`).count()) === 0) await openConversation(bob.page, groupId);
    await bob.page.getByTestId('announcement-note').waitFor();
    // On a phone the header's actions are in its ⋯ menu.
    await bob.page.getByTestId('header-menu-button').click();
    await bob.page.getByTestId('header-menu-pins').click();
    await bob.page.locator(`[data-testid="pinned-message"][data-message-id="${welcomeId}"]`).waitFor();

    // The owner unpins from the panel: it leaves Bob's list live.
    await alice.page.getByTestId('toggle-pins').click();
    await alice.page.locator(`[data-testid="pinned-message"][data-message-id="${welcomeId}"]`).getByTestId('pinned-message-unpin').click();
    await bob.page.getByTestId('pins-empty').waitFor();
  });
});
