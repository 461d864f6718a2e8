/** One function per wire shape: rows in, contract shapes out. */
import type { ConversationRow } from '../db/repositories/conversations.repository.js';
import type { MemberRow } from '../db/repositories/members.repository.js';
import type { MessageRow } from '../db/repositories/messages.repository.js';
import type { ReactionSummary } from '../db/repositories/reactions.repository.js';
import type { UserRow } from '../db/repositories/users.repository.js';
import type { Conversation, ConversationShared, Member, Message, User } from '../protocol/entities.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** Live presence of a user; the realtime layer supplies it (offline until then). */
export interface PresenceSource {
  isOnline(userId: string): boolean;
}

export const offlinePresence: PresenceSource = { isOnline: () => false };

export function presentUser(row: UserRow, presence: PresenceSource): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    avatarUrl: null,
    createdAt: row.createdAt.toISOString(),
    online: presence.isOnline(row.id),
    lastSeenAt: iso(row.lastSeenAt),
  };
}

/** A message as the wire shows it; a tombstone has no text, mentions, attachments or reactions. */
export function presentMessage(row: MessageRow, reactions: ReactionSummary[] = []): Message {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    senderId: row.senderId,
    clientMsgId: row.clientMsgId,
    body: row.deletedAt ? '' : row.body,
    replyTo: row.replyToId,
    mentions: row.deletedAt ? [] : row.mentions,
    attachments: [],
    reactions: row.deletedAt ? [] : (reactions as Message['reactions']),
    createdAt: row.createdAt.toISOString(),
    editedAt: iso(row.editedAt),
    deletedAt: iso(row.deletedAt),
  };
}

export function presentMember(member: Pick<MemberRow, 'role' | 'joinedAt'>, user: UserRow, presence: PresenceSource): Member {
  return { user: presentUser(user, presence), role: member.role, joinedAt: member.joinedAt.toISOString() };
}

/** A conversation as everyone sees it (events carry this). */
export function presentConversationShared(row: ConversationRow, lastMessage: Message | null): ConversationShared {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    description: row.description,
    visibility: row.visibility,
    memberCount: row.memberCount,
    lastSeq: row.lastSeq,
    lastMessage,
    createdAt: row.createdAt.toISOString(),
  };
}

export interface ViewerFields {
  unreadCount: number;
  mentionCount: number;
  lastReadSeq: number;
  peer: User | null;
}

export function presentConversation(row: ConversationRow, lastMessage: Message | null, viewer: ViewerFields): Conversation {
  return { ...presentConversationShared(row, lastMessage), ...viewer };
}

/**
 * Messages with their reactions, loaded in one query. `viewerId` null: no per-viewer `me`
 * (events carry none).
 */
export async function presentMessages(
  reactions: { summaries(ids: readonly string[], viewerId: string | null): Promise<Map<string, ReactionSummary[]>> },
  rows: readonly MessageRow[],
  viewerId: string | null,
): Promise<Message[]> {
  const live = rows.filter((r) => !r.deletedAt).map((r) => r.id);
  const byMessage = await reactions.summaries(live, viewerId);
  return rows.map((r) => presentMessage(r, byMessage.get(r.id)));
}
