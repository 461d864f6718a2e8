/**
 * Service-level races: an operation that loses a race after taking a seq must give the seq back
 * (roll back), so the conversation's events stay gap-free.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { repositories } from '../../src/db/repositories/index.js';
import { register, startTestApp, type TestApp } from '../helpers/app.js';
import type { ParleyApp } from '../../src/app.js';
import type { Actor } from '../../src/services/identity/identity.js';

let t: TestApp;
let services: ParleyApp['services'];
beforeAll(async () => {
  t = await startTestApp();
  services = (t.app as ParleyApp).services;
});
afterAll(async () => t.close());

async function actor(): Promise<Actor> {
  const { token } = await register(t.app);
  return (await services.accounts.authenticate(token))!;
}

/** Every event seq of a conversation is 1..lastSeq, once each. */
async function expectGapFree(conversationId: string): Promise<number> {
  const repos = repositories(t.database.db);
  const conv = await repos.conversations.findById(conversationId);
  const { rows } = await repos.events.listAfter(conversationId, 0, 10_000);
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: conv!.lastSeq }, (_, i) => i + 1));
  return conv!.lastSeq;
}

it('an edit that loses the race to a delete gives its seq back and answers 409', async () => {
  const owner = await actor();
  const group = await services.conversations.createGroup(owner, { name: 'race' });
  for (let i = 0; i < 10; i++) {
    const { message } = await services.messages.send(owner, group.id, { body: `m${i}` });
    const results = await Promise.allSettled([
      services.messages.delete(owner, message.id),
      services.messages.edit(owner, message.id, 'too late'),
    ]);
    expect(results[0].status).toBe('fulfilled');
    if (results[1].status === 'rejected') {
      expect(results[1].reason).toBeInstanceOf(AppError);
      expect((results[1].reason as AppError).status).toBe(409);
    }
    const stored = await services.messages.get(owner, message.id);
    expect(stored.body).toBe('');
    expect(stored.deletedAt).not.toBeNull();
  }
  await expectGapFree(group.id);
});

it('two deletes of one message write one message.deleted event', async () => {
  const owner = await actor();
  const group = await services.conversations.createGroup(owner, { name: 'double delete' });
  const { message } = await services.messages.send(owner, group.id, { body: 'bye' });
  await Promise.all([services.messages.delete(owner, message.id), services.messages.delete(owner, message.id)]);
  expect(await expectGapFree(group.id)).toBe(2);
});

it('two admins adding the same user at once make one member.joined and no hole', async () => {
  const owner = await actor();
  const admin = await actor();
  const newcomer = await actor();
  const group = await services.conversations.createGroup(owner, { name: 'adds', memberIds: [admin.user.id] });
  await services.conversations.setRole(owner, group.id, admin.user.id, 'admin');
  const results = await Promise.all([
    services.conversations.addMember(owner, group.id, newcomer.user.id),
    services.conversations.addMember(admin, group.id, newcomer.user.id),
  ]);
  expect(results.filter((r) => r.created)).toHaveLength(1);
  const seqs = await expectGapFree(group.id);
  expect(seqs).toBe(2); // member.updated (admin), member.joined
  const conv = await services.conversations.getGroup(owner, group.id);
  expect(conv.memberCount).toBe(3);
});
