import { sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { queryRows } from '../sql.js';
import type { StoredLinkPreview } from '../schema.js';
import type { MessageRow } from './messages.repository.js';

type Ts = Date | string;
const date = (v: Ts): Date => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Ts | null): Date | null => (v === null ? null : date(v));

/** Reads for "download my data": everything stored about one user, paged by an index where it can be long. */
export class UserExportRepository {
  constructor(private readonly db: Db) {}

  async sessions(userId: string): Promise<{ id: string; kind: 'session' | 'api'; name: string | null; userAgent: string | null; ip: string | null; createdAt: Date; lastUsedAt: Date; expiresAt: Date | null }[]> {
    const rows = await queryRows<{ id: string; kind: 'session' | 'api'; name: string | null; user_agent: string | null; ip: string | null; created_at: Ts; last_used_at: Ts; expires_at: Ts | null }>(
      this.db,
      sql`SELECT id, kind, name, user_agent, ip, created_at, last_used_at, expires_at FROM sessions WHERE user_id = ${userId}::uuid ORDER BY created_at, id`,
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      name: r.name,
      userAgent: r.user_agent,
      ip: r.ip,
      createdAt: date(r.created_at),
      lastUsedAt: date(r.last_used_at),
      expiresAt: dateOrNull(r.expires_at),
    }));
  }

  /** The user's memberships after a conversation id, by conversation id (members_by_user_idx). */
  async memberships(userId: string, afterConversationId: string | null, limit: number): Promise<{ conversationId: string; kind: 'group' | 'direct'; name: string | null; role: string; joinedAt: Date; deleted: boolean }[]> {
    const position = afterConversationId ? sql`AND m.conversation_id > ${afterConversationId}::uuid` : sql``;
    const rows = await queryRows<{ conversation_id: string; kind: 'group' | 'direct'; name: string | null; role: string; joined_at: Ts; deleted: boolean }>(
      this.db,
      sql`SELECT m.conversation_id, c.kind, c.name, m.role, m.joined_at, c.deleted_at IS NOT NULL AS deleted
          FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.user_id = ${userId}::uuid ${position} ORDER BY m.conversation_id LIMIT ${limit}`,
    );
    return rows.map((r) => ({ conversationId: r.conversation_id, kind: r.kind, name: r.name, role: r.role, joinedAt: date(r.joined_at), deleted: r.deleted }));
  }

  async pushSubscriptions(userId: string): Promise<{ endpoint: string; userAgent: string | null; createdAt: Date }[]> {
    const rows = await queryRows<{ endpoint: string; user_agent: string | null; created_at: Ts }>(
      this.db,
      sql`SELECT endpoint, user_agent, created_at FROM push_subscriptions WHERE user_id = ${userId}::uuid ORDER BY created_at, id`,
    );
    return rows.map((r) => ({ endpoint: r.endpoint, userAgent: r.user_agent, createdAt: date(r.created_at) }));
  }

  /** The user's drafts (one per conversation, each at most a message body long). */
  async drafts(userId: string): Promise<{ conversationId: string; body: string; updatedAt: Date }[]> {
    const rows = await queryRows<{ conversation_id: string; body: string; updated_at: Ts }>(
      this.db,
      sql`SELECT conversation_id, body, updated_at FROM drafts WHERE user_id = ${userId}::uuid ORDER BY conversation_id`,
    );
    return rows.map((r) => ({ conversationId: r.conversation_id, body: r.body, updatedAt: date(r.updated_at) }));
  }

  /** The user's uploads after an id, by id (uploads_owner_idx). */
  async uploads(userId: string, afterId: string | null, limit: number): Promise<{ id: string; filename: string; contentType: string; size: number; createdAt: Date; attachedAt: Date | null }[]> {
    const position = afterId ? sql`AND id > ${afterId}::uuid` : sql``;
    const rows = await queryRows<{ id: string; filename: string; content_type: string; size: string | number; created_at: Ts; attached_at: Ts | null }>(
      this.db,
      sql`SELECT id, filename, content_type, size, created_at, attached_at FROM uploads WHERE owner_id = ${userId}::uuid ${position} ORDER BY id LIMIT ${limit}`,
    );
    return rows.map((r) => ({ id: r.id, filename: r.filename, contentType: r.content_type, size: Number(r.size), createdAt: date(r.created_at), attachedAt: dateOrNull(r.attached_at) }));
  }

  /** The user's reactions after a (message, emoji) position (reactions_user_idx). */
  async reactions(userId: string, after: { messageId: string; emoji: string } | null, limit: number): Promise<{ messageId: string; conversationId: string; emoji: string; createdAt: Date }[]> {
    const position = after ? sql`AND (r.message_id, r.emoji) > (${after.messageId}::uuid, ${after.emoji}::text)` : sql``;
    const rows = await queryRows<{ message_id: string; conversation_id: string; emoji: string; created_at: Ts }>(
      this.db,
      sql`SELECT r.message_id, m.conversation_id, r.emoji, r.created_at FROM reactions r JOIN messages m ON m.id = r.message_id
          WHERE r.user_id = ${userId}::uuid ${position} ORDER BY r.message_id, r.emoji LIMIT ${limit}`,
    );
    return rows.map((r) => ({ messageId: r.message_id, conversationId: r.conversation_id, emoji: r.emoji, createdAt: date(r.created_at) }));
  }

  /** Messages the user sent (tombstones included) after a (conversation, seq) position (messages_sender_idx). */
  async messages(userId: string, after: { conversationId: string; seq: number } | null, limit: number): Promise<MessageRow[]> {
    const position = after ? sql`AND (conversation_id, seq) > (${after.conversationId}::uuid, ${after.seq}::bigint)` : sql``;
    const rows = await queryRows<{
      id: string;
      conversation_id: string;
      seq: string | number;
      sender_id: string;
      client_msg_id: string | null;
      body: string;
      reply_to_id: string | null;
      mentions: string[] | string;
      created_at: Ts;
      edited_at: Ts | null;
      deleted_at: Ts | null;
      previews: StoredLinkPreview[] | string | null;
      thread_id: string | null;
      also_in_conversation: boolean;
    }>(
      this.db,
      sql`SELECT id, conversation_id, seq, sender_id, client_msg_id, body, reply_to_id, mentions, created_at, edited_at, deleted_at, previews,
                 thread_id, also_in_conversation
          FROM messages WHERE sender_id = ${userId}::uuid ${position} ORDER BY conversation_id, seq LIMIT ${limit}`,
    );
    return rows.map((r) => ({
      id: r.id,
      conversationId: r.conversation_id,
      seq: Number(r.seq),
      senderId: r.sender_id,
      clientMsgId: r.client_msg_id,
      body: r.body,
      replyToId: r.reply_to_id,
      threadId: r.thread_id,
      alsoInConversation: r.also_in_conversation,
      mentions: parseUuidArray(r.mentions),
      searchTerms: [],
      createdAt: date(r.created_at),
      editedAt: dateOrNull(r.edited_at),
      deletedAt: dateOrNull(r.deleted_at),
      previews: typeof r.previews === 'string' ? (JSON.parse(r.previews) as StoredLinkPreview[]) : r.previews,
    }));
  }
}

/** A uuid[] as the driver returns it: an array, or PostgreSQL's `{a,b}` text. */
function parseUuidArray(v: string[] | string): string[] {
  if (Array.isArray(v)) return v;
  const inner = v.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',') : [];
}
