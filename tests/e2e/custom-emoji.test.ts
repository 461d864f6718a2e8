/**
 * Custom emoji in the browser (issue 22): a site admin adds one in the Administration dialog; it
 * reaches the other person's open page live; `:name:` in a message shows the image (not in a
 * code span); the picker finds it by name, reacts with it and remembers it as recent; deleting
 * it turns the message and the reaction back into the `:name:` text.
 */
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { pairInGroup, screenshot, sentMessages, useE2e } from '../helpers/browser.js';

/** The message sent in this test (its text is not exactly its body: the name shows as an image). */
const hello = (page: Page): Locator => sentMessages(page).filter({ hasText: 'hello' });

async function openPicker(page: Page, message: Locator): Promise<Locator> {
  await message.hover();
  await message.getByTestId('message-actions').getByTestId('action-react').click();
  const picker = page.getByTestId('emoji-picker');
  await picker.waitFor();
  return picker;
}

describe.runIf(dbKind === 'pglite')('e2e: custom emoji', () => {
  const e2e = useE2e();

  it('an admin adds one, messages and reactions show it live, the picker finds it, deleting leaves the text', { timeout: 120_000 }, async () => {
    // Alice is the first account: the site admin.
    const { alice, bob } = await pairInGroup(e2e, 'Emoji');
    await alice.page.getByTestId('account-menu-button').click();
    await alice.page.getByTestId('open-admin').click();
    const admin = alice.page.getByTestId('admin-emoji');
    const image = await sharp({ create: { width: 96, height: 64, channels: 4, background: '#ff8800' } }).png().toBuffer();
    // A standard name is refused before anything is sent.
    await admin.getByTestId('admin-emoji-name').fill('tada');
    await admin.getByTestId('admin-emoji-file').setInputFiles({ name: 'cat.png', mimeType: 'image/png', buffer: image });
    await admin.getByTestId('admin-emoji-add').click();
    await expect.poll(() => admin.getByTestId('admin-emoji-error').textContent()).toContain('standard emoji');
    await admin.getByTestId('admin-emoji-name').fill('party_cat');
    await admin.getByTestId('admin-emoji-add').click();
    await admin.locator('[data-testid="admin-emoji-row"][data-name="party_cat"] img').waitFor();
    await screenshot(alice.page, 'admin-custom-emoji');
    await alice.page.keyboard.press('Escape');
    await alice.page.getByTestId('admin-dialog').waitFor({ state: 'detached' });

    // The text: an image for the name, the code span as written; on both pages.
    const input = alice.page.getByTestId('composer-input');
    await input.fill('hello :party_cat: and `:party_cat:` and :nothing_here:');
    await input.press('Enter');
    for (const page of [alice.page, bob.page]) {
      const body = hello(page).getByTestId('message-body');
      await body.locator('img[data-testid="custom-emoji"][data-name="party_cat"]').waitFor();
      expect(await body.locator('img[data-testid="custom-emoji"]').count()).toBe(1);
      expect(await body.locator('code').textContent()).toBe(':party_cat:');
      expect(await body.textContent()).toContain(':nothing_here:');
      // The image loads (a public URL, no token needed).
      await expect.poll(() => body.locator('img[data-testid="custom-emoji"]').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    }

    // Bob's picker: the custom section, then a search by name; picking reacts with :party_cat:.
    const atBob = hello(bob.page);
    let picker = await openPicker(bob.page, atBob);
    await picker.getByTestId('emoji-custom-section').locator('[data-emoji=":party_cat:"]').waitFor();
    await picker.getByTestId('emoji-search').fill('tada');
    await picker.locator('[data-testid="emoji-option"][data-emoji="🎉"]').waitFor();
    expect(await picker.getByTestId('emoji-custom').count()).toBe(0);
    await picker.getByTestId('emoji-search').fill('party');
    await picker.locator('[data-testid="emoji-custom"][data-emoji=":party_cat:"]').click();
    const chipAtAlice = hello(alice.page).locator('[data-testid="reaction"][data-emoji=":party_cat:"]');
    await chipAtAlice.locator('img[data-testid="custom-emoji"]').waitFor();
    await expect.poll(() => chipAtAlice.getAttribute('data-count')).toBe('1');

    // Recent: the pick comes first next time, in its own section.
    picker = await openPicker(bob.page, atBob);
    await picker.getByTestId('emoji-recent-section').locator('[data-emoji=":party_cat:"]').waitFor();
    await screenshot(bob.page, 'emoji-picker-recent');
    await bob.page.keyboard.press('Escape');

    // Deleted: the message and the reaction show the name as text, on Bob's page without a reload.
    await alice.page.getByTestId('account-menu-button').click();
    await alice.page.getByTestId('open-admin').click();
    await alice.page.locator('[data-testid="admin-emoji-row"][data-name="party_cat"] [data-testid="admin-emoji-delete"]').click();
    await alice.page.getByTestId('confirm-ok').click();
    const bodyAtBob = atBob.getByTestId('message-body');
    await expect.poll(() => bodyAtBob.locator('img[data-testid="custom-emoji"]').count()).toBe(0);
    expect(await bodyAtBob.textContent()).toContain('hello :party_cat: and');
    const chipAtBob = atBob.locator('[data-testid="reaction"][data-emoji=":party_cat:"]');
    await expect.poll(() => chipAtBob.textContent()).toContain(':party_cat:');
    expect(await chipAtBob.locator('img').count()).toBe(0);
  });
});
