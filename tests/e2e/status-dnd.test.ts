/**
 * Status and do not disturb in the web client: Alice sets a status (emoji and text) and Bob sees it
 * next to her name live, in the timeline and the member list; Alice pauses notifications, sees
 * "Notifications paused until …" and resumes, while Bob sees the moon come and go; a daily quiet
 * time saved in the notification settings is there again when they are reopened.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { pairInGroup, postMessageApi, screenshot, sentMessages, useE2e } from '../helpers/browser.js';

async function accountMenu(page: Page, item: string): Promise<void> {
  const button = page.getByTestId(item);
  if (!(await button.isVisible())) await page.getByTestId('account-menu-button').click();
  await button.click();
}

describe.runIf(dbKind === 'pglite')('e2e: status and do not disturb', () => {
  const e2e = useE2e();

  it('a status and a pause show live to the other member, and the paused user sees the banner and resumes', { timeout: 60_000 }, async () => {
    const { alice, bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Team 团队');
    await postMessageApi(e2e.server, aliceAcc, groupId, 'Morning 早上好');
    const aliceMsg = sentMessages(bob.page).filter({ hasText: 'Morning 早上好' });
    await aliceMsg.waitFor();
    expect(await aliceMsg.getByTestId('user-status').count()).toBe(0);
    await bob.page.getByTestId('toggle-members').click();
    const aliceRow = bob.page.locator(`[data-testid="member"][data-user-id="${aliceAcc.user.id}"]`);
    await aliceRow.waitFor();

    // Alice: a preset, then her own text, cleared after an hour.
    await accountMenu(alice.page, 'open-status');
    const dialog = alice.page.getByTestId('status-dialog');
    await dialog.getByTestId('status-preset').first().click();
    expect(await dialog.getByTestId('status-emoji').inputValue()).toBe('📅');
    await dialog.getByTestId('status-text').fill('Planning 规划');
    await dialog.getByTestId('status-expiry').selectOption('1h');
    await screenshot(alice.page, 'status-dialog');
    await dialog.getByTestId('status-save').click();
    await dialog.waitFor({ state: 'detached' });

    // Bob sees it live next to her name, with the text on hover.
    const status = aliceMsg.getByTestId('user-status');
    await status.waitFor();
    expect(await status.textContent()).toBe('📅');
    expect(await status.getAttribute('title')).toBe('Planning 规划');
    await aliceRow.getByTestId('user-status').waitFor();
    await alice.page.getByTestId('account-menu-button').getByTestId('user-status').waitFor();

    // Alice pauses notifications for an hour: her banner, Bob's moon.
    await accountMenu(alice.page, 'open-pause');
    await alice.page.getByTestId('pause-1h').click();
    const banner = alice.page.getByTestId('dnd-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Notifications paused until');
    await aliceMsg.getByTestId('user-dnd').waitFor();
    await aliceRow.getByTestId('user-dnd').waitFor();
    await screenshot(alice.page, 'dnd-banner');

    // Resume: both go.
    await banner.getByTestId('dnd-resume').click();
    await banner.waitFor({ state: 'detached' });
    await aliceMsg.getByTestId('user-dnd').waitFor({ state: 'detached' });

    // Clearing the status takes it away for Bob too.
    await accountMenu(alice.page, 'open-status');
    await alice.page.getByTestId('status-clear').click();
    await status.waitFor({ state: 'detached' });
  });

  it('saves a do-not-disturb schedule in the browser\'s time zone', { timeout: 60_000 }, async () => {
    const { alice, aliceAcc } = await pairInGroup(e2e, 'Quiet 安静', { only: 'alice' });
    await accountMenu(alice.page, 'open-profile');
    await alice.page.getByTestId('open-notification-settings').click();
    const dialog = alice.page.getByTestId('notification-settings-dialog');
    const schedule = dialog.getByTestId('dnd-schedule');
    await schedule.getByTestId('dnd-schedule-toggle').check();
    await schedule.getByTestId('dnd-schedule-start').fill('22:00');
    await schedule.getByTestId('dnd-schedule-end').fill('07:30');
    await schedule.getByTestId('dnd-schedule-day-6').check();
    await schedule.getByTestId('dnd-schedule-save').click();
    await schedule.getByText('Saved.').waitFor();
    const tz = await alice.page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const prefs = await e2e.server.app.inject({ method: 'GET', url: '/api/v1/users/me/notification-prefs', headers: { authorization: `Bearer ${aliceAcc.token}` } });
    expect(prefs.json().dndSchedule).toEqual({ start: '22:00', end: '07:30', days: [1, 2, 3, 4, 5, 6], timeZone: tz });

    await dialog.getByTestId('notification-settings-close').click();
    await alice.page.getByTestId('open-notification-settings').click();
    await expect.poll(() => dialog.getByTestId('dnd-schedule-start').inputValue()).toBe('22:00');
    expect(await dialog.getByTestId('dnd-schedule-day-0').isChecked()).toBe(false);
  });
});
