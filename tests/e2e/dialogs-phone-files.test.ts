/**
 * Issue 25.4: Escape closes a dialog with a search field at the first press; on a 390 px phone
 * the conversation header keeps its title readable (actions in a ⋯ menu, a one-line subtitle);
 * a file uploaded as "report".png keeps its name (browsers send the quotes as %22).
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { createAccount, createGroupApi, openConversation, pairInGroup, PHONE, screenshot, sentMessage, useE2e } from '../helpers/browser.js';

/** Types into a dialog's search field, then one Escape: the dialog must be gone. */
async function escapeCloses(page: Page, open: () => Promise<void>, dialogTestId: string, inputTestId: string): Promise<void> {
  await open();
  const dialog = page.getByTestId(dialogTestId);
  await dialog.waitFor();
  const input = dialog.getByTestId(inputTestId);
  await input.fill('测试 query');
  await input.press('Escape');
  await dialog.waitFor({ state: 'detached', timeout: 2000 });
}

describe.runIf(dbKind === 'pglite')('e2e: dialogs, the phone header and file names', () => {
  const e2e = useE2e();

  it('closes search, new chat, browse and add member with the first Escape', { timeout: 90_000 }, async () => {
    const { alice } = await pairInGroup(e2e, 'Escape 退出', { only: 'alice' });
    const page = alice.page;
    await escapeCloses(page, () => page.keyboard.press('Control+Shift+f'), 'search-dialog', 'search-input');
    await escapeCloses(page, () => page.keyboard.press('Control+k'), 'quick-switcher', 'switcher-input');
    await escapeCloses(page, () => page.getByTestId('open-new-direct').click(), 'new-direct-dialog', 'user-search-input');
    await escapeCloses(page, () => page.getByTestId('open-browse-groups').click(), 'browse-groups-dialog', 'group-search-input');
    // Focus went back to what opened it: the keyboard user carries on from there.
    await expect.poll(() => page.evaluate('document.activeElement?.dataset?.testid')).toBe('open-browse-groups');
    await page.getByTestId('toggle-members').click();
    await escapeCloses(page, () => page.getByTestId('open-add-member').click(), 'add-member', 'user-search-input');
    await page.getByTestId('open-add-member').waitFor();
  });

  it('keeps the title readable on a 390 px phone, with the actions in a menu', { timeout: 90_000 }, async () => {
    const alice = await createAccount(e2e.server, 'alice', 'Alice');
    const bob = await createAccount(e2e.server, 'bob', 'Bob');
    const carol = await createAccount(e2e.server, 'carol', 'Carol');
    const name = 'Weekly planning 每周计划';
    const groupId = await createGroupApi(e2e.server, alice, { name, visibility: 'public', memberIds: [bob.user.id, carol.user.id] });
    const page = (await e2e.newPage('alice', { account: alice, viewport: PHONE })).page;
    await openConversation(page, groupId);

    const title = page.getByTestId('conversation-title');
    expect(await title.textContent()).toBe(name);
    // The whole title fits (nothing cut off), and has most of the width.
    expect(await title.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect((await title.boundingBox())!.width).toBeGreaterThan(PHONE.width * 0.45);
    // "3 members · public" on one line.
    const subtitle = page.getByTestId('conversation-subtitle');
    expect(await subtitle.textContent()).toBe('3 members · public');
    const lineHeight = await subtitle.evaluate((el) => parseFloat((globalThis as unknown as { getComputedStyle(e: unknown): { lineHeight: string; fontSize: string } }).getComputedStyle(el).lineHeight) || 16);
    expect((await subtitle.boundingBox())!.height).toBeLessThan(lineHeight * 1.5);
    // The actions moved into the ⋯ menu, reachable by keyboard.
    expect(await page.getByTestId('toggle-members').isVisible()).toBe(false);
    const more = page.getByTestId('header-menu-button');
    await more.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('header-menu').waitFor();
    await expect.poll(() => page.evaluate('document.activeElement?.dataset?.testid')).toBe('header-menu-pins');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate('document.activeElement?.dataset?.testid')).toBe('header-menu-members');
    await screenshot(page, 'phone-header-menu');
    await page.keyboard.press('Escape');
    await page.getByTestId('header-menu').waitFor({ state: 'detached' });
    await expect.poll(() => page.evaluate('document.activeElement?.dataset?.testid')).toBe('header-menu-button');
    await more.click();
    await page.getByTestId('header-menu-members').click();
    await page.getByTestId('members-panel').locator('[data-testid="member"]').nth(2).waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
  });

  it('shows a file uploaded as "report".png under that name', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'Files 文件');
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 60, b: 60 } } }).png().toBuffer();
    await alice.page.getByTestId('composer-file-input').setInputFiles({ name: '"report".png', mimeType: 'image/png', buffer: png });
    await alice.page.getByTestId('composer-input').fill('the "report" 报告');
    await alice.page.getByTestId('composer-send').click();
    // Bob's copy comes from the server: the name as stored.
    for (const u of [alice, bob]) {
      const img = sentMessage(u.page, 'the "report" 报告').locator('[data-testid="attachment-image"] img');
      await img.waitFor();
      expect(await img.getAttribute('alt')).toBe('"report".png');
    }
  });
});
