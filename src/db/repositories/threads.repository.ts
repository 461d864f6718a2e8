/**
 * Threads (migration 0018): each root's summary (kept by the send, parley_thread_replied) and
 * who follows it, with their read pointers. Unread and mention counts are ranges of the thread's
 * replies after a reader's pointer (messages_thread_idx, message_mentions_pkey), counted when asked.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../database.js';
import { queryRows } from '../sql.js';
import { SUMMARY_PARTICIPANTS, type ThreadSummaryRow } from './messages.repository.js';

/** Unread replies counted at most (as conversations' unread counts are). */
export const THREAD_UNREAD_CAP = 1000;

/** One viewer's state of a thread: whether they follow it and how far they have read. */
export interface ThreadViewerRow {
  rootId: string;
  conversationId: string;
  /** null: no choice made (never followed nor unfollowed). */
  following: boolean | null;
  lastReadSeq: number;
  unreadCount: number;
  mentionCount: number;
  /** The last reply's time, or the root's when it has none: the list's order. */
  activityAt: Date;
}

/** Where a page of followed threads continues: after this (has unread, activity, root) in the list's order. */
export interface ThreadListCursor {
  unread: boolean;
  at: Date;
  rootId: string;
}

interface ViewerSqlRow {
  root_id: string;
  conversation_id: string;
  following: boolean | null;
  last_read_seq: string | number;
  unread: number;
  mentions: number;
  activity_at: Date | string;
}

const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

function uuidList(v: string[] | string | null): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  const inner = v.slice(1, -1);
  return inner === '' ? [] : inner.split(',');
}

function viewerRow(r: ViewerSqlRow): ThreadViewerRow {
  return {
    rootId: r.root_id,
    conversationId: r.conversation_id,
    following: r.following,
    lastReadSeq: Number(r.last_read_seq),
    unreadCount: Number(r.unread),
    mentionCount: Number(r.mentions),
    activityAt: asDate(r.activity_at),
  };
}

/**
 * Each followed (or read) thread row of `f` with the reader's counts: live replies of others
 * after their pointer, and those that mention them.
 */
const viewerColumns = sql`
  f.root_id, f.conversation_id, f.following, f.last_read_seq,
  COALESCE(t.last_reply_at, r.created_at) AS activity_at,
  (SELECT count(*)::int FROM (
     SELECT 1 FROM messages m
      WHERE m.thread_id = f.root_id AND m.seq > f.last_read_seq AND m.deleted_at IS NULL AND m.sender_id <> f.user_id
      LIMIT ${THREAD_UNREAD_CAP}) u) AS unread,
  (SELECT count(*)::int FROM (
     SELECT 1 FROM message_mentions mm JOIN messages m ON m.id = mm.message_id
      WHERE mm.user_id = f.user_id AND mm.conversation_id = f.conversation_id AND mm.seq > f.last_read_seq
        AND m.thread_id = f.root_id AND m.deleted_at IS NULL
      LIMIT ${THREAD_UNREAD_CAP}) u) AS mentions`;

export class ThreadsRepository {
  constructor(private readonly db: Db) {}

  /** The summaries of roots (absent: no reply yet). */
  async summaries(rootIds: readonly string[]): Promise<Map<string, ThreadSummaryRow>> {
    const out = new Map<string, ThreadSummaryRow>();
    if (rootIds.length === 0) return out;
    const rows = await queryRows<{ root_id: string; reply_count: number; last_reply_at: Date | string | null; last_reply_seq: string | number; participant_ids: string[] | string }>(
      this.db,
      sql`SELECT root_id, reply_count, last_reply_at, last_reply_seq, participant_ids FROM threads
           WHERE root_id = ANY(${idArray(rootIds)}) AND last_reply_seq > 0`,
    );
    for (const r of rows) {
      out.set(r.root_id, {
        replyCount: Number(r.reply_count),
        lastReplyAt: r.last_reply_at === null ? null : asDate(r.last_reply_at),
        lastReplySeq: Number(r.last_reply_seq),
        participantIds: uuidList(r.participant_ids).slice(0, SUMMARY_PARTICIPANTS),
      });
    }
    return out;
  }

  /** One viewer's state of one thread (null: they never followed nor read it). */
  async viewer(userId: string, rootId: string): Promise<ThreadViewerRow | null> {
    const rows = await queryRows<ViewerSqlRow>(
      this.db,
      sql`SELECT ${viewerColumns}
            FROM thread_followers f
            JOIN messages r ON r.id = f.root_id
            LEFT JOIN threads t ON t.root_id = f.root_id
           WHERE f.root_id = ${rootId}::uuid AND f.user_id = ${userId}::uuid`,
    );
    return rows[0] ? viewerRow(rows[0]) : null;
  }

  /**
   * A page of the threads a user follows in live conversations they belong to: those with unread
   * replies first, then by last activity, newest first; and over all of them, how many have
   * unread replies and how many unread replies mention the user.
   */
  async listFollowed(
    userId: string,
    after: ThreadListCursor | null,
    limit: number,
  ): Promise<{ rows: ThreadViewerRow[]; hasMore: boolean; unreadThreads: number; unreadMentions: number }> {
    const cursor: SQL = after
      ? sql`WHERE ((x.unread > 0)::int, x.activity_at, x.root_id) < (${after.unread ? 1 : 0}::int, ${after.at.toISOString()}::timestamptz, ${after.rootId}::uuid)`
      : sql``;
    const rows = await queryRows<ViewerSqlRow & { unread_threads: number | null; unread_mentions: number | null }>(
      this.db,
      sql`WITH x AS (
            SELECT ${viewerColumns}
              FROM thread_followers f
              JOIN members mb ON mb.conversation_id = f.conversation_id AND mb.user_id = f.user_id
              JOIN conversations c ON c.id = f.conversation_id AND c.deleted_at IS NULL
              JOIN messages r ON r.id = f.root_id
              LEFT JOIN threads t ON t.root_id = f.root_id
             WHERE f.user_id = ${userId}::uuid AND f.following),
          totals AS (
            SELECT count(*) FILTER (WHERE unread > 0)::int AS unread_threads, COALESCE(sum(mentions), 0)::int AS unread_mentions FROM x)
          SELECT p.*, totals.unread_threads, totals.unread_mentions
            FROM totals LEFT JOIN LATERAL (
              SELECT * FROM x ${cursor}
               ORDER BY (x.unread > 0) DESC, x.activity_at DESC, x.root_id DESC
               LIMIT ${limit + 1}) p ON true`,
    );
    const first = rows[0];
    const listed = rows.filter((r) => r.root_id !== null);
    return {
      rows: listed.slice(0, limit).map(viewerRow),
      hasMore: listed.length > limit,
      unreadThreads: Number(first?.unread_threads ?? 0),
      unreadMentions: Number(first?.unread_mentions ?? 0),
    };
  }

  /**
   * Follows or unfollows a thread; a first follow starts reading at the thread's last reply (the
   * follower is looking at it). Returns whether anything changed.
   */
  async setFollowing(rootId: string, conversationId: string, userId: string, following: boolean): Promise<boolean> {
    const rows = await queryRows<{ root_id: string }>(
      this.db,
      sql`INSERT INTO thread_followers AS f (root_id, user_id, conversation_id, following, last_read_seq)
          VALUES (${rootId}::uuid, ${userId}::uuid, ${conversationId}::uuid, ${following},
                  COALESCE((SELECT last_reply_seq FROM threads WHERE root_id = ${rootId}::uuid), 0))
          ON CONFLICT (root_id, user_id) DO UPDATE SET following = EXCLUDED.following, updated_at = now()
            WHERE f.following IS DISTINCT FROM EXCLUDED.following
          RETURNING f.root_id`,
    );
    return rows.length > 0;
  }

  /**
   * Moves a reader's pointer forward to `seq`, clamped to the thread's last reply. Returns the
   * new pointer when it moved, else null.
   */
  async markRead(rootId: string, conversationId: string, userId: string, seq: number): Promise<number | null> {
    const rows = await queryRows<{ last_read_seq: string | number }>(
      this.db,
      sql`INSERT INTO thread_followers AS f (root_id, user_id, conversation_id, following, last_read_seq)
          VALUES (${rootId}::uuid, ${userId}::uuid, ${conversationId}::uuid, NULL,
                  LEAST(${seq}::bigint, COALESCE((SELECT last_reply_seq FROM threads WHERE root_id = ${rootId}::uuid), 0)))
          ON CONFLICT (root_id, user_id) DO UPDATE SET last_read_seq = EXCLUDED.last_read_seq, updated_at = now()
            WHERE EXCLUDED.last_read_seq > f.last_read_seq
          RETURNING f.last_read_seq`,
    );
    return rows[0] ? Number(rows[0].last_read_seq) : null;
  }

  /** A reply was deleted: one live reply fewer. The root's summary after it (null: the root has no thread row). */
  async replyDeleted(rootId: string): Promise<ThreadSummaryRow | null> {
    await this.db.execute(sql`UPDATE threads SET reply_count = GREATEST(reply_count - 1, 0) WHERE root_id = ${rootId}::uuid`);
    return (await this.summaries([rootId])).get(rootId) ?? null;
  }
}

function idArray(ids: readonly string[]): SQL {
  return sql`ARRAY[${sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  )}]::uuid[]`;
}
