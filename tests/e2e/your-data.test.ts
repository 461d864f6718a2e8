/** "Your data": download my data, then delete my account in the browser; the other person then sees "Deleted user". */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { openConversation, pairInGroup, PASSWORD, screenshot, sendFromComposer, sentMessage, useE2e } from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: your data', () => {
  const e2e = useE2e();

  it('downloads my data, deletes my account (back to the sign-in screen), and my old messages show "Deleted user"', { timeout: 120_000 }, async () => {
    // Bob leaves (Alice, the first account, is the site admin: the last one may not delete their account).
    const { alice: bob, bob: alice, bobAcc: aliceAcc, groupId } = await pairInGroup(e2e, 'Your data 数据');
    await sendFromComposer(alice.page, 'Hello before I go 👋');
    const atBob = sentMessage(bob.page, 'Hello before I go 👋');
    await atBob.waitFor();
    await expect.poll(() => atBob.getByTestId('message-author').textContent()).toContain('Bob');

    await alice.page.getByTestId('account-menu-button').click();
    await alice.page.getByTestId('open-profile').click();
    await alice.page.getByTestId('open-your-data').click();
    const dialog = alice.page.getByTestId('your-data-dialog');
    await dialog.waitFor();
    // What her files hold, against the default quota of 1 GiB.
    await expect.poll(() => dialog.getByTestId('my-storage-meter').textContent()).toContain('of 1.0 GB');
    // The download link serves the JSON file with this browser's session.
    const href = await dialog.getByTestId('download-my-data').getAttribute('href');
    const download = await alice.page.request.get(href!);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toContain('attachment');
    const doc = (await download.json()) as { profile: { id: string }; messages: { body: string }[] };
    expect(doc.profile.id).toBe(aliceAcc.user.id);
    expect(doc.messages.map((m) => m.body)).toContain('Hello before I go 👋');

    await dialog.getByTestId('delete-account').click();
    // The refusal below and, once the account is gone, the closed socket and 401s are expected here.
    alice.tolerated.push(/401|403|Unauthorized|Forbidden|WebSocket/);
    // A wrong password is refused and nothing happens.
    await dialog.getByTestId('delete-account-password').fill('not my password');
    await dialog.getByTestId('delete-account-confirm').click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('not your password');
    await screenshot(alice.page, 'your-data-delete');
    await dialog.getByTestId('delete-account-password').fill(PASSWORD);
    await dialog.getByTestId('delete-account-confirm').click();
    await alice.page.getByTestId('auth-screen').waitFor({ timeout: 20_000 });

    // The other person: the message stays, from "Deleted user".
    await bob.page.reload();
    await openConversation(bob.page, groupId);
    const after = sentMessage(bob.page, 'Hello before I go 👋');
    await after.waitFor();
    await expect.poll(() => after.getByTestId('message-author').textContent()).toContain('Deleted user');
    await screenshot(bob.page, 'your-data-deleted-user');
  });
});
