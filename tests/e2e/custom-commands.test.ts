/**
 * Custom slash commands in the web client (issue 22): an admin registers /deploy in the group
 * settings (its signing secret shown once), the composer suggests it at once, running it shows
 * the integration's in-channel answer to everyone as the command's APP user and an ephemeral one
 * to the caller alone, and a later answer through the run's response_url reaches the caller as a
 * toast; deleting it takes it out of the suggestions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { pairInGroup, screenshot, sentMessages, useE2e } from '../helpers/browser.js';
import { startIntegration, type Integration } from '../helpers/command-integration.js';

describe.runIf(dbKind === 'pglite')('e2e: custom slash commands', () => {
  // The integration listens on loopback: allowed here as an operator would for an internal service.
  const e2e = useE2e({ WEBHOOK_ALLOW_PRIVATE: 'on' });
  let integration: Integration;
  beforeAll(async () => {
    integration = await startIntegration();
  });
  afterAll(async () => integration?.close());

  it('registers /deploy, suggests it, shows in-channel and ephemeral answers and a later response_url answer, and deletes it', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'Deploys 发布');
    await alice.page.getByTestId('open-group-settings').click();
    const section = alice.page.getByTestId('group-settings-dialog').getByTestId('slash-commands-section');
    await section.getByText('No slash commands of this group.').waitFor();
    await section.getByTestId('slash-command-trigger').fill('deploy');
    await section.getByTestId('slash-command-url').fill(integration.url('/deploy'));
    await section.getByTestId('slash-command-description').fill('Deploy a build 发布');
    await section.getByTestId('slash-command-usage').fill('[environment]');
    await section.getByTestId('slash-command-create').click();
    expect(await section.getByTestId('slash-command-secret').inputValue()).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(() => section.getByTestId('slash-command-name').allTextContents()).toEqual(['/deploy [environment]']);
    await screenshot(alice.page, 'group-settings-slash-commands');
    await alice.page.getByTestId('modal-close').click();

    // Suggested at once, beside the built-in ones.
    const input = alice.page.getByTestId('composer-input');
    await input.fill('/dep');
    const options = alice.page.getByTestId('command-option');
    await expect.poll(() => options.evaluateAll((els) => els.map((e) => e.getAttribute('data-command')))).toEqual(['deploy']);

    integration.answer('/deploy', () => ({ body: JSON.stringify({ response_type: 'in_channel', text: 'Deploying *staging* 🚀' }) }));
    await input.press('Tab');
    await input.pressSequentially('staging');
    await input.press('Enter');
    const posted = sentMessages(bob.page).filter({ hasText: 'Deploying' });
    await posted.waitFor();
    expect(await posted.getByTestId('message-author').textContent()).toBe('/deploy');
    expect(await posted.getByTestId('app-badge').textContent()).toBe('APP');
    expect(integration.received('/deploy')[0]!.form.get('text')).toBe('staging');

    // Ephemeral: Alice alone sees it.
    integration.answer('/deploy', () => ({ type: 'text/plain', body: 'Only you can see this 仅你可见' }));
    await input.fill('/deploy prod');
    await input.press('Enter');
    await alice.page.getByTestId('toast').filter({ hasText: 'Only you can see this 仅你可见' }).waitFor();
    expect(await bob.page.getByText('Only you can see this').count()).toBe(0);

    // Later, through the run's response_url (under PUBLIC_URL's host: post its path to this server).
    const responseUrl = new URL(integration.received('/deploy')[1]!.form.get('response_url')!);
    const later = await fetch(new URL(responseUrl.pathname, e2e.server.httpUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'prod is live ✅' }),
    });
    expect(later.status).toBe(200);
    await alice.page.getByTestId('toast').filter({ hasText: '/deploy: prod is live ✅' }).waitFor();

    // Deleted: no longer suggested.
    await alice.page.getByTestId('open-group-settings').click();
    await section.getByTestId('slash-command-delete').click();
    await alice.page.getByTestId('confirm-ok').click();
    await expect.poll(() => section.getByTestId('slash-command-row').count()).toBe(0);
    await alice.page.getByTestId('modal-close').click();
    await input.fill('/dep');
    await expect.poll(() => options.count()).toBe(0);
  });
});
