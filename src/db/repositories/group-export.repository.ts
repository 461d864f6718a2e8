import { sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { queryRows } from '../sql.js';

/** One exported message: its seq, and its JSON text (an ExportedMessage without `previews`) and its previews' (or null). */
export interface ExportedMessageText {
  seq: number;
  json: string;
  previews: string | null;
}

/** A timestamp as JavaScript's toISOString writes it (UTC, milliseconds, truncated as Date truncates microseconds). */
const iso = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The history reads of a group export: pages in seq order, one index range each
 * (messages_history_key), each message written as JSON by the database.
 *
 * Built in SQL because an export is the largest read the server does: read into objects and
 * serialized again, a page allocated about 20 times the bytes it sent (rows, drizzle's mapping,
 * the exported objects, their JSON), and on the embedded database that garbage was the collector
 * pauses that other users waited for. Here each message is one string from the database, with its
 * sender's username, files and reactions in the same statement (four statements a page before).
 * tests/api/export.test.ts checks the document against what the API says of the same messages.
 */
export class GroupExportRepository {
  constructor(private readonly db: Db) {}

  /**
   * Up to `limit` messages after seq `after`, up to and including `until`, in seq order, as
   * ExportedMessage JSON: a deleted one is a tombstone (no text, mentions, files or reactions).
   */
  async messages(conversationId: string, after: number, until: number, limit: number): Promise<ExportedMessageText[]> {
    return queryRows<ExportedMessageText>(
      this.db,
      sql`SELECT m.seq,
                 row_to_json(d)::text AS json,
                 CASE WHEN m.deleted_at IS NULL AND jsonb_typeof(m.previews) = 'array' AND jsonb_array_length(m.previews) > 0 THEN
                   (SELECT '[' || string_agg(row_to_json(p)::text, ',' ORDER BY e.ord) || ']'
                      FROM jsonb_array_elements(m.previews) WITH ORDINALITY AS e(v, ord),
                           LATERAL (SELECT e.v->>'url' AS "url", e.v->>'title' AS "title", e.v->>'description' AS "description", e.v->>'siteName' AS "siteName") p)
                 END AS previews
            FROM messages m
            LEFT JOIN users u ON u.id = m.sender_id
            CROSS JOIN LATERAL (
              SELECT m.id AS "id", m.seq AS "seq", m.sender_id AS "senderId", u.username AS "senderUsername",
                     CASE WHEN m.deleted_at IS NULL THEN m.body ELSE '' END AS "body",
                     m.reply_to_id AS "replyTo", m.thread_id AS "threadId", m.also_in_conversation AS "alsoInConversation",
                     CASE WHEN m.deleted_at IS NULL THEN to_json(m.mentions) ELSE '[]'::json END AS "mentions",
                     CASE WHEN m.deleted_at IS NULL THEN
                       (SELECT ('[' || coalesce(string_agg(row_to_json(f)::text, ',' ORDER BY a.position), '') || ']')::json
                          FROM message_attachments a
                          JOIN uploads up ON up.id = a.upload_id,
                          LATERAL (SELECT up.id AS "id", up.filename AS "filename", up.content_type AS "contentType", up.size AS "size") f
                         WHERE a.message_id = m.id)
                     ELSE '[]'::json END AS "attachments",
                     CASE WHEN m.deleted_at IS NULL THEN
                       (SELECT ('[' || coalesce(string_agg(row_to_json(x)::text, ',' ORDER BY g.first, g.emoji), '') || ']')::json
                          FROM (SELECT r.emoji, min(r.created_at) AS first, array_agg(r.user_id::text ORDER BY r.created_at, r.user_id) AS user_ids
                                  FROM reactions r WHERE r.message_id = m.id GROUP BY r.emoji) g,
                               LATERAL (SELECT g.emoji AS "emoji", g.user_ids AS "userIds") x)
                     ELSE '[]'::json END AS "reactions",
                     ${iso('m.created_at')} AS "createdAt",
                     ${iso('m.edited_at')} AS "editedAt",
                     ${iso('m.deleted_at')} AS "deletedAt"
            ) d
           WHERE m.conversation_id = ${conversationId}::uuid AND m.seq > ${after} AND m.seq <= ${until}
           ORDER BY m.seq
           LIMIT ${limit}`,
    );
  }
}
