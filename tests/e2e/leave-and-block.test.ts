/**
 * Consent to group adds in the web client (issue 26.4): Bob, added by Alice, leaves with "Leave
 * and don't let Alice add me again"; Alice's next add is refused; Bob allows her again from
 * Your profile → Group adds.
 */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { pairInGroup, screenshot, useE2e } from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: leave and block adds', () => {
  const e2e = useE2e();

  it('leaves with one click, blocks the adder, and lifts the block from the profile', { timeout: 120_000 }, async () => {
    const { alice, bob, aliceAcc, bobAcc, groupId } = await pairInGroup(e2e, 'Added without asking 未经同意');
    const add = () =>
      e2e.server.app.inject({ method: 'POST', url: `/api/v1/groups/${groupId}/members`, headers: { authorization: `Bearer ${aliceAcc.token}` }, payload: { userId: bobAcc.user.id } });

    // Alice added herself to nothing: she has no such button; Bob has, naming her.
    await alice.page.getByTestId('toggle-members').click();
    await alice.page.getByTestId('member-list').waitFor();
    expect(await alice.page.getByTestId('leave-and-block').count()).toBe(0);
    await bob.page.getByTestId('toggle-members').click();
    const button = bob.page.getByTestId('leave-and-block');
    await expect.poll(() => button.textContent()).toContain('Alice');
    await screenshot(bob.page, 'leave-and-block');
    await button.click();
    await bob.page.getByTestId('confirm-dialog').getByTestId('confirm-ok').click();
    await bob.page.locator(`[data-testid="inbox-item"][data-conversation-id="${groupId}"]`).waitFor({ state: 'detached' });
    // Alice sees him go, and may not add him back.
    await alice.page.locator(`[data-testid="member"][data-user-id="${bobAcc.user.id}"]`).waitFor({ state: 'detached' });
    const refused = await add();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('add_blocked');

    // Bob lifts it: Your profile → Group adds → Allow.
    const item = bob.page.getByTestId('open-profile');
    if (!(await item.isVisible())) await bob.page.getByTestId('account-menu-button').click();
    await item.click();
    await bob.page.getByTestId('open-add-blocks').click();
    const dialog = bob.page.getByTestId('add-blocks-dialog');
    const row = dialog.locator(`[data-testid="add-block"][data-user-id="${aliceAcc.user.id}"]`);
    await row.waitFor();
    await screenshot(bob.page, 'add-blocks-dialog');
    await row.getByTestId('add-block-allow').click();
    await row.waitFor({ state: 'detached' });
    expect((await add()).statusCode).toBe(201);
  });
});
