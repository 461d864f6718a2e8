/** Who may see and do what in a conversation: the contract's visibility rules in one place. */
import { AppError, forbidden, notFound } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import type { MemberRow } from '../../db/repositories/members.repository.js';
import type { MessageRow } from '../../db/repositories/messages.repository.js';
import { isMuted } from '../../db/send-rules.js';

/** A live conversation by id; a malformed or unknown id is 404. */
export async function loadConversation(repos: Pick<Repositories, 'conversations' | 'members' | 'messages'>, id: string, kind?: 'group' | 'direct'): Promise<ConversationRow> {
  if (!isUuid(id)) throw notFound('conversation');
  const conv = await repos.conversations.findById(id);
  // One message whichever route asks: "group not found" here but "conversation not found" from
  // requireMember would tell an outsider which ids are private groups.
  if (!conv || (kind && conv.kind !== kind)) throw notFound('conversation');
  return conv;
}

/** True when a non-member may know the conversation exists (a public group). */
export function isVisibleToAll(conv: ConversationRow): boolean {
  return conv.kind === 'group' && conv.visibility === 'public';
}

/**
 * The caller's membership, required: a non-member of a public group gets 403, of anything else
 * 404 (a private conversation is invisible to non-members).
 */
export function requireMember(conv: ConversationRow, member: MemberRow | null): MemberRow {
  if (member) return member;
  if (isVisibleToAll(conv)) throw forbidden('you are not a member of this group');
  throw notFound('conversation');
}

export async function loadMembership(
  repos: Pick<Repositories, 'conversations' | 'members' | 'messages'>,
  conversationId: string,
  userId: string,
): Promise<{ conv: ConversationRow; member: MemberRow }> {
  if (!isUuid(conversationId)) throw notFound('conversation');
  const found = await repos.conversations.findWithMember(conversationId, userId);
  if (!found) throw notFound('conversation');
  return { conv: found.conversation, member: requireMember(found.conversation, found.member) };
}

/**
 * The first seq a member may read: 0 (all of it), or, in a group whose history visibility is
 * `joined`, the seq of their own member.joined (a member who rejoined reads from the latest).
 */
export function readFloor(conv: Pick<ConversationRow, 'kind' | 'historyVisibility'>, member: Pick<MemberRow, 'joinedSeq'>): number {
  return conv.kind === 'group' && conv.historyVisibility === 'joined' ? member.joinedSeq : 0;
}

export const isAdmin = (m: MemberRow): boolean => m.role === 'owner' || m.role === 'admin';

export function requireAdmin(m: MemberRow): void {
  if (!isAdmin(m)) throw forbidden('only a group admin or the owner may do this');
}

/** Throws 403 `muted` while a group admin's mute lasts. */
export function requireNotMuted(m: Pick<MemberRow, 'mutedUntil'>, now = Date.now()): void {
  // The same rule the store applies in SQL (src/db/send-rules.ts).
  if (m.mutedUntil && isMuted(m.mutedUntil, now)) {
    const until = m.mutedUntil.toISOString();
    throw new AppError('muted', `you are muted in this group until ${until}`, { mutedUntil: until });
  }
}

export function requireOwner(m: MemberRow): void {
  if (m.role !== 'owner') throw forbidden('only the group owner may do this');
}

/**
 * A message the user may see: its conversation is live and the user a member (a non-member of a
 * public group gets 403, anyone else 404).
 */
export async function loadVisibleMessage(
  repos: Pick<Repositories, 'conversations' | 'members' | 'messages'>,
  userId: string,
  messageId: string,
): Promise<{ row: MessageRow; conv: ConversationRow; member: MemberRow }> {
  const row = isUuid(messageId) ? await repos.messages.findById(messageId) : null;
  if (!row) throw notFound('message');
  const conv = await repos.conversations.findById(row.conversationId);
  if (!conv) throw notFound('message');
  const member = await repos.members.find(conv.id, userId);
  if (!member && !isVisibleToAll(conv)) throw notFound('message');
  const m = requireMember(conv, member);
  // From before the member joined a group that shows members only what came after.
  if (row.seq < readFloor(conv, m)) throw notFound('message');
  return { row, conv, member: m };
}
