/**
 * Inbox previews name the sender in groups (issue 25.3), also for groups the reader has not
 * opened since the page loaded: at load, and when a message arrives live.
 */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { createAccount, createGroupApi, inboxItem, postMessageApi, useE2e } from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: inbox previews', () => {
  const e2e = useE2e();

  it('names the sender of a group preview without opening the group', { timeout: 90_000 }, async () => {
    const zhang = await createAccount(e2e.server, 'zhang', '张伟');
    const lina = await createAccount(e2e.server, 'lina', '李娜');
    const wang = await createAccount(e2e.server, 'wang', '王芳 Wang');
    const reader = await createAccount(e2e.server, 'reader', 'Reader');
    const before = await createGroupApi(e2e.server, zhang, { name: '测试组', memberIds: [lina.user.id, reader.user.id] });
    const live = await createGroupApi(e2e.server, zhang, { name: 'Live group', memberIds: [wang.user.id, reader.user.id] });
    await postMessageApi(e2e.server, lina, before, '测试');

    const page = (await e2e.newPage('reader', { account: reader })).page;
    const preview = (id: string) => inboxItem(page, id).getByTestId('inbox-preview');
    // Sent before the page loaded, by someone this page never saw.
    await expect.poll(() => preview(before).textContent()).toBe('李娜: 测试');
    // Arriving live in a group not opened.
    await postMessageApi(e2e.server, wang, live, '你好 hello');
    await expect.poll(() => preview(live).textContent()).toBe('王芳 Wang: 你好 hello');
    // Neither group was opened.
    expect(await page.getByTestId('conversation').count()).toBe(0);
  });
});
