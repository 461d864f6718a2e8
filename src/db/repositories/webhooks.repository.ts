import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { webhookDeliveries, webhooks } from '../schema.js';
import { queryRows } from '../sql.js';

export type WebhookRow = typeof webhooks.$inferSelect;

/** A delivery taken by this node, with what is needed to send it. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  conversationId: string;
  url: string;
  secret: string;
  body: string;
  /** Attempts so far, this one included. */
  attempts: number;
}

/** How a delivery that failed for good left its hook. */
export interface GiveUpResult {
  consecutiveFailures: number;
  /** True when this failure disabled the hook (it was live until now). */
  disabled: boolean;
  conversationId: string | null;
}

const live = isNull(webhooks.disabledAt);
const ERROR_MAX = 500;

/**
 * Webhooks and their durable delivery queue. Every statement is short and none is held open
 * across an HTTP request (PGlite has one connection: an open transaction blocks every query).
 */
export class WebhooksRepository {
  constructor(private readonly db: Db) {}

  async insert(row: typeof webhooks.$inferInsert): Promise<WebhookRow> {
    const [created] = await this.db.insert(webhooks).values(row).returning();
    return created!;
  }

  /**
   * Serializes webhook changes of one conversation until the transaction ends (the per-group
   * limit is counted under it), without touching the conversation row, the seq hot spot.
   */
  async lockConversation(conversationId: string): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`webhooks:${conversationId}`}))`);
  }

  /** Hooks of a conversation, live and disabled. */
  async countForConversation(conversationId: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(webhooks).where(eq(webhooks.conversationId, conversationId));
    return Number(row?.n ?? 0);
  }

  /** Hooks of a conversation, live and disabled, oldest first (at most the per-group limit). */
  async listForConversation(conversationId: string, limit: number): Promise<WebhookRow[]> {
    return this.db
      .select()
      .from(webhooks)
      .where(eq(webhooks.conversationId, conversationId))
      .orderBy(asc(webhooks.createdAt), asc(webhooks.id))
      .limit(limit);
  }

  /** Deletes a hook of a conversation (its queued deliveries go with it); false when there is none. */
  async delete(conversationId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(webhooks)
      .where(and(eq(webhooks.id, id), eq(webhooks.conversationId, conversationId)))
      .returning({ id: webhooks.id });
    return rows.length > 0;
  }

  /** Ids of the live hooks of a conversation (webhooks_conversation_idx). */
  async liveIds(conversationId: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(and(eq(webhooks.conversationId, conversationId), live));
    return rows.map((r) => r.id);
  }

  /**
   * Queues deliveries in one statement. Rows whose hook was deleted or disabled meanwhile (a
   * stale cache on this node) are skipped rather than failing the others. Returns how many.
   */
  async enqueue(rows: readonly { id: string; webhookId: string; body: string }[]): Promise<number> {
    if (rows.length === 0) return 0;
    const values = sql.join(
      rows.map((r) => sql`(${r.id}::uuid, ${r.webhookId}::uuid, ${r.body}::text)`),
      sql`, `,
    );
    const inserted = await queryRows<{ id: string }>(
      this.db,
      sql`INSERT INTO webhook_deliveries (id, webhook_id, body)
          SELECT v.id, v.webhook_id, v.body FROM (VALUES ${values}) AS v(id, webhook_id, body)
          JOIN webhooks w ON w.id = v.webhook_id AND w.disabled_at IS NULL
          RETURNING id`,
    );
    return inserted.length;
  }

  /**
   * Takes up to `limit` due deliveries for `leaseMs`, oldest due first, counting the attempt.
   * SKIP LOCKED lets nodes claim side by side; a node that dies mid-delivery loses its claim
   * when the lease runs out, and another node retries.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return queryRows<ClaimedDelivery>(
      this.db,
      sql`WITH claimed AS (
            UPDATE webhook_deliveries
               SET locked_until = now() + ${leaseMs}::int * interval '1 millisecond', attempts = attempts + 1
             WHERE id IN (
                   SELECT id FROM webhook_deliveries
                    WHERE next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
                    ORDER BY next_attempt_at
                    LIMIT ${limit}::int
                    FOR UPDATE SKIP LOCKED)
         RETURNING id, webhook_id, body, attempts)
          SELECT c.id, c.webhook_id AS "webhookId", w.conversation_id AS "conversationId", w.url, w.secret,
                 c.body, c.attempts
            FROM claimed c JOIN webhooks w ON w.id = c.webhook_id`,
    );
  }

  /** A delivery succeeded: it leaves the queue, and its hook's failure streak ends. */
  async complete(deliveryId: string, webhookId: string): Promise<void> {
    await this.db.delete(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    await this.db
      .update(webhooks)
      .set({ consecutiveFailures: 0, lastDeliveredAt: sql`now()`, lastError: null })
      .where(eq(webhooks.id, webhookId));
  }

  /** A failed attempt with retries left: tried again after `delayMs`. */
  async reschedule(deliveryId: string, webhookId: string, delayMs: number, error: string): Promise<void> {
    await this.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: sql`now() + ${Math.round(delayMs)}::int * interval '1 millisecond'`, lockedUntil: null })
      .where(eq(webhookDeliveries.id, deliveryId));
    await this.db.update(webhooks).set({ lastError: error.slice(0, ERROR_MAX) }).where(eq(webhooks.id, webhookId));
  }

  /** Hands a claim back untouched (this node is stopping): the attempt does not count. */
  async release(deliveryId: string): Promise<void> {
    await this.db
      .update(webhookDeliveries)
      .set({ lockedUntil: null, attempts: sql`greatest(${webhookDeliveries.attempts} - 1, 0)` })
      .where(eq(webhookDeliveries.id, deliveryId));
  }

  /**
   * Every retry is spent: the delivery is dropped and the hook's failure streak grows; at
   * `disableAfter` in a row the hook is disabled and its queue emptied.
   */
  async giveUp(deliveryId: string, webhookId: string, error: string, disableAfter: number): Promise<GiveUpResult> {
    await this.db.delete(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    const [hook] = await this.db
      .update(webhooks)
      .set({ consecutiveFailures: sql`${webhooks.consecutiveFailures} + 1`, lastError: error.slice(0, ERROR_MAX) })
      .where(eq(webhooks.id, webhookId))
      .returning({ failures: webhooks.consecutiveFailures, conversationId: webhooks.conversationId });
    if (!hook) return { consecutiveFailures: 0, disabled: false, conversationId: null };
    let disabled = false;
    if (hook.failures >= disableAfter) {
      // Only the statement that finds the hook live disables it (and reports it, once).
      const rows = await this.db
        .update(webhooks)
        .set({ disabledAt: sql`now()` })
        .where(and(eq(webhooks.id, webhookId), live))
        .returning({ id: webhooks.id });
      disabled = rows.length > 0;
      if (disabled) await this.db.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));
    }
    return { consecutiveFailures: hook.failures, disabled, conversationId: hook.conversationId };
  }
}
