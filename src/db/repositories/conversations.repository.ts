import { and, asc, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { conversations, members } from '../schema.js';
import { likePrefix, pgArray, queryRows } from '../sql.js';
import type { MemberRow } from './members.repository.js';

export type ConversationRow = typeof conversations.$inferSelect;
export type NewConversation = typeof conversations.$inferInsert;

/** Per-viewer figures of a conversation, from an index range after the read pointer. */
export interface ViewerStats {
  conversationId: string;
  lastMessageId: string | null;
  unreadCount: number;
  mentionCount: number;
}

/** Unread and mention counts stop at this: never a full count. */
export const UNREAD_CAP = 1000;

const live = isNull(conversations.deletedAt);

/** A message the conversation shows: top-level, or a thread reply also sent to it (m: messages). */
const IN_CONVERSATION = sql`(m.thread_id IS NULL OR m.also_in_conversation)`;

export class ConversationsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: NewConversation): Promise<ConversationRow> {
    const [created] = await this.db.insert(conversations).values(row).returning();
    return created!;
  }

  /** Inserts a direct conversation unless its pair already has one; null then. */
  async insertDirect(row: NewConversation): Promise<ConversationRow | null> {
    const [created] = await this.db.insert(conversations).values(row).onConflictDoNothing().returning();
    return created ?? null;
  }

  /** A live conversation and the user's membership of it (null when not a member), in one query. */
  async findWithMember(id: string, userId: string): Promise<{ conversation: ConversationRow; member: MemberRow | null } | null> {
    const [row] = await this.db
      .select({ conversation: conversations, member: members })
      .from(conversations)
      .leftJoin(members, and(eq(members.conversationId, conversations.id), eq(members.userId, userId)))
      .where(and(eq(conversations.id, id), live));
    return row ?? null;
  }

  async findById(id: string): Promise<ConversationRow | null> {
    const [row] = await this.db.select().from(conversations).where(and(eq(conversations.id, id), live));
    return row ?? null;
  }

  async findByIdIncludingDeleted(id: string): Promise<ConversationRow | null> {
    const [row] = await this.db.select().from(conversations).where(eq(conversations.id, id));
    return row ?? null;
  }

  async findByDirectKey(key: string): Promise<ConversationRow | null> {
    const [row] = await this.db.select().from(conversations).where(eq(conversations.directKey, key));
    return row ?? null;
  }

  /**
   * Takes the next seq of a live conversation, locking its row until the transaction ends
   * (call it first in the transaction: the row is the hot spot). Null when the conversation is gone.
   */
  async takeSeq(id: string, opts: { activity?: boolean } = {}): Promise<number | null> {
    const [row] = await this.db
      .update(conversations)
      .set({
        lastSeq: sql`${conversations.lastSeq} + 1`,
        ...(opts.activity ? { lastActivityAt: new Date() } : {}),
      })
      .where(and(eq(conversations.id, id), live))
      .returning({ seq: conversations.lastSeq });
    return row?.seq ?? null;
  }

  /** Locks a live conversation row for the rest of the transaction. */
  async lock(id: string): Promise<ConversationRow | null> {
    const [row] = await this.db.select().from(conversations).where(and(eq(conversations.id, id), live)).for('update');
    return row ?? null;
  }

  async update(id: string, patch: Partial<Pick<ConversationRow, 'name' | 'description' | 'visibility' | 'postingPolicy' | 'mentionAllPolicy' | 'retentionDays'>>): Promise<ConversationRow | null> {
    const [row] = await this.db.update(conversations).set(patch).where(and(eq(conversations.id, id), live)).returning();
    return row ?? null;
  }

  async addMemberCount(id: string, delta: number): Promise<void> {
    await this.db
      .update(conversations)
      .set({ memberCount: sql`${conversations.memberCount} + ${delta}` })
      .where(eq(conversations.id, id));
  }

  async markDeleted(id: string): Promise<void> {
    await this.db.update(conversations).set({ deletedAt: sql`now()` }).where(eq(conversations.id, id));
  }

  /** The inbox: a user's live conversations, newest activity first, after a (activity, id) cursor. */
  async listForUser(userId: string, after: { at: Date; id: string } | null, limit: number): Promise<ConversationRow[]> {
    const page = after
      ? or(
          lt(conversations.lastActivityAt, after.at),
          and(eq(conversations.lastActivityAt, after.at), lt(conversations.id, after.id)),
        )
      : undefined;
    const rows = await this.db
      .select({ c: conversations })
      .from(members)
      .innerJoin(conversations, eq(conversations.id, members.conversationId))
      .where(and(eq(members.userId, userId), live, page))
      .orderBy(desc(conversations.lastActivityAt), desc(conversations.id))
      .limit(limit);
    return rows.map((r) => r.c);
  }

  /** Groups by name: the caller's own (scope mine) or every public one; q filters by name prefix. */
  async listGroups(
    scope: { mine: string } | 'public' | 'all',
    q: string,
    after: { name: string; id: string } | null,
    limit: number,
  ): Promise<ConversationRow[]> {
    const lname = sql`lower(${conversations.name})`;
    const conditions = [
      eq(conversations.kind, 'group'),
      live,
      q ? sql`${lname} LIKE ${likePrefix(q.toLowerCase())}` : undefined,
      after ? or(gt(lname, after.name), and(eq(lname, after.name), gt(conversations.id, after.id))) : undefined,
    ];
    if (scope === 'public' || scope === 'all') {
      return this.db
        .select()
        .from(conversations)
        .where(and(scope === 'public' ? eq(conversations.visibility, 'public') : undefined, ...conditions))
        .orderBy(asc(lname), asc(conversations.id))
        .limit(limit);
    }
    const rows = await this.db
      .select({ c: conversations })
      .from(members)
      .innerJoin(conversations, eq(conversations.id, members.conversationId))
      .where(and(eq(members.userId, scope.mine), ...conditions))
      .orderBy(asc(lname), asc(conversations.id))
      .limit(limit);
    return rows.map((r) => r.c);
  }

  /**
   * For each conversation, the newest live message and the viewer's unread and mention counts
   * after their read pointer (capped). A conversation the viewer is not in reads as all read.
   *
   * The counts read in seq order on purpose: the (conversation, seq) index then answers them from
   * the pointer on. Without the ORDER BY, once the statistics show few conversations holding many
   * messages (one big group among small ones), the planner expects a capped count to find its
   * rows early in a sequential scan, and read the whole messages table for every conversation
   * of an inbox page (17 ms for each at 100,000 messages; tests/api/inbox-plans.test.ts).
   */
  async viewerStats(viewerId: string, conversationIds: readonly string[]): Promise<Map<string, ViewerStats>> {
    const out = new Map<string, ViewerStats>();
    if (conversationIds.length === 0) return out;
    const ids = sql.join(
      conversationIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const rows = await queryRows<{ cid: string; last_id: string | null; unread: number; mentions: number }>(
      this.db,
      sql`
        SELECT c.cid,
          (SELECT m.id FROM messages m
             WHERE m.conversation_id = c.cid AND m.deleted_at IS NULL AND ${IN_CONVERSATION}
             ORDER BY m.seq DESC LIMIT 1) AS last_id,
          (SELECT count(*)::int FROM (
             SELECT 1 FROM messages m
             WHERE m.conversation_id = c.cid AND m.seq > mb.last_read_seq AND m.deleted_at IS NULL AND ${IN_CONVERSATION}
             ORDER BY m.seq LIMIT ${UNREAD_CAP}) u) AS unread,
          (SELECT count(*)::int FROM (
             SELECT 1 FROM message_mentions mm
             WHERE mm.user_id = ${viewerId}::uuid AND mm.conversation_id = c.cid AND mm.seq > mb.last_read_seq AND NOT mm.thread_only
             ORDER BY mm.seq LIMIT ${UNREAD_CAP}) u) AS mentions
        FROM unnest(ARRAY[${ids}]) AS c(cid)
        JOIN members mb ON mb.conversation_id = c.cid AND mb.user_id = ${viewerId}::uuid
      `,
    );
    for (const r of rows) {
      out.set(r.cid, { conversationId: r.cid, lastMessageId: r.last_id, unreadCount: r.unread, mentionCount: r.mentions });
    }
    return out;
  }

  /**
   * The user's live conversations a search's `in:` names: groups by name (any case) and direct
   * conversations by their key.
   */
  async idsForSearch(userId: string, groupNames: readonly string[], directKeys: readonly string[]): Promise<string[]> {
    if (groupNames.length === 0 && directKeys.length === 0) return [];
    const rows = await queryRows<{ id: string }>(
      this.db,
      sql`SELECT c.id FROM members m JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL
           WHERE m.user_id = ${userId}::uuid
             AND ((c.kind = 'group' AND lower(c.name) = ANY(${pgArray(groupNames.map((n) => n.toLowerCase()))}::text[]))
               OR c.direct_key = ANY(${pgArray(directKeys)}::text[]))`,
    );
    return rows.map((r) => r.id);
  }

  /** The newest live message of each conversation (for viewers who are not members). */
  async lastMessageIds(conversationIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (conversationIds.length === 0) return out;
    const ids = sql.join(
      conversationIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const rows = await queryRows<{ cid: string; last_id: string | null }>(
      this.db,
      sql`
        SELECT c.cid,
          (SELECT m.id FROM messages m
             WHERE m.conversation_id = c.cid AND m.deleted_at IS NULL AND ${IN_CONVERSATION}
             ORDER BY m.seq DESC LIMIT 1) AS last_id
        FROM unnest(ARRAY[${ids}]) AS c(cid)
      `,
    );
    for (const r of rows) if (r.last_id) out.set(r.cid, r.last_id);
    return out;
  }

  async deleteAll(): Promise<void> {
    await this.db.delete(conversations);
  }
}
