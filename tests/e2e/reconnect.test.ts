/**
 * A user loses the network and comes back: the UI says so while it is away, and afterwards shows
 * each message it missed exactly once, in order, sends what was written meanwhile, and learns of
 * a conversation it was added to while away.
 */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import {
  createAccount,
  createGroupApi,
  goOffline,
  goOnline,
  inboxItem,
  markNoReload,
  openConversation,
  postMessageApi,
  screenshot,
  sendFromComposer,
  sentBodies,
  sentMessage,
  sentMessages,
  stillSamePage,
  useE2e,
  waitOnline,
} from '../helpers/browser.js';

describe.runIf(dbKind === 'pglite')('e2e: losing the network and coming back', () => {
  const e2e = useE2e();

  it('shows the outage, then every missed message once and in order, and delivers what was written offline', { timeout: 120_000 }, async () => {
    const aliceAcc = await createAccount(e2e.server, 'alice', 'Alice');
    const bobAcc = await createAccount(e2e.server, 'bob', 'Bob');
    const groupId = await createGroupApi(e2e.server, aliceAcc, { name: 'Ops', memberIds: [bobAcc.user.id] });
    const alice = await e2e.newPage('alice', { account: aliceAcc });
    const bob = await e2e.newPage('bob', { account: bobAcc });
    await openConversation(alice.page, groupId);
    await openConversation(bob.page, groupId);
    await markNoReload(bob.page);

    await sendFromComposer(alice.page, 'before the outage');
    await sentMessage(bob.page, 'before the outage').waitFor();

    // Bob's network goes away.
    await goOffline(bob, e2e.server, bobAcc.user.id);
    await bob.page.locator('[data-testid="connection-state"][data-state="offline"]').waitFor();
    await expect.poll(() => bob.page.getByTestId('connection-state').textContent()).toContain('Reconnecting');
    await bob.page.getByTestId('connection-banner').waitFor();
    await expect.poll(() => bob.page.getByTestId('connection-banner').textContent()).toContain('Connection lost');
    // It says why (the realtime client's `disconnected`): the socket dropped without a close frame.
    await expect.poll(() => bob.page.getByTestId('connection-reason').textContent()).toMatch(/The connection (dropped|went silent)\./);

    // Meanwhile Alice writes five messages, and adds Bob to a new group.
    const missed = ['missed 1', 'missed 2: 断线期间的消息', 'missed 3', 'missed 4 🙂', 'missed 5'];
    for (const body of missed) await sendFromComposer(alice.page, body);
    const laterGroupId = await createGroupApi(e2e.server, aliceAcc, { name: 'Added while away', memberIds: [bobAcc.user.id] });

    await screenshot(bob.page, 'offline');

    // Still away after a while: nothing of it reached Bob, and he is still shown offline.
    await bob.page.waitForTimeout(1000);
    expect(await sentBodies(bob.page)).toEqual(['before the outage']);
    expect(await bob.page.getByTestId('connection-state').getAttribute('data-state')).not.toBe('online');
    expect(await inboxItem(bob.page, laterGroupId).count()).toBe(0);

    // The network is back: Bob reconnects by himself, without a reload, and catches up with
    // nothing new happening (no live event to reveal the gap: the catch-up has to do it).
    await goOnline(bob);
    await waitOnline(bob.page, 30_000);
    await bob.page.getByTestId('connection-banner').waitFor({ state: 'detached' });
    const all = ['before the outage', ...missed];
    await expect.poll(() => sentBodies(bob.page), { timeout: 15_000 }).toEqual(all);
    // Each message once, by seq, for good: a message sent now comes after all of them, so once
    // it is shown nothing replayed can still be on its way to turn up twice.
    all.push('after the outage');
    await postMessageApi(e2e.server, aliceAcc, groupId, 'after the outage');
    await expect.poll(() => sentBodies(bob.page), { timeout: 15_000 }).toEqual(all);
    await expect.poll(() => sentBodies(alice.page), { timeout: 15_000 }).toEqual(all);
    const seqs = (await sentMessages(bob.page).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))))) as number[];
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(all.length);
    const ids = (await sentMessages(bob.page).evaluateAll((els) => els.map((el) => el.getAttribute('data-message-id')))) as string[];
    expect(new Set(ids).size).toBe(all.length);

    // The group he was added to while away is in his inbox now.
    await inboxItem(bob.page, laterGroupId).waitFor();
    await screenshot(bob.page, 'back-online');

    // A second outage: what Bob writes meanwhile waits, shown as sending, and goes out once when
    // the network is back.
    await goOffline(bob, e2e.server, bobAcc.user.id);
    await bob.page.locator('[data-testid="connection-state"][data-state="offline"]').waitFor();
    await bob.page.getByTestId('composer-input').fill('written while offline');
    await bob.page.getByTestId('composer-input').press('Enter');
    const bobPending = bob.page.locator('[data-testid="message"][data-status="pending"]');
    await bobPending.waitFor();
    await expect.poll(() => bobPending.getByTestId('message-sending').count()).toBe(1);
    await bob.page.waitForTimeout(500);
    expect(await sentBodies(alice.page)).toEqual(all);
    await goOnline(bob);
    await waitOnline(bob.page, 30_000);
    const final = [...all, 'written while offline'];
    await expect.poll(() => sentBodies(bob.page), { timeout: 15_000 }).toEqual(final);
    await expect.poll(() => sentBodies(alice.page), { timeout: 15_000 }).toEqual(final);
    expect(await bobPending.count()).toBe(0);
    // Sent once: behind a later message, neither page shows it twice.
    final.push('after the second outage');
    await postMessageApi(e2e.server, aliceAcc, groupId, 'after the second outage');
    await expect.poll(() => sentBodies(alice.page), { timeout: 15_000 }).toEqual(final);
    await expect.poll(() => sentBodies(bob.page), { timeout: 15_000 }).toEqual(final);
    expect(await stillSamePage(bob.page)).toBe(true);
  });
});
