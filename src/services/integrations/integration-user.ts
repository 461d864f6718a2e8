/**
 * Integration users: the bot account an integration (an incoming webhook, a custom slash command)
 * posts as. Nobody signs in as one; it joins the group when the integration is made and leaves,
 * deactivated, when it is removed, so its messages say which integration sent them.
 */
import { randomBytes } from 'node:crypto';
import { conflict } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import { appendEvent, memberPayload } from '../shared/events.js';

/**
 * Makes an integration user named `displayName` and adds it to the group at `seq` (taken by the
 * caller, under the group's lock), added by `addedBy`. Inside the caller's transaction.
 */
export async function addIntegrationUser(
  tx: Pick<Repositories, 'conversations' | 'events' | 'members' | 'messages' | 'threads' | 'users'>,
  conversationId: string,
  seq: number,
  input: { displayName: string; usernamePrefix: string; addedBy: string },
): Promise<{ user: UserRow; event: EventRow }> {
  const user = await tx.users.create({
    id: newId(),
    username: `${input.usernamePrefix}_${randomBytes(6).toString('hex')}`,
    displayName: input.displayName,
    passwordHash: null,
    bot: true,
    botOwnerId: null,
  });
  if (!user) throw conflict('could not name the integration user; try again');
  const [member] = await tx.members.insertMany([{ conversationId, userId: user.id, role: 'member', joinedSeq: seq, mutedUntil: null, addedBy: input.addedBy }]);
  await tx.conversations.addMemberCount(conversationId, 1);
  const event = (await appendEvent(tx, conversationId, 'member.joined', { seq, payload: memberPayload(member!) }))!;
  return { user, event };
}

/**
 * Deactivates an integration user and removes it from the group; the member.left event, or
 * null when it had been removed by hand before. Inside the caller's transaction, under the group's lock.
 */
export async function removeIntegrationUser(tx: Pick<Repositories, 'conversations' | 'events' | 'members' | 'messages' | 'threads' | 'users'>, conversationId: string, userId: string, by: string): Promise<EventRow | null> {
  await tx.users.setAdminState(userId, { deactivatedAt: new Date() });
  const removed = await tx.members.delete(conversationId, userId);
  if (!removed) return null;
  await tx.conversations.addMemberCount(conversationId, -1);
  return (await appendEvent(tx, conversationId, 'member.left', { payload: memberPayload(removed, 'removed', { by }) }))!;
}
