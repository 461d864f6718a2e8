import { and, asc, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
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
  /** The viewer's membership: their read pointer and notification settings. */
  lastReadSeq: number;
  notifyLevel: MemberRow['notifyLevel'];
  notifyMuted: boolean;
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

  /**
   * The inbox: a user's live conversations, newest activity first, after a (activity, id) cursor.
   * Read in two parts, each at most a page: the conversations of up to 64 members from
   * member_activity_recent_idx (their activity copied per member, migration 0029), and the
   * larger groups from member_activity_large_idx; then the page of both, looked up by id (`= ANY(ARRAY(…))`:
   * as `IN (…)` the planner hashed them against a scan of every conversation). Sorting every membership
   * instead cost 11-13 ms for a user in 10,000 conversations.
   */
  async listForUser(userId: string, after: { at: Date; id: string } | null, limit: number): Promise<ConversationRow[]> {
    return this.inboxQuery(userId, after, limit);
  }

  /** listForUser's statement (tests/api/inbox-activity.test.ts reads its plan). */
  inboxQuery(userId: string, after: { at: Date; id: string } | null, limit: number) {
    const at = after ? sql`${after.at.toISOString()}::timestamptz` : null;
    const small = sql`
      SELECT m.conversation_id FROM member_activity m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.user_id = ${userId}::uuid AND m.activity_at IS NOT NULL AND c.deleted_at IS NULL
        ${after ? sql`AND (m.activity_at, m.conversation_id) < (${at}, ${after.id}::uuid)` : sql``}
      ORDER BY m.activity_at DESC NULLS LAST, m.conversation_id DESC NULLS LAST LIMIT ${limit}`;
    const large = sql`
      SELECT c.id FROM member_activity m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.user_id = ${userId}::uuid AND m.activity_at IS NULL AND c.deleted_at IS NULL
        ${after ? sql`AND (c.last_activity_at, c.id) < (${at}, ${after.id}::uuid)` : sql``}
      ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ${limit}`;
    return this.db
      .select()
      .from(conversations)
      .where(sql`${conversations.id} = ANY(ARRAY((${small}) UNION ALL (${large})))`)
      .orderBy(desc(conversations.lastActivityAt), desc(conversations.id))
      .limit(limit);
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
    const rows = await queryRows<{ cid: string; last_id: string | null; unread: number; mentions: number; last_read_seq: string | number; notify_level: MemberRow['notifyLevel']; notify_muted: boolean }>(
      this.db,
      sql`
        SELECT c.cid, mb.last_read_seq, mb.notify_level, mb.notify_muted,
          (SELECT m.id FROM messages m
             WHERE m.conversation_id = c.cid AND m.seq >= f.floor AND m.deleted_at IS NULL AND ${IN_CONVERSATION}
             ORDER BY m.seq DESC LIMIT 1) AS last_id,
          (SELECT count(*)::int FROM (
             SELECT 1 FROM messages m
             WHERE m.conversation_id = c.cid AND m.seq > greatest(mb.last_read_seq, f.floor - 1) AND m.deleted_at IS NULL AND ${IN_CONVERSATION}
             ORDER BY m.seq LIMIT ${UNREAD_CAP}) u) AS unread,
          (SELECT count(*)::int FROM (
             SELECT 1 FROM message_mentions mm
             WHERE mm.user_id = ${viewerId}::uuid AND mm.conversation_id = c.cid AND mm.seq > greatest(mb.last_read_seq, f.floor - 1) AND NOT mm.thread_only
             ORDER BY mm.seq LIMIT ${UNREAD_CAP}) u) AS mentions
        FROM unnest(${pgArray(conversationIds)}::uuid[]) AS c(cid)
        JOIN members mb ON mb.conversation_id = c.cid AND mb.user_id = ${viewerId}::uuid
        JOIN conversations cv ON cv.id = c.cid
        -- The first seq the viewer may read (access.readFloor): nothing from before they joined a
        -- group that shows members no more, in its preview or its counts.
        CROSS JOIN LATERAL (SELECT CASE WHEN cv.kind = 'group' AND cv.history_visibility = 'joined' THEN mb.joined_seq ELSE 0 END AS floor) f
      `,
    );
    for (const r of rows) {
      out.set(r.cid, {
        conversationId: r.cid,
        lastMessageId: r.last_id,
        unreadCount: r.unread,
        mentionCount: r.mentions,
        lastReadSeq: Number(r.last_read_seq),
        notifyLevel: r.notify_level,
        notifyMuted: r.notify_muted,
      });
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
    const rows = await queryRows<{ cid: string; last_id: string | null }>(
      this.db,
      sql`
        SELECT c.cid,
          (SELECT m.id FROM messages m
             WHERE m.conversation_id = c.cid AND m.deleted_at IS NULL AND ${IN_CONVERSATION}
             ORDER BY m.seq DESC LIMIT 1) AS last_id
        FROM unnest(${pgArray(conversationIds)}::uuid[]) AS c(cid)
      `,
    );
    for (const r of rows) if (r.last_id) out.set(r.cid, r.last_id);
    return out;
  }

  async deleteAll(): Promise<void> {
    await this.db.delete(conversations);
  }
}
