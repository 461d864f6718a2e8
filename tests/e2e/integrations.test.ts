/**
 * Integrations and search in the web client: an admin adds an incoming webhook in the group
 * settings, a tool posts Slack's payload to its URL and the message shows live with the hook's
 * name and an APP badge; revoking it stops the URL. Search filters typed in the dialog (completed
 * from: and has:) find the right messages, and a bad filter shows the server's message.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';
import { pairInGroup, postMessageApi, screenshot, sentMessages, useE2e } from '../helpers/browser.js';
import type { Account } from '../helpers/app.js';
import type { TestServer } from '../helpers/ws.js';

/** A message with a file, through the API. */
async function postFileMessage(server: TestServer, who: Account, conversationId: string, body: string): Promise<string> {
  const file = multipart('report.txt', Buffer.from('build log 日志'), 'text/plain');
  const up = await server.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { authorization: `Bearer ${who.token}`, 'content-type': file.contentType }, payload: file.payload });
  if (up.statusCode !== 201) throw new Error(`upload failed: ${up.statusCode} ${up.body}`);
  const res = await server.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/messages`,
    headers: { authorization: `Bearer ${who.token}` },
    payload: { body, clientMsgId: randomUUID(), attachmentIds: [(up.json() as { id: string }).id] },
  });
  if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

describe.runIf(dbKind === 'pglite')('e2e: integrations and search filters', () => {
  const e2e = useE2e();

  it('an admin adds an incoming webhook, its Slack payload shows live with the APP badge, and revoking it stops the URL', { timeout: 60_000 }, async () => {
    const { alice, bob, aliceAcc, groupId } = await pairInGroup(e2e, 'CI 构建');
    await alice.page.getByTestId('open-group-settings').click();
    const dialog = alice.page.getByTestId('group-settings-dialog');
    const section = dialog.getByTestId('integrations-section');
    await section.getByText('No incoming webhooks.').waitFor();
    await section.getByTestId('webhook-name-input').fill('Build bot 构建');
    await section.getByTestId('webhook-create').click();
    const url = await section.getByTestId('webhook-url').inputValue();
    expect(url).toMatch(/^https?:\/\/[^/]+\/hooks\//);
    expect(await section.getByTestId('webhook-curl').textContent()).toBe(`curl -X POST -H 'Content-Type: application/json' -d '{"text":"Hello"}' ${url}`);
    await expect.poll(() => section.getByTestId('webhook-name').allTextContents()).toEqual(['Build bot 构建']);
    expect(await section.getByTestId('webhook-meta').textContent()).toContain('by Alice');
    await screenshot(alice.page, 'group-settings-integrations');

    // The URL names PUBLIC_URL (here the configured http://127.0.0.1:3000, not the test's port): post its path here.
    const target = new URL(new URL(url).pathname, e2e.server.httpUrl).toString();
    const posted = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Build #42 passed ✅' }) });
    expect(posted.status).toBe(200);
    const msg = sentMessages(bob.page).filter({ hasText: 'Build #42 passed' });
    await msg.waitFor();
    expect(await msg.getByTestId('message-author').textContent()).toBe('Build bot 构建');
    expect(await msg.getByTestId('app-badge').textContent()).toBe('APP');
    // A person's message carries no badge.
    await postMessageApi(e2e.server, aliceAcc, groupId, 'Thanks, bot');
    const human = sentMessages(bob.page).filter({ hasText: 'Thanks, bot' });
    await human.waitFor();
    expect(await human.getByTestId('app-badge').count()).toBe(0);

    await section.getByTestId('webhook-revoke').click();
    await alice.page.getByTestId('confirm-ok').click();
    await expect.poll(() => section.getByTestId('webhook-row').count()).toBe(0);
    const refused = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'after revoke' }) });
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });

  it('completes from: and has: in the search dialog, sends them with the time zone, finds the right messages, and shows a bad filter\'s message', { timeout: 60_000 }, async () => {
    const { alice, aliceAcc, bobAcc, groupId } = await pairInGroup(e2e, 'Reports 报告', { only: 'alice' });
    const wanted = await postFileMessage(e2e.server, aliceAcc, groupId, 'quarterly report attached');
    await postMessageApi(e2e.server, aliceAcc, groupId, 'quarterly report without a file');
    await postFileMessage(e2e.server, bobAcc, groupId, 'quarterly report from Bob');
    // The bad filter's 400 is the answer under test, not a fault of the page.
    alice.tolerated.push(/the server responded with a status of 400 \(Bad Request\)/);
    const queries: string[] = [];
    alice.page.on('request', (r) => {
      if (r.url().includes('/api/v1/search/messages')) queries.push(r.url());
    });

    await alice.page.getByTestId('open-search').click();
    const dialog = alice.page.getByTestId('search-dialog');
    const input = dialog.getByTestId('search-input');
    await dialog.getByTestId('search-help').waitFor();
    // from: completes with usernames from the server, picked with the keyboard.
    await input.pressSequentially(`quarterly from:${aliceAcc.user.username.slice(0, 4)}`);
    const suggestion = dialog.locator(`[data-testid="search-suggestion"][data-value="from:${aliceAcc.user.username}"]`);
    await suggestion.waitFor();
    await screenshot(alice.page, 'search-filter-suggestions');
    while ((await suggestion.getAttribute('aria-selected')) !== 'true') await input.press('ArrowDown');
    await input.press('Enter');
    expect(await input.inputValue()).toBe(`quarterly from:${aliceAcc.user.username} `);
    // has: completes from its values.
    await input.pressSequentially('has:fi');
    await dialog.locator('[data-testid="search-suggestion"][data-value="has:file"]').waitFor();
    await input.press('Tab');
    expect(await input.inputValue()).toBe(`quarterly from:${aliceAcc.user.username} has:file `);
    await expect.poll(() => dialog.getByTestId('search-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')))).toEqual([wanted]);
    const tz = await alice.page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.every((u) => new URL(u).searchParams.get('tz') === tz)).toBe(true);

    // in: completes with the reader's group names (quoted when they have a space); the first Escape closes the list, not the dialog.
    await input.fill('');
    await input.pressSequentially('in:rep');
    await dialog.locator('[data-testid="search-suggestion"][data-value=\'in:"Reports 报告"\']').waitFor();
    await input.press('Escape');
    await dialog.getByTestId('search-suggestions').waitFor({ state: 'detached' });
    expect(await dialog.isVisible()).toBe(true);

    // A bad day: the server's own message.
    const bad = 'quarterly before:yesterday';
    const answer = await e2e.server.app.inject({ method: 'GET', url: `/api/v1/search/messages?q=${encodeURIComponent(bad)}&tz=${encodeURIComponent(tz)}`, headers: { authorization: `Bearer ${aliceAcc.token}` } });
    expect(answer.statusCode).toBe(400);
    await input.fill(bad);
    const error = dialog.getByTestId('search-error');
    await error.waitFor();
    expect(await error.textContent()).toBe((answer.json() as { error: { message: string } }).error.message);
    expect(await dialog.getByTestId('search-result').count()).toBe(0);
  });
});
