/**
 * Two people chat live in two browsers: sign-up through the UI, a group created and a member added
 * through the UI, messages both ways without a reload, the typing line, and the unread badge of
 * another conversation; a new display name shows on the other side without a reload.
 */
import { describe, expect, it } from 'vitest';
import { dbKind, uniqueName } from '../helpers/app.js';
import {
  createGroupApi,
  inboxItem,
  markNoReload,
  openConversation,
  pairInGroup,
  postMessageApi,
  registerInUi,
  screenshot,
  sendFromComposer,
  sentBodies,
  sentMessage,
  stillSamePage,
  useE2e,
} from '../helpers/browser.js';

function conversationIdOf(url: string): string {
  const m = /\/c\/([^/?#]+)/.exec(url);
  if (!m) throw new Error(`no conversation in ${url}`);
  return decodeURIComponent(m[1]!);
}

describe.runIf(dbKind === 'pglite')('e2e: two users chat live', () => {
  const e2e = useE2e();

  it('registers through the UI, creates a group, adds a member, and both see messages, typing and unread badges live', { timeout: 120_000 }, async () => {
    const alice = await e2e.newPage('alice');
    const bob = await e2e.newPage('bob');
    const aliceName = uniqueName('alice');
    const bobName = uniqueName('bob');
    await registerInUi(alice.page, aliceName, 'Alice Liddell', { screenshots: true });
    await registerInUi(bob.page, bobName, 'Bob 王');
    await expect.poll(() => alice.page.getByTestId('me-name').textContent()).toBe('Alice Liddell');

    // Alice creates a private group through the "New group" dialog and lands in it.
    await alice.page.getByTestId('open-new-group').click();
    await alice.page.getByTestId('group-name-input').fill('Launch 讨论组');
    await alice.page.getByTestId('group-create-submit').click();
    await alice.page.getByTestId('conversation-title').getByText('Launch 讨论组').waitFor();
    const groupId = conversationIdOf(alice.page.url());
    await alice.page.getByTestId('empty-conversation').waitFor();

    // She adds Bob from the members panel.
    await alice.page.getByTestId('toggle-members').click();
    const panel = alice.page.getByTestId('members-panel');
    await panel.getByTestId('open-add-member').click();
    await panel.getByTestId('user-search-input').fill(bobName);
    await panel.locator(`[data-testid="user-search-result"][data-username="${bobName}"]`).click();
    await panel.locator(`[data-testid="member"][data-username="${bobName}"]`).waitFor();
    await expect.poll(() => panel.getByTestId('member').count()).toBe(2);
    await expect.poll(() => alice.page.getByTestId('conversation-subtitle').textContent()).toContain('2 members');
    await screenshot(alice.page, 'members-panel');

    // Bob, who has not reloaded, sees the group appear in his inbox and opens it.
    await markNoReload(bob.page);
    await markNoReload(alice.page);
    await inboxItem(bob.page, groupId).waitFor();
    await openConversation(bob.page, groupId);
    await expect.poll(() => bob.page.getByTestId('conversation-title').textContent()).toContain('Launch 讨论组');

    // Alice writes; Bob sees it live, with her name.
    await sendFromComposer(alice.page, 'Hello Bob, welcome aboard');
    const atBob = sentMessage(bob.page, 'Hello Bob, welcome aboard');
    await atBob.waitFor();
    await expect.poll(() => atBob.getByTestId('message-author').textContent()).toBe('Alice Liddell');

    // Bob starts typing: Alice sees "Bob 王 is typing…" under the messages, before anything is sent.
    const typingAtAlice = alice.page.getByTestId('typing-indicator');
    expect(await typingAtAlice.getAttribute('data-active')).toBe('false');
    await bob.page.getByTestId('composer-input').pressSequentially('Thanks Alice, ', { delay: 20 });
    await alice.page.locator('[data-testid="typing-indicator"][data-active="true"]').waitFor();
    await expect.poll(() => typingAtAlice.textContent()).toContain('Bob 王 is typing');
    await screenshot(alice.page, 'conversation-typing');
    expect(await sentBodies(alice.page)).toEqual(['Hello Bob, welcome aboard']);

    // Bob finishes and sends: Alice sees the message and the typing line goes away.
    await bob.page.getByTestId('composer-input').pressSequentially('glad to be here 👋', { delay: 10 });
    await bob.page.getByTestId('composer-input').press('Enter');
    await sentMessage(alice.page, 'Thanks Alice, glad to be here 👋').waitFor();
    await alice.page.locator('[data-testid="typing-indicator"][data-active="false"]').waitFor();
    await expect.poll(() => bob.page.getByTestId('composer-input').inputValue()).toBe('');
    await sendFromComposer(alice.page, '第三条消息：一切顺利');
    await sentMessage(bob.page, '第三条消息：一切顺利').waitFor();
    const expected = ['Hello Bob, welcome aboard', 'Thanks Alice, glad to be here 👋', '第三条消息：一切顺利'];
    await expect.poll(() => sentBodies(alice.page)).toEqual(expected);
    await expect.poll(() => sentBodies(bob.page)).toEqual(expected);
    await screenshot(alice.page, 'conversation');

    // Alice opens a direct chat with Bob from the members panel and writes there. Bob still has
    // the group open: the direct chat appears in his inbox with an unread badge of 1.
    await alice.page.locator(`[data-testid="member"][data-username="${bobName}"] [data-testid="member-message"]`).click();
    await alice.page.getByTestId('conversation-title').getByText('Bob 王').waitFor();
    const directId = conversationIdOf(alice.page.url());
    expect(directId).not.toBe(groupId);
    await sendFromComposer(alice.page, 'A private word, Bob');
    const directAtBob = inboxItem(bob.page, directId);
    await directAtBob.waitFor();
    await expect.poll(() => directAtBob.getByTestId('unread-badge').textContent()).toBe('1');
    expect(await directAtBob.getAttribute('data-unread')).toBe('1');
    await expect.poll(() => directAtBob.getByTestId('inbox-preview').textContent()).toBe('A private word, Bob');
    // The open group has no badge: Bob has read it as it came.
    await expect.poll(() => inboxItem(bob.page, groupId).getAttribute('data-unread')).toBe('0');
    expect(await inboxItem(bob.page, groupId).getByTestId('unread-badge').count()).toBe(0);
    await expect.poll(() => bob.page.title()).toBe('(1) Parley');
    // The tab's icon carries the count too (a pinned tab shows no title).
    const favicon = bob.page.locator('link[rel~="icon"]');
    expect(await favicon.getAttribute('data-count')).toBe('1');
    expect(decodeURIComponent((await favicon.getAttribute('href'))!)).toMatch(/<text[^>]*>1<\/text><\/svg>$/);
    await screenshot(bob.page, 'inbox-unread');

    // Opening the direct chat shows the message and clears the badge.
    await openConversation(bob.page, directId);
    await sentMessage(bob.page, 'A private word, Bob').waitFor();
    await directAtBob.getByTestId('unread-badge').waitFor({ state: 'detached' });
    await expect.poll(() => bob.page.title()).toBe('Parley');
    expect(await favicon.getAttribute('data-count')).toBe('0');
    expect(decodeURIComponent((await favicon.getAttribute('href'))!)).not.toContain('<text');

    // All of it happened without a reload on either side.
    expect(await stillSamePage(alice.page)).toBe(true);
    expect(await stillSamePage(bob.page)).toBe(true);

    // The inbox screen of its own: nothing open.
    await bob.page.goto('/');
    await bob.page.getByTestId('no-conversation').waitFor();
    await screenshot(bob.page, 'inbox');
  });

  it("a new display name shows on the other person's screen at once, on messages already there", { timeout: 120_000 }, async () => {
    const { alice, bobAcc, groupId } = await pairInGroup(e2e, 'Names 名字', { only: 'alice' });
    await markNoReload(alice.page);
    const id = await postMessageApi(e2e.server, bobAcc, groupId, 'hello from Bob');
    const author = alice.page.locator(`[data-message-id="${id}"]`).getByTestId('message-author');
    await expect.poll(() => author.textContent()).toContain('Bob');
    const res = await e2e.server.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { authorization: `Bearer ${bobAcc.token}` }, payload: { displayName: 'Robert 罗伯特' } });
    expect(res.statusCode, res.body).toBe(200);
    await expect.poll(() => author.textContent()).toContain('Robert 罗伯特');
    expect(await stillSamePage(alice.page)).toBe(true);
  });

  it('a group created with Bob among its founders appears in his open inbox at once, before anyone writes in it', { timeout: 120_000 }, async () => {
    const { bob, aliceAcc, bobAcc } = await pairInGroup(e2e, 'First 第一', { only: 'bob' });
    await markNoReload(bob.page);
    const groupId = await createGroupApi(e2e.server, aliceAcc, { name: 'Founders 创始', memberIds: [bobAcc.user.id] });
    await inboxItem(bob.page, groupId).waitFor({ timeout: 5_000 });
    await expect.poll(() => inboxItem(bob.page, groupId).textContent()).toContain('Founders 创始');
    expect(await stillSamePage(bob.page)).toBe(true);
  });

  it("a sender whose display name copies another member's shows their @username beside it", { timeout: 120_000 }, async () => {
    const { alice, aliceAcc, bobAcc, groupId } = await pairInGroup(e2e, 'Names alike', { only: 'alice' });
    const own = await postMessageApi(e2e.server, aliceAcc, groupId, 'from the real Alice');
    await alice.page.locator(`[data-message-id="${own}"]`).waitFor();
    const res = await e2e.server.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { authorization: `Bearer ${bobAcc.token}` }, payload: { displayName: 'Alice' } });
    expect(res.statusCode, res.body).toBe(200);
    const id = await postMessageApi(e2e.server, bobAcc, groupId, 'I am Alice too');
    const item = alice.page.locator(`[data-message-id="${id}"]`);
    await expect.poll(() => item.getByTestId('message-author').textContent()).toBe('Alice');
    await expect.poll(() => item.getByTestId('message-username').textContent()).toBe(`@${bobAcc.user.username}`);
  });
});
