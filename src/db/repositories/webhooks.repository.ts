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
 * True while the hook `w` may deliver: the user who created it is still an owner or admin of its
 * group and their account is not deactivated. A hook whose creator was erased (created_by null)
 * never qualifies. A hook works with its creator's access and stops when they lose it (banned,
 * removed, demoted, deactivated): it must not carry a private group's messages to someone who may
 * no longer read them.
 */
const creatorMayDeliver = sql`EXISTS (
  SELECT 1 FROM members m JOIN users u ON u.id = m.user_id
   WHERE m.conversation_id = w.conversation_id AND m.user_id = w.created_by
     AND m.role IN ('owner', 'admin') AND u.deactivated_at IS NULL)`;

/** What `enqueue` did with the rows it was given. */
export interface EnqueueResult {
  /** Rows queued. */
  queued: number;
  /** Hooks whose row was not queued because their queue is full. */
  full: string[];
}

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

  /**
   * Ids of the hooks of a conversation that deliver: live, and whose creator is still an admin
   * of it (webhooks_conversation_idx, then the members and users primary keys).
   */
  async liveIds(conversationId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      sql`SELECT w.id FROM webhooks w
           WHERE w.conversation_id = ${conversationId}::uuid AND w.disabled_at IS NULL AND ${creatorMayDeliver}`,
    );
    return rows.map((r) => r.id);
  }

  /**
   * Queues deliveries in one statement. Rows whose hook was deleted or disabled meanwhile (a
   * stale cache on this node), or whose creator is no longer an admin of the group, or whose
   * message was deleted already, are skipped rather than failing the others; so is a row for a
   * hook that already has `maxQueued` deliveries waiting (the new one is not queued: a receiver
   * that is down or slower than its group cannot fill the database).
   */
  async enqueue(
    rows: readonly { id: string; webhookId: string; messageId: string; body: string }[],
    maxQueued: number,
  ): Promise<EnqueueResult> {
    if (rows.length === 0) return { queued: 0, full: [] };
    const values = sql.join(
      rows.map((r) => sql`(${r.id}::uuid, ${r.webhookId}::uuid, ${r.messageId}::uuid, ${r.body}::text)`),
      sql`, `,
    );
    // The queue is counted up to the limit only, on webhook_deliveries_webhook_idx.
    const found = await queryRows<{ webhookId: string; full: boolean }>(
      this.db,
      sql`WITH ok AS MATERIALIZED (
            SELECT v.id, v.webhook_id, v.message_id, v.body,
                   (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries q WHERE q.webhook_id = w.id LIMIT ${maxQueued}::int) n)
                     >= ${maxQueued}::int AS is_full
              FROM (VALUES ${values}) AS v(id, webhook_id, message_id, body)
              JOIN webhooks w ON w.id = v.webhook_id AND w.disabled_at IS NULL
              JOIN members m ON m.conversation_id = w.conversation_id AND m.user_id = w.created_by AND m.role IN ('owner', 'admin')
              JOIN users u ON u.id = w.created_by AND u.deactivated_at IS NULL
              JOIN messages msg ON msg.id = v.message_id AND msg.deleted_at IS NULL),
          inserted AS (
            INSERT INTO webhook_deliveries (id, webhook_id, message_id, body)
            SELECT id, webhook_id, message_id, body FROM ok WHERE NOT is_full
            RETURNING id)
          SELECT webhook_id AS "webhookId", is_full AS "full" FROM ok`,
    );
    return { queued: found.filter((r) => !r.full).length, full: found.filter((r) => r.full).map((r) => r.webhookId) };
  }

  /** Drops the queued deliveries of a message (it was deleted: its text must not go out). */
  async dropForMessage(messageId: string): Promise<void> {
    await this.db.delete(webhookDeliveries).where(eq(webhookDeliveries.messageId, messageId));
  }

  /**
   * Deletes the hooks of a conversation (it was deleted), their queued deliveries with them.
   * Returns how many hooks there were.
   */
  async deleteForConversation(conversationId: string): Promise<number> {
    const rows = await this.db.delete(webhooks).where(eq(webhooks.conversationId, conversationId)).returning({ id: webhooks.id });
    return rows.length;
  }

  /**
   * Takes up to `limit` due deliveries for `leaseMs`, oldest due first, counting the attempt; at
   * most one per hook, and none of a hook that has a delivery in flight (a live lease) already,
   * so one slow receiver holds one slot, not all of them. SKIP LOCKED lets nodes claim side by
   * side; a node that dies mid-delivery loses its claim when the lease runs out, and another
   * node retries.
   *
   * The same statement drops what must not be sent any more: every queued delivery of a hook
   * whose creator is no longer an admin of the group (or whose hook was disabled), and a
   * delivery whose message was deleted.
   *
   * The ids are picked (and locked) in a materialized CTE, then updated `FROM picked`: the
   * planner cannot run the LIMIT more than once and claim more than asked.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return queryRows<ClaimedDelivery>(
      this.db,
      sql`WITH due AS MATERIALIZED (
            SELECT DISTINCT ON (d.webhook_id) d.id, d.webhook_id, d.next_attempt_at,
                   (w.disabled_at IS NULL AND ${creatorMayDeliver}) AS hook_ok,
                   (d.message_id IS NULL
                    OR EXISTS (SELECT 1 FROM messages msg WHERE msg.id = d.message_id AND msg.deleted_at IS NULL)) AS message_ok
              FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.next_attempt_at <= now() AND (d.locked_until IS NULL OR d.locked_until < now())
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries b WHERE b.webhook_id = d.webhook_id AND b.locked_until >= now())
             ORDER BY d.webhook_id, d.next_attempt_at, d.id),
          dropped AS (
            DELETE FROM webhook_deliveries d
             WHERE d.webhook_id IN (SELECT webhook_id FROM due WHERE NOT hook_ok)
                OR d.id IN (SELECT id FROM due WHERE NOT message_ok)
            RETURNING d.id),
          picked AS MATERIALIZED (
            SELECT d.id FROM webhook_deliveries d
             WHERE d.id IN (SELECT id FROM due WHERE hook_ok AND message_ok)
               AND d.next_attempt_at <= now() AND (d.locked_until IS NULL OR d.locked_until < now())
             ORDER BY d.next_attempt_at, d.id
             LIMIT ${limit}::int
               FOR UPDATE SKIP LOCKED),
          claimed AS (
            UPDATE webhook_deliveries d
               SET locked_until = now() + ${leaseMs}::int * interval '1 millisecond', attempts = d.attempts + 1
              FROM picked p
             WHERE d.id = p.id
         RETURNING d.id, d.webhook_id, d.body, d.attempts)
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
