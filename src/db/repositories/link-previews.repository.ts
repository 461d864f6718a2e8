import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { linkPreviewJobs, linkPreviews, messages, type StoredLinkPreview } from '../schema.js';
import { pgArray, queryRows } from '../sql.js';
import type { MessageRow } from './messages.repository.js';

export type LinkPreviewRow = typeof linkPreviews.$inferSelect;

/** A job taken by this node: the message whose links want previews. */
export interface ClaimedPreviewJob {
  messageId: string;
  /** Attempts so far, this one included. */
  attempts: number;
}

/** What a fetch found for a URL: a preview, or why there is none. */
export type FetchedPreview =
  | { ok: true; title: string | null; description: string | null; siteName: string | null; image: { key: string; width: number; height: number } | null }
  | { ok: false; error: string };

/**
 * Link previews: the per-URL cache every node shares, the durable queue of messages waiting for
 * previews, and the previews a message stores. No statement is held open across a fetch.
 */
export class LinkPreviewsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Queues messages for previews in one statement (once each: a message queued already is left
   * alone; one that no longer exists is skipped rather than failing the others).
   */
  async enqueue(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.db.execute(
      sql`INSERT INTO link_preview_jobs (message_id)
          SELECT id FROM messages WHERE id = ANY(${pgArray(messageIds)}::uuid[])
          ON CONFLICT (message_id) DO NOTHING`,
    );
  }

  /**
   * Takes up to `limit` due jobs for `leaseMs`, oldest due first, counting the attempt. SKIP
   * LOCKED lets nodes claim side by side; a node that dies mid-job loses its claim when the lease
   * runs out, and another node takes it.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedPreviewJob[]> {
    return queryRows<ClaimedPreviewJob>(
      this.db,
      sql`WITH picked AS MATERIALIZED (
            SELECT j.message_id FROM link_preview_jobs j
             WHERE j.next_attempt_at <= now() AND (j.locked_until IS NULL OR j.locked_until < now())
             ORDER BY j.next_attempt_at, j.message_id
             LIMIT ${limit}::int
               FOR UPDATE SKIP LOCKED)
          UPDATE link_preview_jobs j
             SET locked_until = now() + ${leaseMs}::int * interval '1 millisecond', attempts = j.attempts + 1
            FROM picked p
           WHERE j.message_id = p.message_id
       RETURNING j.message_id AS "messageId", j.attempts`,
    );
  }

  /** The job is done (or given up): it leaves the queue. */
  async complete(messageId: string): Promise<void> {
    await this.db.delete(linkPreviewJobs).where(eq(linkPreviewJobs.messageId, messageId));
  }

  /** Tried again after `delayMs`. */
  async reschedule(messageId: string, delayMs: number): Promise<void> {
    await this.db
      .update(linkPreviewJobs)
      .set({ nextAttemptAt: sql`now() + ${Math.round(delayMs)}::int * interval '1 millisecond'`, lockedUntil: null })
      .where(eq(linkPreviewJobs.messageId, messageId));
  }

  /** Hands a claim back untouched (this node is stopping): the attempt does not count. */
  async release(messageId: string): Promise<void> {
    await this.db
      .update(linkPreviewJobs)
      .set({ lockedUntil: null, attempts: sql`greatest(${linkPreviewJobs.attempts} - 1, 0)` })
      .where(eq(linkPreviewJobs.messageId, messageId));
  }

  /** The cache entry of a normalized URL, whatever its state. */
  async find(url: string): Promise<LinkPreviewRow | null> {
    const [row] = await this.db.select().from(linkPreviews).where(eq(linkPreviews.url, url));
    return row ?? null;
  }

  /**
   * Takes the right to fetch a URL for `leaseMs`: true when this caller should fetch it (no entry,
   * or an expired one nobody is fetching); false when the entry is fresh or another node is
   * fetching it now (look again with `find`).
   */
  async claimFetch(url: string, leaseMs: number): Promise<boolean> {
    const rows = await queryRows<{ url: string }>(
      this.db,
      sql`INSERT INTO link_previews (url, expires_at, locked_until)
          VALUES (${url}, now(), now() + ${leaseMs}::int * interval '1 millisecond')
          ON CONFLICT (url) DO UPDATE SET locked_until = EXCLUDED.locked_until
           WHERE link_previews.expires_at <= now() AND (link_previews.locked_until IS NULL OR link_previews.locked_until < now())
          RETURNING url`,
    );
    return rows.length > 0;
  }

  /** Records a fetch's outcome for every node, fresh for `ttlMs`, and lets the URL go. */
  async storeResult(url: string, result: FetchedPreview, ttlMs: number): Promise<LinkPreviewRow | null> {
    const values = result.ok
      ? {
          ok: true,
          title: result.title,
          description: result.description,
          siteName: result.siteName,
          imageKey: result.image?.key ?? null,
          imageWidth: result.image?.width ?? null,
          imageHeight: result.image?.height ?? null,
          error: null,
        }
      : { ok: false, title: null, description: null, siteName: null, imageKey: null, imageWidth: null, imageHeight: null, error: result.error.slice(0, 500) };
    const [row] = await this.db
      .update(linkPreviews)
      .set({ ...values, fetchedAt: sql`now()`, expiresAt: sql`now() + ${Math.round(ttlMs)}::int * interval '1 millisecond'`, lockedUntil: null })
      .where(eq(linkPreviews.url, url))
      .returning();
    return row ?? null;
  }

  /** Lets a URL go without a result (the node is stopping): the next node fetches it. */
  async releaseFetch(url: string): Promise<void> {
    await this.db.update(linkPreviews).set({ lockedUntil: null }).where(eq(linkPreviews.url, url));
  }

  /** True when some cache entry still uses this image (its blob must stay). */
  async imageInUse(key: string): Promise<boolean> {
    const rows = await queryRows<{ one: number }>(this.db, sql`SELECT 1 AS one FROM link_previews WHERE image_key = ${key} LIMIT 1`);
    return rows.length > 0;
  }

  /** Deletes cache entries that expired more than `graceMs` ago (at most `limit`); how many went. */
  async sweepExpired(graceMs: number, limit: number): Promise<number> {
    const rows = await queryRows<{ url: string }>(
      this.db,
      sql`DELETE FROM link_previews WHERE url IN (
            SELECT url FROM link_previews
             WHERE expires_at < now() - ${Math.round(graceMs)}::int * interval '1 millisecond' AND locked_until IS NULL
             ORDER BY expires_at LIMIT ${limit}::int)
          RETURNING url`,
    );
    return rows.length;
  }

  /**
   * Stores a message's first previews: only while it is not deleted and has none yet (null), so
   * previews the sender removed (`[]`) are never put back. Null when nothing changed.
   */
  async setPreviews(messageId: string, previews: StoredLinkPreview[]): Promise<MessageRow | null> {
    const [row] = await this.db
      .update(messages)
      .set({ previews })
      .where(and(eq(messages.id, messageId), isNull(messages.deletedAt), isNull(messages.previews)))
      .returning();
    return row ?? null;
  }

  /** Replaces a live message's previews (the sender removed some or all). Null when it is deleted. */
  async replacePreviews(messageId: string, previews: StoredLinkPreview[]): Promise<MessageRow | null> {
    const [row] = await this.db
      .update(messages)
      .set({ previews })
      .where(and(eq(messages.id, messageId), isNull(messages.deletedAt)))
      .returning();
    return row ?? null;
  }
}
