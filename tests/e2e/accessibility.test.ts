/**
 * Accessibility (issue 21) in a real browser: axe-core (injected from node_modules) finds no
 * serious or critical violation on any main screen, in the light and the dark scheme: sign-in and
 * sign-up, the inbox with a conversation open (reactions, an attachment, a thread), the thread
 * panel, the members panel, the search, profile, group settings and admin dialogs, and the phone
 * layout. Dialogs take the focus, keep it inside, close on Escape and give it back to the opener.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind, type Account } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';
import { createAccount, createGroupApi, openConversation, PHONE, postMessageApi, useE2e, type E2e } from '../helpers/browser.js';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** The serious and critical violations axe finds on the page (or inside `scope`), in both colour schemes. */
async function seriousViolations(page: Page, scope?: string): Promise<string[]> {
  // Evaluated rather than added as a <script>: the page's CSP (script-src 'self') refuses inline scripts.
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = (await page.evaluate(
      `window.axe.run(${scope ? JSON.stringify(scope) : 'document'}, { resultTypes: ['violations'] }).then((r) => r.violations)`,
    )) as AxeViolation[];
    for (const v of violations) {
      if (v.impact !== 'serious' && v.impact !== 'critical') continue;
      const nodes = v.nodes.map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary ?? ''}`).join('\n    ');
      found.push(`[${colorScheme}] ${v.id} (${v.impact}): ${v.help}\n    ${nodes}`);
    }
  }
  await page.emulateMedia({ colorScheme: null });
  return found;
}

async function expectAccessible(page: Page, screen: string, scope?: string): Promise<void> {
  expect(await seriousViolations(page, scope), `axe on ${screen}`).toEqual([]);
}

/** A group with history worth checking: a message with reactions, one with an image, a thread with a reply. */
async function richGroup(e2e: E2e, owner: Account, other: Account): Promise<{ groupId: string; rootId: string }> {
  const server = e2e.server;
  const auth = (a: Account) => ({ authorization: `Bearer ${a.token}` });
  const groupId = await createGroupApi(server, owner, { name: 'Design 设计', memberIds: [other.user.id], description: 'Where we talk about the product' });
  const rootId = await postMessageApi(server, other, groupId, 'Shall we **ship** it on Friday? 周五发布吗？');
  for (const [who, emoji] of [
    [owner, '👍'],
    [other, '🎉'],
  ] as const) {
    const res = await server.app.inject({ method: 'PUT', url: `/api/v1/messages/${rootId}/reactions/${encodeURIComponent(emoji)}`, headers: auth(who) });
    expect(res.statusCode).toBe(204);
  }
  const reply = await server.app.inject({ method: 'POST', url: `/api/v1/conversations/${groupId}/messages`, headers: auth(owner), payload: { body: 'Yes, after the review', threadId: rootId } });
  expect(reply.statusCode).toBe(201);
  const png = await (await import('sharp')).default({ create: { width: 64, height: 48, channels: 3, background: '#4c6ef5' } }).png().toBuffer();
  const file = multipart('mock-up.png', png, 'image/png');
  const up = await server.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(other), 'content-type': file.contentType }, payload: file.payload });
  expect(up.statusCode).toBe(201);
  const withFile = await server.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${groupId}/messages`,
    headers: auth(other),
    payload: { body: 'The mock-up', attachmentIds: [(up.json() as { id: string }).id] },
  });
  expect(withFile.statusCode).toBe(201);
  await postMessageApi(server, owner, groupId, 'See https://example.invalid/spec and @everyone');
  return { groupId, rootId };
}

/** Opens a dialog with `open`, checks it holds the focus and axe finds nothing, then closes it with Escape. */
async function checkDialog(page: Page, name: string, testId: string, open: () => Promise<void>): Promise<void> {
  await open();
  const dialog = page.getByTestId(testId);
  await dialog.waitFor();
  const focusInside = `!!document.activeElement?.closest('[data-testid="${testId}"]')`;
  // The focus moved into the dialog, and Tab keeps it there.
  await expect.poll(() => page.evaluate(focusInside)).toBe(true);
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect(await page.evaluate(focusInside), `${name}: Tab ${i + 1} stays in the dialog`).toBe(true);
  }
  await expectAccessible(page, name);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
}

describe.runIf(dbKind === 'pglite')('e2e: accessibility', () => {
  const e2e = useE2e();

  it('sign-in and sign-up screens have no serious violations', { timeout: 60_000 }, async () => {
    const { page } = await e2e.newPage('visitor');
    await page.goto('/');
    await page.getByTestId('auth-screen').waitFor();
    await expectAccessible(page, 'sign-in');
    await page.getByTestId('auth-mode-toggle').click();
    await page.getByTestId('auth-display-name').waitFor();
    await expectAccessible(page, 'sign-up');
  });

  it('the conversation view, thread and members panels and the main dialogs have none, and dialogs handle the focus', { timeout: 180_000 }, async () => {
    // The first account of the server is its site admin (the admin dialog).
    const admin = await createAccount(e2e.server, 'ada', 'Ada Admin');
    const bo = await createAccount(e2e.server, 'bo', 'Bo 博');
    const { groupId } = await richGroup(e2e, admin, bo);
    const { page } = await e2e.newPage('ada', { account: admin });
    await openConversation(page, groupId);
    const conversation = page.getByTestId('conversation');
    await conversation.getByTestId('reaction').first().waitFor();
    await conversation.getByTestId('thread-summary').waitFor();
    await conversation.getByTestId('attachment-image').locator('img').waitFor();
    // Landmarks: the inbox is navigation beside the main content.
    expect(await page.locator('main').count()).toBe(1);
    expect(await page.locator('nav').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'the inbox with a conversation open');

    await conversation.getByTestId('thread-summary').click();
    await page.getByTestId('thread-panel').getByText('Yes, after the review').waitFor();
    await expectAccessible(page, 'the thread panel');
    await page.getByTestId('thread-panel').locator('h2').focus();
    await page.keyboard.press('Escape');
    await page.getByTestId('thread-panel').waitFor({ state: 'detached' });

    await conversation.getByTestId('toggle-members').click();
    await page.getByTestId('members-panel').waitFor();
    await expectAccessible(page, 'the members panel');
    await page.getByTestId('members-panel-close').click();

    // Dialogs: focus in, kept in, Escape closes, focus back on the opener.
    const opener = page.getByTestId('open-search');
    await checkDialog(page, 'the search dialog', 'search-dialog', () => opener.click());
    await expect.poll(() => page.evaluate('document.activeElement?.dataset?.testid')).toBe('open-search');
    await checkDialog(page, 'the group settings dialog', 'group-settings-dialog', () => conversation.getByTestId('open-group-settings').click());
    await checkDialog(page, 'the profile dialog', 'profile-dialog', async () => {
      await page.getByTestId('account-menu-button').click();
      await page.getByTestId('open-profile').click();
    });
    await checkDialog(page, 'the admin dialog', 'admin-dialog', async () => {
      await page.getByTestId('account-menu-button').click();
      await page.getByTestId('open-admin').click();
    });
  });

  it('the phone layout has none, in the inbox and in a conversation', { timeout: 90_000 }, async () => {
    const cy = await createAccount(e2e.server, 'cy', 'Cy');
    const di = await createAccount(e2e.server, 'di', 'Di');
    const { groupId } = await richGroup(e2e, cy, di);
    const { page } = await e2e.newPage('cy', { account: cy, viewport: PHONE });
    await page.goto('/');
    await page.getByTestId('inbox').waitFor();
    await expectAccessible(page, 'the phone inbox');
    await openConversation(page, groupId);
    await page.getByTestId('conversation').getByTestId('reaction').first().waitFor();
    await expectAccessible(page, 'a conversation on a phone');
  });
});
