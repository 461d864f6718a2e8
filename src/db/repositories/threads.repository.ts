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
  /** The list's first key: the thread's last reply is past the reader's pointer. */
  hasUnread: boolean;
  /** The last reply's time, or when the reader followed it when it has none: the list's order. */
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
  has_unread?: boolean | null;
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
    hasUnread: r.has_unread ?? Number(r.unread) > 0,
    activityAt: asDate(r.activity_at),
  };
}

/**
 * A reader's unread replies in thread `f` (f: thread_followers): live replies of others after their
 * pointer. Read in seq order so that the (thread, seq) index answers it (see viewerStats in
 * conversations.repository.ts: a capped count without it can become a sequential scan).
 */
const UNREAD_COUNT = sql`(SELECT count(*)::int FROM (
     SELECT 1 FROM messages m
      WHERE m.thread_id = f.root_id AND m.seq > f.last_read_seq AND m.deleted_at IS NULL AND m.sender_id <> f.user_id
      ORDER BY m.seq LIMIT ${THREAD_UNREAD_CAP}) u)`;

/** Of those, the ones that mention the reader (a deleted reply's mentions are gone with it). */
const MENTION_COUNT = sql`(SELECT count(*)::int FROM (
     SELECT 1 FROM message_mentions mm
      WHERE mm.user_id = f.user_id AND mm.thread_id = f.root_id AND mm.seq > f.last_read_seq
      ORDER BY mm.seq LIMIT ${THREAD_UNREAD_CAP}) u)`;

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
      sql`SELECT f.root_id, f.conversation_id, f.following, f.last_read_seq, ${UNREAD_COUNT} AS unread, ${MENTION_COUNT} AS mentions,
                 COALESCE(t.last_reply_at, f.updated_at) AS activity_at
            FROM thread_followers f
            LEFT JOIN threads t ON t.root_id = f.root_id
           WHERE f.root_id = ${rootId}::uuid AND f.user_id = ${userId}::uuid`,
    );
    return rows[0] ? viewerRow(rows[0]) : null;
  }

  /**
   * A page of the threads a user follows in live conversations they belong to: those with unread
   * replies first, then by last reply (or, with none yet, when followed), newest first; and over all of them, how many have
   * unread replies and how many unread replies mention the user. Whether a thread has unread
   * replies is its last reply's seq against the reader's pointer (a reply of one's own moves the
   * pointer to it; deleting the last reply moves the last reply back), so ordering a thousand
   * followed threads reads no reply; the counts are read for the page's threads, and mentions
   * for threads with unread replies (message_mentions_thread_idx).
   */
  async listFollowed(
    userId: string,
    after: ThreadListCursor | null,
    limit: number,
  ): Promise<{ rows: ThreadViewerRow[]; hasMore: boolean; unreadThreads: number; unreadMentions: number }> {
    const cursor: SQL = after
      ? sql`WHERE (x.has_unread::int, x.activity_at, x.root_id) < (${after.unread ? 1 : 0}::int, ${after.at.toISOString()}::timestamptz, ${after.rootId}::uuid)`
      : sql``;
    const rows = await queryRows<ViewerSqlRow & { unread_threads: number | null; unread_mentions: number | null }>(
      this.db,
      sql`WITH x AS MATERIALIZED (
            SELECT f.root_id, f.conversation_id, f.following, f.last_read_seq, f.user_id,
                   COALESCE(t.last_reply_seq, 0) > f.last_read_seq AS has_unread,
                   -- To the millisecond, as the cursor carries it (a JavaScript Date).
                   date_trunc('milliseconds', COALESCE(t.last_reply_at, f.updated_at)) AS activity_at,
                   CASE WHEN COALESCE(t.last_reply_seq, 0) > f.last_read_seq THEN ${MENTION_COUNT} ELSE 0 END AS mentions
              FROM thread_followers f
              JOIN members mb ON mb.conversation_id = f.conversation_id AND mb.user_id = f.user_id
              JOIN conversations c ON c.id = f.conversation_id AND c.deleted_at IS NULL
              LEFT JOIN threads t ON t.root_id = f.root_id
             WHERE f.user_id = ${userId}::uuid AND f.following),
          totals AS (
            SELECT count(*) FILTER (WHERE has_unread)::int AS unread_threads, COALESCE(sum(mentions), 0)::int AS unread_mentions FROM x),
          page AS (
            SELECT * FROM x ${cursor}
             ORDER BY x.has_unread DESC, x.activity_at DESC, x.root_id DESC
             LIMIT ${limit + 1})
          SELECT p.root_id, p.conversation_id, p.following, p.last_read_seq, p.mentions, p.activity_at, p.has_unread,
                 CASE WHEN p.has_unread THEN (SELECT ${UNREAD_COUNT} FROM (SELECT p.root_id, p.last_read_seq, p.user_id) AS f) ELSE 0 END AS unread,
                 totals.unread_threads, totals.unread_mentions
            FROM totals LEFT JOIN page p ON true
           ORDER BY p.has_unread DESC, p.activity_at DESC, p.root_id DESC`,
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

  /**
   * A reply was deleted: one live reply fewer, and when it was the last, the last reply is the
   * newest live one before it (none left: the root shows no thread). The root's summary after it.
   */
  async replyDeleted(rootId: string, seq: number): Promise<ThreadSummaryRow | null> {
    await this.db.execute(
      sql`UPDATE threads t SET reply_count = GREATEST(t.reply_count - 1, 0),
            last_reply_seq = CASE WHEN t.last_reply_seq = ${seq} THEN COALESCE(l.seq, 0) ELSE t.last_reply_seq END,
            last_reply_at = CASE WHEN t.last_reply_seq = ${seq} THEN l.created_at ELSE t.last_reply_at END
          FROM (SELECT max(seq) AS seq, max(created_at) AS created_at FROM (
                  SELECT m.seq, m.created_at FROM messages m
                   WHERE m.thread_id = ${rootId}::uuid AND m.deleted_at IS NULL
                   ORDER BY m.seq DESC LIMIT 1) n) l
         WHERE t.root_id = ${rootId}::uuid`,
    );
    return (await this.summaries([rootId])).get(rootId) ?? null;
  }
}

function idArray(ids: readonly string[]): SQL {
  return sql`ARRAY[${sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  )}]::uuid[]`;
}
