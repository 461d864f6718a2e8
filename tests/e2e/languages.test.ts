/**
 * Languages (issue 21) in a real browser: a browser whose language is Simplified Chinese gets the
 * client in Chinese from the first screen (sign-in, inbox, a conversation, the profile), with
 * <html lang> and dates in Chinese, the catalog loaded as a chunk of its own; choosing English in
 * the profile applies at once and is kept on the account, so a reload stays in English although
 * the browser still prefers Chinese. An English browser never loads the Chinese catalog.
 */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { createAccount, createGroupApi, openConversation, postMessageApi, registerInUi, screenshot, useE2e, waitOnline } from '../helpers/browser.js';
import { uniqueName } from '../helpers/app.js';
import type { Account } from '../helpers/app.js';

describe.runIf(dbKind === 'pglite')('e2e: languages', () => {
  const e2e = useE2e();

  it('shows Chinese to a Chinese browser, and keeps English once chosen in the profile', { timeout: 120_000 }, async () => {
    const li = await e2e.newPage('li', { locale: 'zh-CN' });
    const chunks: string[] = [];
    li.page.on('request', (r) => r.url().includes('/assets/') && r.url().endsWith('.js') && chunks.push(r.url()));

    // The sign-in screen, before any account: in the browser's language.
    await li.page.goto('/');
    await li.page.getByTestId('auth-screen').waitFor();
    expect(await li.page.locator('h1').textContent()).toBe('登录 Parley');
    expect(await li.page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    // Each language's strings are chunks of their own: Chinese came, English did not.
    expect(chunks.some((u) => /\/zh-CN-core-[\w-]+\.js$/.test(u))).toBe(true);
    expect(chunks.filter((u) => /\/en-(core|rest)-[\w-]+\.js$/.test(u))).toEqual([]);

    await registerInUi(li.page, uniqueName('li'), '李雷');
    const me = (await li.page.evaluate("fetch('/api/v1/users/me').then((r) => r.json())")) as { id: string; locale: string | null };
    expect(me.locale).toBeNull();

    // The main screen.
    expect(await li.page.getByTestId('open-new-direct').textContent()).toBe('发起私聊');
    expect(await li.page.getByTestId('open-new-group').textContent()).toBe('新建群组');
    expect(await li.page.getByTestId('no-conversation').textContent()).toBe('选择一个会话，或发起新的会话。');
    expect(await li.page.getByTestId('connection-state').textContent()).toBe('在线');
    expect(await li.page.getByTestId('inbox-filter').getAttribute('placeholder')).toBe('筛选会话');

    // A conversation: header, counts, composer, the day divider and a thread.
    const han: Account = await createAccount(e2e.server, 'han', '韩梅梅');
    const groupId = await createGroupApi(e2e.server, han, { name: '产品组', memberIds: [me.id] });
    await postMessageApi(e2e.server, han, groupId, '大家好');
    await openConversation(li.page, groupId);
    const conversation = li.page.getByTestId('conversation');
    expect(await conversation.getByTestId('conversation-subtitle').textContent()).toBe('2 位成员');
    expect(await conversation.getByTestId('toggle-members').textContent()).toBe('成员');
    expect(await li.page.getByTestId('composer').locator('textarea').getAttribute('placeholder')).toBe('发消息到 #产品组');
    await conversation.getByText('今天').first().waitFor();
    await screenshot(li.page, 'languages-zh-CN-conversation');

    // The profile: in Chinese, with the language switch on 简体中文.
    await openProfile(li.page);
    const dialog = li.page.getByTestId('profile-dialog');
    expect(await dialog.locator('h2').first().textContent()).toBe('个人资料');
    const select = dialog.getByTestId('profile-language');
    expect(await select.inputValue()).toBe('zh-CN');
    await screenshot(li.page, 'languages-zh-CN-profile');

    // English, at once, and saved on the account.
    await select.selectOption('en');
    await expect.poll(() => dialog.locator('h2').first().textContent()).toBe('Your profile');
    expect(await li.page.evaluate('document.documentElement.lang')).toBe('en');
    expect(await li.page.getByTestId('open-new-direct').textContent()).toBe('New chat');
    await expect.poll(async () => ((await li.page.evaluate("fetch('/api/v1/users/me').then((r) => r.json())")) as { locale: string }).locale).toBe('en');

    // A reload keeps English, though the browser still asks for Chinese.
    await li.page.reload();
    await waitOnline(li.page);
    await expect.poll(() => li.page.getByTestId('open-new-direct').textContent()).toBe('New chat');
    expect(await li.page.evaluate('document.documentElement.lang')).toBe('en');
    expect(await li.page.evaluate('navigator.language')).toBe('zh-CN');
    await openConversation(li.page, groupId);
    expect(await li.page.getByTestId('conversation-subtitle').textContent()).toBe('2 members');

    // Back to Chinese from the profile: the other way works too.
    await openProfile(li.page);
    await li.page.getByTestId('profile-language').selectOption('zh-CN');
    await expect.poll(() => li.page.getByTestId('profile-dialog').locator('h2').first().textContent()).toBe('个人资料');
  });

  it('never loads the Chinese catalog for an English browser', { timeout: 60_000 }, async () => {
    const ann = await e2e.newPage('ann');
    const chunks: string[] = [];
    ann.page.on('request', (r) => r.url().includes('/assets/') && r.url().endsWith('.js') && chunks.push(r.url()));
    await ann.page.goto('/');
    await ann.page.getByTestId('auth-screen').waitFor();
    expect(await ann.page.locator('h1').textContent()).toBe('Sign in to Parley');
    expect(await ann.page.evaluate('document.documentElement.lang')).toBe('en');
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.filter((u) => /\/zh-CN-[\w-]+\.js$/.test(u))).toEqual([]);
    expect(chunks.some((u) => /\/en-core-[\w-]+\.js$/.test(u))).toBe(true);
  });
});

async function openProfile(page: import('playwright-core').Page): Promise<void> {
  const item = page.getByTestId('open-profile');
  if (!(await item.isVisible())) await page.getByTestId('account-menu-button').click();
  await item.click();
  await page.getByTestId('profile-dialog').waitFor();
}
