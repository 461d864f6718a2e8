import { sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { pgArray, queryRows } from '../sql.js';

/** A conversation whose messages expire, and after how many days. */
export interface ExpiringConversation {
  id: string;
  days: number;
  /** Every message at or below this seq is already a tombstone. */
  floorSeq: number;
}

/** What one purged batch did. */
export interface PurgedBatch {
  /** The purged messages' seqs (ascending). */
  seqs: number[];
  /** Their ids, in the same order. */
  ids: string[];
  /** Content hashes of the uploads removed with them (their files may now be unused). */
  sha256s: string[];
  uploads: number;
}

/**
 * The SQL of message retention and of turning many messages into tombstones at once (the
 * erasure's "delete my messages" too). Every statement is idempotent row by row, so two nodes
 * running the same purge never do the work twice.
 */
export class RetentionRepository {
  constructor(private readonly db: Db) {}

  /**
   * Conversations with a retention period: a group's own, else the site's (direct conversations
   * always the site's). Deleted groups too: their history is still stored.
   */
  async expiring(siteDays: number | null): Promise<ExpiringConversation[]> {
    const rows = await queryRows<{ id: string; days: number; floor: string | number }>(
      this.db,
      sql`SELECT id, COALESCE(retention_days, ${siteDays}::int) AS days, retention_floor_seq AS floor FROM conversations
          WHERE COALESCE(retention_days, ${siteDays}::int) IS NOT NULL`,
    );
    return rows.map((r) => ({ id: r.id, days: Number(r.days), floorSeq: Number(r.floor) }));
  }

  /**
   * Up to `limit` live messages of a conversation above `afterSeq` created before `before`,
   * oldest first, locked (rows another purge holds are skipped: two runs take disjoint batches,
   * never deadlock).
   */
  async lockExpired(conversationId: string, afterSeq: number, before: Date, limit: number): Promise<{ id: string; seq: number }[]> {
    const rows = await queryRows<{ id: string; seq: string | number }>(
      this.db,
      sql`SELECT id, seq FROM messages
          WHERE conversation_id = ${conversationId}::uuid AND seq > ${afterSeq} AND deleted_at IS NULL
            AND created_at < ${before.toISOString()}::timestamptz
          ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
    );
    return rows.map((r) => ({ id: r.id, seq: Number(r.seq) }));
  }

  /**
   * Moves the conversation's floor up to just below its oldest live message above `fromSeq`
   * (or to its newest message when none is live). It walks only the tombstones between the two,
   * which the run just made. A message still being stored is not seen here, but its seq is above
   * every committed one (seqs are taken under the conversation's lock and commit in order), so
   * the floor never passes it. Returns the floor.
   */
  async raiseFloor(conversationId: string, fromSeq: number): Promise<number> {
    const rows = await queryRows<{ floor: string | number | null }>(
      this.db,
      sql`WITH f AS (
            SELECT COALESCE(
              (SELECT min(seq) - 1 FROM messages WHERE conversation_id = ${conversationId}::uuid AND seq > ${fromSeq} AND deleted_at IS NULL),
              (SELECT max(seq) FROM messages WHERE conversation_id = ${conversationId}::uuid AND seq > ${fromSeq})
            ) AS v
          )
          UPDATE conversations c SET retention_floor_seq = f.v FROM f
          WHERE c.id = ${conversationId}::uuid AND f.v > c.retention_floor_seq
          RETURNING c.retention_floor_seq AS floor`,
    );
    return rows[0]?.floor == null ? fromSeq : Number(rows[0].floor);
  }

  /**
   * Up to `limit` live messages a user sent, after a (conversation, seq) position, in that order
   * (not locked: the caller locks their conversations first, as every seq-taking write does).
   */
  async sentBy(senderId: string, after: { conversationId: string; seq: number } | null, limit: number): Promise<{ id: string; conversationId: string; seq: number }[]> {
    const position = after ? sql`AND (conversation_id, seq) > (${after.conversationId}::uuid, ${after.seq}::bigint)` : sql``;
    const rows = await queryRows<{ id: string; conversation_id: string; seq: string | number }>(
      this.db,
      sql`SELECT id, conversation_id, seq FROM messages
          WHERE sender_id = ${senderId}::uuid AND deleted_at IS NULL ${position}
          ORDER BY conversation_id, seq LIMIT ${limit}`,
    );
    return rows.map((r) => ({ id: r.id, conversationId: r.conversation_id, seq: Number(r.seq) }));
  }

  /**
   * Turns messages into tombstones exactly as a delete does (body, mentions, search terms,
   * reactions, attachments, pins and link previews gone; queued webhook deliveries and preview
   * jobs dropped; thread summaries counting the replies that are left) and removes the
   * uploads that were attached only to them (never an avatar). Returns the seqs actually purged
   * (a message already a tombstone is left alone) and the removed uploads' hashes.
   */
  async tombstone(messageIds: readonly string[]): Promise<PurgedBatch> {
    if (messageIds.length === 0) return { seqs: [], ids: [], sha256s: [], uploads: 0 };
    const ids = pgArray(messageIds);
    const purged = await queryRows<{ id: string; seq: string | number; thread_id: string | null }>(
      this.db,
      sql`UPDATE messages SET body = '', mentions = '{}', search_terms = '{}', previews = NULL, deleted_at = now()
          WHERE id = ANY(${ids}::uuid[]) AND deleted_at IS NULL RETURNING id, seq, thread_id`,
    );
    if (purged.length === 0) return { seqs: [], ids: [], sha256s: [], uploads: 0 };
    // Replies gone: their roots' summaries count the live ones again, and the last live reply
    // is the last reply (none left: the root shows no thread, and nobody has it unread).
    const roots = [...new Set(purged.flatMap((r) => (r.thread_id ? [r.thread_id] : [])))];
    if (roots.length > 0) {
      // The summaries' rows first: a send (or a deletion) changing one commits before the count
      // below is read, so the count is never older than the row it overwrites.
      await this.db.execute(sql`SELECT 1 FROM threads WHERE root_id = ANY(${pgArray(roots)}::uuid[]) ORDER BY root_id FOR UPDATE`);
      await this.db.execute(
        sql`UPDATE threads t SET reply_count = s.n, last_reply_seq = COALESCE(s.last_seq, 0), last_reply_at = s.last_at
              FROM (SELECT r.root_id,
                           (SELECT count(*) FROM messages m WHERE m.thread_id = r.root_id AND m.deleted_at IS NULL) AS n,
                           l.seq AS last_seq, l.created_at AS last_at
                      FROM unnest(${pgArray(roots)}::uuid[]) AS r(root_id)
                      LEFT JOIN LATERAL (SELECT m.seq, m.created_at FROM messages m
                                          WHERE m.thread_id = r.root_id AND m.deleted_at IS NULL
                                          ORDER BY m.seq DESC LIMIT 1) l ON true) s
             WHERE t.root_id = s.root_id`,
      );
    }
    purged.sort((a, b) => Number(a.seq) - Number(b.seq));
    const done = pgArray(purged.map((r) => r.id));
    await this.db.execute(sql`DELETE FROM message_mentions WHERE message_id = ANY(${done}::uuid[])`);
    await this.db.execute(sql`DELETE FROM reactions WHERE message_id = ANY(${done}::uuid[])`);
    await this.db.execute(sql`DELETE FROM pins WHERE message_id = ANY(${done}::uuid[])`);
    await this.db.execute(sql`DELETE FROM webhook_deliveries WHERE message_id = ANY(${done}::uuid[])`);
    await this.db.execute(sql`DELETE FROM link_preview_jobs WHERE message_id = ANY(${done}::uuid[])`);
    const detached = await queryRows<{ upload_id: string }>(
      this.db,
      sql`DELETE FROM message_attachments WHERE message_id = ANY(${done}::uuid[]) RETURNING upload_id`,
    );
    const removed = await this.deleteUnusedUploads([...new Set(detached.map((r) => r.upload_id))]);
    return { seqs: purged.map((r) => Number(r.seq)), ids: purged.map((r) => r.id), sha256s: removed.sha256s, uploads: removed.count };
  }

  /** Of these uploads, removes those attached to no message and nobody's avatar; returns their hashes. */
  async deleteUnusedUploads(uploadIds: readonly string[]): Promise<{ sha256s: string[]; count: number }> {
    if (uploadIds.length === 0) return { sha256s: [], count: 0 };
    const rows = await queryRows<{ sha256: string }>(
      this.db,
      sql`DELETE FROM uploads u WHERE u.id = ANY(${pgArray(uploadIds)}::uuid[])
          AND NOT EXISTS (SELECT 1 FROM message_attachments a WHERE a.upload_id = u.id)
          AND NOT EXISTS (SELECT 1 FROM users x WHERE x.avatar_upload_id = u.id)
          RETURNING u.sha256`,
    );
    return { sha256s: [...new Set(rows.map((r) => r.sha256))], count: rows.length };
  }
}
