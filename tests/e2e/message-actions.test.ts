/** Reply, react, edit and delete through the message actions, seen live by the other person. */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { pairInGroup, screenshot, sendFromComposer, sentMessage, useE2e } from '../helpers/browser.js';

function byId(page: Page, messageId: string): Locator {
  return page.locator(`[data-testid="message"][data-message-id="${messageId}"]`);
}

/** Shows a message's action bar (it appears on hover) and clicks one of its buttons. */
async function act(message: Locator, testId: string, emoji?: string): Promise<void> {
  await message.hover();
  const selector = emoji ? `[data-testid="${testId}"][data-emoji="${emoji}"]` : `[data-testid="${testId}"]`;
  await message.getByTestId('message-actions').locator(selector).click();
}

/** The reactions under a message as "emoji:count:me", in order. */
async function reactions(message: Locator): Promise<string[]> {
  return message.getByTestId('reaction').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-emoji')}:${el.getAttribute('data-count')}:${el.getAttribute('data-me')}`)) as Promise<string[]>;
}

describe.runIf(dbKind === 'pglite')('e2e: message actions', () => {
  const e2e = useE2e();

  it('replies, reacts, edits and deletes, and the other side sees each change live', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'Actions');
    await sendFromComposer(alice.page, 'Original message');
    const originalId = (await sentMessage(alice.page, 'Original message').getAttribute('data-message-id'))!;
    expect(originalId).toBeTruthy();
    const originalAtBob = byId(bob.page, originalId);
    await originalAtBob.waitFor();

    // Bob replies: the composer says to whom, and both see the quote of the original.
    await act(originalAtBob, 'action-reply');
    await expect.poll(() => bob.page.getByTestId('reply-preview').textContent()).toContain('Original message');
    await sendFromComposer(bob.page, 'A reply to that');
    await bob.page.getByTestId('reply-preview').waitFor({ state: 'detached' });
    for (const page of [alice.page, bob.page]) {
      const quote = sentMessage(page, 'A reply to that').getByTestId('reply-quote');
      await quote.waitFor();
      expect(await quote.getAttribute('data-reply-to')).toBe(originalId);
      await expect.poll(() => quote.textContent()).toContain('Original message');
    }

    // Reactions: Bob's quick 👍, Alice's 👍 on the chip and 🎉 from the picker, then Bob takes his back.
    await act(originalAtBob, 'quick-reaction', '👍');
    const originalAtAlice = byId(alice.page, originalId);
    await expect.poll(() => reactions(originalAtAlice)).toEqual(['👍:1:false']);
    await expect.poll(() => reactions(originalAtBob)).toEqual(['👍:1:true']);
    await originalAtAlice.locator('[data-testid="reaction"][data-emoji="👍"]').click();
    await act(originalAtAlice, 'action-react');
    await alice.page.locator('[data-testid="emoji-picker"] [data-testid="emoji-option"][data-emoji="🎉"]').click();
    await expect.poll(() => reactions(originalAtAlice)).toEqual(['👍:2:true', '🎉:1:true']);
    await expect.poll(() => reactions(originalAtBob)).toEqual(['👍:2:true', '🎉:1:false']);
    await originalAtBob.locator('[data-testid="reaction"][data-emoji="👍"]').click();
    await expect.poll(() => reactions(originalAtBob)).toEqual(['👍:1:false', '🎉:1:false']);
    await expect.poll(() => reactions(originalAtAlice)).toEqual(['👍:1:true', '🎉:1:true']);
    await screenshot(bob.page, 'reactions-reply');

    // Alice edits her message: the text changes on both sides, marked edited, and so does Bob's quote of it.
    await act(originalAtAlice, 'action-edit');
    await alice.page.getByTestId('edit-preview').waitFor();
    const input = alice.page.getByTestId('composer-input');
    await expect.poll(() => input.inputValue()).toBe('Original message');
    await input.fill('Edited message 已编辑');
    await input.press('Enter');
    await alice.page.getByTestId('edit-preview').waitFor({ state: 'detached' });
    for (const m of [originalAtAlice, originalAtBob]) {
      await m.getByTestId('message-edited').waitFor();
      await expect.poll(() => m.getByTestId('message-body').textContent()).toMatch(/^Edited message 已编辑\s*\(edited\)$/);
    }
    await expect.poll(() => sentMessage(bob.page, 'A reply to that').getByTestId('reply-quote').textContent()).toContain('Edited message 已编辑');
    await expect.poll(() => input.inputValue()).toBe('');

    // Alice deletes it (after confirming): both see a tombstone, without text or reactions.
    await act(originalAtAlice, 'action-delete');
    await alice.page.getByTestId('confirm-ok').click();
    for (const m of [originalAtAlice, originalAtBob]) {
      await m.getByTestId('message-deleted').waitFor();
      expect(await m.getByTestId('message-body').count()).toBe(0);
      await expect.poll(() => m.getByTestId('reaction').count()).toBe(0);
    }
    await expect.poll(() => sentMessage(bob.page, 'A reply to that').getByTestId('reply-quote').textContent()).toContain('Message deleted');
    expect(await bob.page.getByText('Edited message 已编辑').count()).toBe(0);
  });
});
