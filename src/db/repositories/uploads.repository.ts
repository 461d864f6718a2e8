import { and, asc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { messageAttachments, settings, uploads, users } from '../schema.js';
import { anyOf, pgArray, queryRows } from '../sql.js';

export type UploadRow = typeof uploads.$inferSelect;

export class UploadsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: typeof uploads.$inferInsert): Promise<UploadRow> {
    const [created] = await this.db.insert(uploads).values(row).returning();
    return created!;
  }

  async findById(id: string): Promise<UploadRow | null> {
    const [row] = await this.db.select().from(uploads).where(eq(uploads.id, id));
    return row ?? null;
  }

  async markThumbnail(id: string): Promise<UploadRow | null> {
    const [row] = await this.db.update(uploads).set({ hasThumbnail: true }).where(eq(uploads.id, id)).returning();
    return row ?? null;
  }

  async findOwned(ownerId: string, ids: readonly string[]): Promise<UploadRow[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(uploads)
      .where(and(eq(uploads.ownerId, ownerId), anyOf(uploads.id, ids)));
  }

  /**
   * Attaches uploads to a message, in order, and marks them attached (kept by the sweeper).
   * Locks them first: false when one is gone (swept meanwhile), and nothing is attached.
   */
  async attach(messageId: string, uploadIds: readonly string[]): Promise<boolean> {
    if (uploadIds.length === 0) return true;
    const locked = await this.db.select({ id: uploads.id }).from(uploads).where(anyOf(uploads.id, uploadIds)).for('update');
    if (locked.length !== uploadIds.length) return false;
    await this.db.insert(messageAttachments).values(uploadIds.map((uploadId, position) => ({ messageId, uploadId, position })));
    await this.db
      .update(uploads)
      .set({ attachedAt: sql`now()` })
      .where(and(anyOf(uploads.id, uploadIds), isNull(uploads.attachedAt)));
    return true;
  }

  /** Bytes and files one person's uploads hold (each upload counts, attached or not). */
  async usage(ownerId: string): Promise<{ bytes: number; files: number }> {
    const [row] = await this.db
      .select({ bytes: sql<string>`coalesce(sum(${uploads.size}), 0)`, files: sql<string>`count(*)` })
      .from(uploads)
      .where(eq(uploads.ownerId, ownerId));
    return { bytes: Number(row?.bytes ?? 0), files: Number(row?.files ?? 0) };
  }

  /** Bytes the stored files take (identical files are stored once): the site's usage. */
  async storedBytes(): Promise<number> {
    const rows = await queryRows<{ bytes: string | null }>(
      this.db,
      sql`SELECT coalesce(sum(size), 0) AS bytes FROM (SELECT DISTINCT ON (sha256) size FROM uploads ORDER BY sha256) AS files`,
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  /** The people whose uploads hold the most bytes, most first, with their usage. */
  async topUsers(limit: number, offset: number): Promise<{ ownerId: string; bytes: number; files: number }[]> {
    const rows = await this.db
      .select({ ownerId: uploads.ownerId, bytes: sql<string>`sum(${uploads.size})`, files: sql<string>`count(*)` })
      .from(uploads)
      .groupBy(uploads.ownerId)
      .orderBy(sql`sum(${uploads.size}) DESC`, asc(uploads.ownerId))
      .limit(limit)
      .offset(offset);
    return rows.map((r) => ({ ownerId: r.ownerId, bytes: Number(r.bytes), files: Number(r.files) }));
  }

  /** Serializes one person's uploads against their quota, until the transaction ends. */
  async lockOwner(ownerId: string): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`upload-quota:${ownerId}`}))`);
  }

  /** Serializes storing and sweeping the file of one content hash, until the transaction ends. */
  async lockHash(sha256: string): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${sha256}))`);
  }

  async detachAll(messageId: string): Promise<void> {
    await this.db.delete(messageAttachments).where(eq(messageAttachments.messageId, messageId));
  }

  /** Per message, its attachments in order. */
  async attachmentsOf(messageIds: readonly string[]): Promise<Map<string, UploadRow[]>> {
    const out = new Map<string, UploadRow[]>();
    if (messageIds.length === 0) return out;
    const rows = await this.db
      .select({ messageId: messageAttachments.messageId, upload: uploads })
      .from(messageAttachments)
      .innerJoin(uploads, eq(uploads.id, messageAttachments.uploadId))
      .where(anyOf(messageAttachments.messageId, messageIds))
      .orderBy(asc(messageAttachments.position));
    for (const r of rows) {
      const list = out.get(r.messageId) ?? [];
      list.push(r.upload);
      out.set(r.messageId, list);
    }
    return out;
  }

  /** True when the user may read the upload: a member of a live conversation it is attached to, or it is someone's avatar. */
  async readableBy(uploadId: string, userId: string): Promise<boolean> {
    const rows = await queryRows<{ ok: boolean }>(
      this.db,
      sql`SELECT (
            EXISTS (SELECT 1 FROM message_attachments a
                    JOIN messages m ON m.id = a.message_id AND m.deleted_at IS NULL
                    JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL
                    JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ${userId}::uuid
                    WHERE a.upload_id = ${uploadId}::uuid)
            OR EXISTS (SELECT 1 FROM users u WHERE u.avatar_upload_id = ${uploadId}::uuid)
          ) AS ok`,
    );
    return rows[0]?.ok === true;
  }

  /** Uploads never attached, older than `before`, and nobody's avatar: removed; returns their hashes. */
  async deleteUnattached(before: Date): Promise<string[]> {
    const rows = await this.db
      .delete(uploads)
      .where(
        and(
          isNull(uploads.attachedAt),
          lt(uploads.createdAt, before),
          sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.avatarUploadId} = ${uploads.id})`,
        ),
      )
      .returning({ sha256: uploads.sha256 });
    return [...new Set(rows.map((r) => r.sha256))];
  }

  /** Which of these content hashes some upload uses. */
  async hashesInUse(sha256s: readonly string[]): Promise<Set<string>> {
    if (sha256s.length === 0) return new Set();
    const rows = await queryRows<{ sha256: string }>(this.db, sql`SELECT DISTINCT sha256 FROM uploads WHERE sha256 = ANY(${pgArray(sha256s)}::text[])`);
    return new Set(rows.map((r) => r.sha256));
  }

  async hashInUse(sha256: string): Promise<boolean> {
    const [row] = await this.db.select({ id: uploads.id }).from(uploads).where(eq(uploads.sha256, sha256)).limit(1);
    return row !== undefined;
  }

  /** A server-wide setting, created with `make()` on first use (the same on every node). */
  async setting(key: string, make: () => string): Promise<string> {
    await this.db.insert(settings).values({ key, value: make() }).onConflictDoNothing();
    const [row] = await this.db.select().from(settings).where(eq(settings.key, key));
    return row!.value;
  }
}
