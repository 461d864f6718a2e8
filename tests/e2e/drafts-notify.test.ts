/**
 * Issue 21 in Chromium: a draft is kept per conversation on the server (it survives a reload, is
 * in a second browser of the same user, follows changes made elsewhere without overwriting what
 * the user is typing, and goes when the message is sent); while the tab is hidden a new message
 * shows a desktop notification as the conversation's level allows (all, mentions, muted), and
 * clicking it opens the conversation; the unread count is in the title and on the favicon.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dbKind, type Account } from '../helpers/app.js';
import { createAccount, createGroupApi, inboxItem, openConversation, postMessageApi, screenshot, sentMessage, useE2e } from '../helpers/browser.js';

/** Records each Notification the page constructs (window.__notes), and lets the test hide the page (window.__setHidden). */
const OBSERVE_NOTIFICATIONS = `
  window.__notes = [];
  const Real = window.Notification;
  class Recording extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notes.push({ title, body: (options && options.body) || '', tag: (options && options.tag) || '' });
      window.__lastNote = this;
    }
  }
  Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recording;
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
  window.__setHidden = (h) => {
    hidden = h;
    document.dispatchEvent(new Event('visibilitychange'));
  };
`;

interface Note {
  title: string;
  body: string;
  tag: string;
}

describe.runIf(dbKind === 'pglite')('e2e: drafts, desktop notifications, unread count', () => {
  // Desktop notifications: the headless shell keeps their permission denied, even when granted.
  const e2e = useE2e({}, { desktop: true });

  async function serverDrafts(account: Account): Promise<Record<string, string>> {
    const res = await e2e.server.app.inject({ method: 'GET', url: '/api/v1/drafts', headers: { authorization: `Bearer ${account.token}` } });
    expect(res.statusCode, res.body).toBe(200);
    return Object.fromEntries((res.json() as { drafts: { conversationId: string; body: string }[] }).drafts.map((d) => [d.conversationId, d.body]));
  }

  const composer = (page: Page) => page.getByTestId('composer-input');

  it('a draft survives a reload, is in a second browser of the same user, follows changes made elsewhere but not over typing, and goes when sent', { timeout: 120_000 }, async () => {
    const [alice, bob] = await Promise.all([createAccount(e2e.server, 'alice', 'Alice'), createAccount(e2e.server, 'bob', 'Bob')]);
    const plans = await createGroupApi(e2e.server, alice, { name: 'Plans 计划', memberIds: [bob.user.id] });
    const other = await createGroupApi(e2e.server, alice, { name: 'Other', memberIds: [bob.user.id] });
    const first = await e2e.newPage('alice', { account: alice });
    const page = first.page;

    // Typed, then saved once typing stops.
    await openConversation(page, plans);
    await composer(page).fill('half-written 草稿');
    await expect.poll(() => serverDrafts(alice), { timeout: 10_000 }).toEqual({ [plans]: 'half-written 草稿' });

    // Switching away: the inbox marks the conversation.
    await openConversation(page, other);
    const marked = inboxItem(page, plans).getByTestId('inbox-draft');
    await marked.waitFor();
    expect(await inboxItem(page, plans).getByTestId('inbox-preview').textContent()).toBe('Draft: half-written 草稿');
    await screenshot(page, 'draft-in-inbox');

    // A reload keeps it.
    await page.reload();
    await inboxItem(page, plans).getByTestId('inbox-draft').waitFor();
    await openConversation(page, plans);
    await expect.poll(() => composer(page).inputValue()).toBe('half-written 草稿');

    // A second browser of the same user has it.
    const second = await e2e.newPage('alice-2', { account: alice });
    const page2 = second.page;
    await inboxItem(page2, plans).getByTestId('inbox-draft').waitFor();
    await openConversation(page2, plans);
    await expect.poll(() => composer(page2).inputValue()).toBe('half-written 草稿');

    // Changed in the second browser: the first one, idle since its reload, follows without another.
    await composer(page2).fill('the finished plan');
    await expect.poll(() => composer(page).inputValue(), { timeout: 10_000 }).toBe('the finished plan');

    // Changed elsewhere while the second browser's user is typing: their text stays, and wins.
    await composer(page2).fill('my own words');
    const put = await e2e.server.app.inject({
      method: 'PUT',
      url: `/api/v1/conversations/${plans}/draft`,
      headers: { authorization: `Bearer ${alice.token}` },
      payload: { body: 'from a phone' },
    });
    expect(put.statusCode, put.body).toBe(200);
    await expect.poll(() => serverDrafts(alice), { timeout: 10_000 }).toEqual({ [plans]: 'my own words' });
    expect(await composer(page2).inputValue()).toBe('my own words');
    await expect.poll(() => composer(page).inputValue(), { timeout: 10_000 }).toBe('my own words');

    // Sent: gone from the server and from the other browser.
    await composer(page2).press('Enter');
    await sentMessage(page2, 'my own words').waitFor();
    expect(await composer(page2).inputValue()).toBe('');
    await expect.poll(() => serverDrafts(alice), { timeout: 10_000 }).toEqual({});
    await expect.poll(() => composer(page).inputValue(), { timeout: 10_000 }).toBe('');
    await openConversation(page, other);
    await expect.poll(() => inboxItem(page, plans).getByTestId('inbox-draft').count()).toBe(0);

    // Typed just before leaving the page (before the pause that saves): saved as the page goes.
    await composer(page).fill('typed just before leaving');
    await page.reload();
    await expect.poll(() => serverDrafts(alice), { timeout: 10_000 }).toEqual({ [other]: 'typed just before leaving' });
    expect([...first.problems, ...second.problems]).toEqual([]);
  });

  it('while the tab is hidden, a new message shows a notification as the level allows (not muted, mentions only where so set); a click opens the conversation; the title and icon count unread', { timeout: 120_000 }, async () => {
    const [alice, bob] = await Promise.all([createAccount(e2e.server, 'alice', 'Alice'), createAccount(e2e.server, 'bob', 'Bob 鲍勃')]);
    const loud = await createGroupApi(e2e.server, bob, { name: 'Loud', memberIds: [alice.user.id] });
    const quiet = await createGroupApi(e2e.server, bob, { name: 'Quiet', memberIds: [alice.user.id] });
    // A group's default level is mentions.
    const team = await createGroupApi(e2e.server, bob, { name: 'Team 团队', memberIds: [alice.user.id] });
    for (const [id, change] of [
      [loud, { level: 'all' }],
      [quiet, { level: 'all', muted: true }],
    ] as const) {
      const res = await e2e.server.app.inject({ method: 'PUT', url: `/api/v1/conversations/${id}/notifications`, headers: { authorization: `Bearer ${alice.token}` }, payload: change });
      expect(res.statusCode, res.body).toBe(200);
    }
    const user = await e2e.newPage('alice', { account: alice, permissions: ['notifications'], initScript: OBSERVE_NOTIFICATIONS });
    const page = user.page;
    const notes = () => page.evaluate(() => (globalThis as unknown as { __notes: Note[] }).__notes);
    const setHidden = (hidden: boolean) => page.evaluate((h) => (globalThis as unknown as { __setHidden: (h: boolean) => void }).__setHidden(h), hidden);
    const unread = (id: string) => inboxItem(page, id).getAttribute('data-unread');

    // Off until turned on, from the Notifications settings.
    await setHidden(true);
    await postMessageApi(e2e.server, bob, loud, 'before turning on');
    await expect.poll(() => unread(loud)).toBe('1');
    expect(await notes()).toEqual([]);
    await setHidden(false);
    const item = page.getByTestId('open-profile');
    if (!(await item.isVisible())) await page.getByTestId('account-menu-button').click();
    await item.click();
    await page.getByTestId('open-notification-settings').click();
    const dialog = page.getByTestId('notification-settings-dialog');
    await dialog.getByTestId('notify-tab-toggle').check();
    await expect.poll(() => dialog.getByTestId('notify-tab-toggle').isChecked()).toBe(true);
    await screenshot(page, 'notification-settings-tab');
    await dialog.getByTestId('notification-settings-close').click();
    await page.keyboard.press('Escape');
    await page.getByTestId('profile-dialog').waitFor({ state: 'detached' });

    await setHidden(true);
    // Muted: nothing (but counted as unread in its badge).
    await postMessageApi(e2e.server, bob, quiet, 'psst, muted');
    await expect.poll(() => unread(quiet)).toBe('1');
    // Mentions only: a message without a mention stays quiet…
    await postMessageApi(e2e.server, bob, team, 'team chatter');
    await expect.poll(() => unread(team)).toBe('1');
    expect(await notes()).toEqual([]);
    // …and all: every message.
    await postMessageApi(e2e.server, bob, loud, 'loud news 📣');
    await expect.poll(notes).toEqual([{ title: 'Bob 鲍勃 in Loud', body: 'loud news 📣', tag: `parley:${loud}` }]);
    // A mention where the level is mentions.
    await postMessageApi(e2e.server, bob, team, `@${alice.user.username} can you look?`);
    await expect.poll(async () => (await notes()).length).toBe(2);
    expect((await notes())[1]).toEqual({ title: 'Bob 鲍勃 in Team 团队', body: `@${alice.user.username} can you look?`, tag: `parley:${team}` });

    // The title and the icon count the conversations with unread messages, muted ones aside.
    await expect.poll(() => page.title()).toBe('(2) Parley');
    expect(await page.locator('link[rel~="icon"]').getAttribute('data-count')).toBe('2');

    // Shown: no notification.
    await setHidden(false);
    await postMessageApi(e2e.server, bob, loud, 'seen live');
    await expect.poll(() => unread(loud)).toBe('3');
    expect((await notes()).length).toBe(2);

    // A click brings the tab forward on the conversation.
    await setHidden(true);
    await page.evaluate(() => (globalThis as unknown as { __lastNote: EventTarget }).__lastNote.dispatchEvent(new Event('click')));
    await page.locator(`[data-testid="conversation"][data-conversation-id="${team}"]`).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/c/${team}`);
    expect(user.problems).toEqual([]);
  });
});
