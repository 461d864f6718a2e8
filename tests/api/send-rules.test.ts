/**
 * The send rules (src/db/send-rules.ts) as the database applies them, through both ways a message
 * is stored (one statement per message, and the batched group commit), and the TypeScript copy
 * of the mute rule agreeing with the SQL's on the same rows.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { MessageStoreQueue } from '../../src/db/repositories/message-store-queue.js';
import { repositories } from '../../src/db/repositories/index.js';
import type { NewMessageRow } from '../../src/db/repositories/messages.repository.js';
import { conversations } from '../../src/db/schema.js';
import { requireNotMuted } from '../../src/services/shared/access.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
const call = apiCaller(() => t.app);
let owner: Account;
let member: Account;
let outsider: Account;
let groupId: string;

beforeAll(async () => {
  t = await startTestApp();
  [owner, member, outsider] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
  const res = await call('POST', '/groups', owner, { name: uniqueName('rules'), memberIds: [member.user.id] });
  expect(res.statusCode, res.body).toBe(201);
  groupId = res.json().id as string;
});
afterAll(async () => t?.close());

function row(senderId: string, conversationId = groupId, clientMsgId: string | null = null): NewMessageRow {
  return { id: newId(), conversationId, senderId, clientMsgId, body: 'rule check', replyToId: null, mentions: [], createdAt: new Date() };
}

/** The two ways a message is stored; each answers the row or the refusal. */
const stores = {
  single: (r: NewMessageRow) => repositories(t.database.db).messages.store(r),
  batched: (r: NewMessageRow) => new MessageStoreQueue(t.database.db, { concurrency: 1 }).store(r),
};

describe.each(Object.entries(stores))('the send rules through the %s store', (_, store) => {
  it('refuses a conversation that does not exist, and a sender who is not a member', async () => {
    expect(await store(row(owner.user.id, newId()))).toEqual({ ok: false, reason: 'not_found' });
    expect(await store(row(outsider.user.id))).toEqual({ ok: false, reason: 'not_member' });
  });

  it('refuses a clientMsgId the sender used before', async () => {
    const id = `c-${newId()}`;
    expect((await store(row(member.user.id, groupId, id))).ok).toBe(true);
    expect(await store(row(member.user.id, groupId, id))).toEqual({ ok: false, reason: 'duplicate' });
  });

  it("lets only the owner and admins post when the group's posting policy says so", async () => {
    await t.database.db.update(conversations).set({ postingPolicy: 'admins' }).where(eq(conversations.id, groupId));
    try {
      expect(await store(row(member.user.id))).toEqual({ ok: false, reason: 'posting_restricted' });
      expect((await store(row(owner.user.id))).ok).toBe(true);
    } finally {
      await t.database.db.update(conversations).set({ postingPolicy: 'everyone' }).where(eq(conversations.id, groupId));
    }
  });

  it.each([
    ['never muted', null],
    ['muted until a minute ago', -60_000],
    ['muted for another minute', 60_000],
    ['muted for another day', 86_400_000],
  ] as const)('the mute rule in SQL and in TypeScript agree: %s', async (_, offsetMs) => {
    const members = repositories(t.database.db).members;
    const mutedUntil = offsetMs === null ? null : new Date(Date.now() + offsetMs);
    const memberRow = await members.setMute(groupId, member.user.id, mutedUntil);
    try {
      expect(memberRow).not.toBeNull();
      let typescriptRefuses = false;
      try {
        requireNotMuted(memberRow!);
      } catch {
        typescriptRefuses = true;
      }
      const stored = await store(row(member.user.id));
      expect({ sqlRefuses: !stored.ok, typescriptRefuses }).toEqual({ sqlRefuses: typescriptRefuses, typescriptRefuses });
      if (!stored.ok) expect(stored).toEqual({ ok: false, reason: 'muted', mutedUntil });
    } finally {
      await members.setMute(groupId, member.user.id, null);
    }
  });
});
