/** Slash commands in the composer (issue 22): suggested as you type, run by the server, the answer shown to you alone. */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { pairInGroup, sentMessage, useE2e } from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: slash commands', () => {
  const e2e = useE2e();

  it('suggests commands after /, completes with Tab, runs /shrug and /status, and sends an unknown /word as text', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'Commands');
    const input = alice.page.getByTestId('composer-input');
    await input.fill('/s');
    const options = alice.page.getByTestId('command-option');
    await expect.poll(() => options.evaluateAll((els) => els.map((e) => e.getAttribute('data-command')))).toEqual(['shrug', 'status']);
    await input.press('Tab');
    await expect.poll(() => input.inputValue()).toBe('/shrug ');
    await input.pressSequentially('没办法');
    await input.press('Enter');
    await sentMessage(bob.page, '没办法 ¯\\_(ツ)_/¯').waitFor();

    // The server's answer is for Alice alone.
    await input.fill('/status 🌴 on holiday');
    await input.press('Enter');
    await alice.page.getByText('Your status is set.').waitFor();
    await expect.poll(() => input.inputValue()).toBe('');

    // Not a command: a path is a message like any other.
    await input.fill('/usr/bin is where it lives');
    await input.press('Enter');
    await sentMessage(bob.page, '/usr/bin is where it lives').waitFor();
  });
});
