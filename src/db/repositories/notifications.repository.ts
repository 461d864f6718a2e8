/**
 * Notifications for people who are away: members' levels, users' preferences, Web Push
 * subscriptions, the durable queue of deliveries (push and e-mail) and the e-mail digest's
 * candidates. Every statement is short; none is held open across a request to a push service or
 * an SMTP server.
 */
import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { members, notificationDeliveries, pushSubscriptions, users } from '../schema.js';
import { queryRows } from '../sql.js';
import type { MemberRow } from './members.repository.js';

export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;
export type NotifyLevelValue = MemberRow['notifyLevel'];

/** One push to queue: a subscription of an offline recipient of a message. */
export interface PushRecipient {
  userId: string;
  subscriptionId: string;
  /** The recipient is among the message's mentions. */
  mentioned: boolean;
  kind: 'group' | 'direct';
  conversationName: string | null;
  senderName: string;
  /** The recipient's do-not-disturb end and daily schedule (checked by the caller, with the clock). */
  dndUntil: Date | string | null;
  dndSchedule: unknown;
  /** The recipient's saved language (users.locale), null when none. */
  locale: string | null;
}

/** A row to put in the queue. */
export interface NewDelivery {
  id: string;
  userId: string;
  channel: 'push' | 'email';
  payload: Record<string, unknown>;
}

/** A delivery taken by this node, with the subscription it goes to (push). */
export interface ClaimedNotification {
  id: string;
  userId: string;
  channel: 'push' | 'email';
  payload: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
  subscriptionId: string | null;
  endpoint: string | null;
  p256dh: string | null;
  auth: string | null;
  /** A push's message text now, when it was edited since the push was queued; else null. */
  editedBody: string | null;
}

/** One unread mention waiting for a user's e-mail digest. */
export interface DigestMention {
  userId: string;
  /** The user's do-not-disturb end and daily schedule: the digest waits while either holds. */
  dndUntil: Date | string | null;
  dndSchedule: unknown;
  /** The recipient's saved language (users.locale), null when none. */
  locale: string | null;
  email: string;
  displayName: string;
  messageId: string;
  conversationId: string;
  seq: number;
  body: string;
  createdAt: Date;
  kind: 'group' | 'direct';
  conversationName: string | null;
  senderName: string;
  attachments: number;
}

/** The level a member's `default` stands for: every message in a direct conversation, mentions in a group. */
const EFFECTIVE_LEVEL = sql`CASE WHEN m.notify_level = 'default' THEN (CASE WHEN c.kind = 'direct' THEN 'all' ELSE 'mentions' END) ELSE m.notify_level END`;

export class NotificationsRepository {
  constructor(private readonly db: Db) {}

  // --- levels and preferences ---

  /** Sets a member's level and/or mute; null when they are not a member. */
  async setMemberNotify(conversationId: string, userId: string, change: { level?: NotifyLevelValue; muted?: boolean }): Promise<MemberRow | null> {
    const set: Partial<Pick<MemberRow, 'notifyLevel' | 'notifyMuted'>> = {};
    if (change.level !== undefined) set.notifyLevel = change.level;
    if (change.muted !== undefined) set.notifyMuted = change.muted;
    const where = and(eq(members.conversationId, conversationId), eq(members.userId, userId));
    if (Object.keys(set).length === 0) {
      const [row] = await this.db.select().from(members).where(where);
      return row ?? null;
    }
    const [row] = await this.db.update(members).set(set).where(where).returning();
    return row ?? null;
  }

  async prefs(userId: string): Promise<Record<string, unknown>> {
    const [row] = await this.db.select({ prefs: users.notificationPrefs }).from(users).where(eq(users.id, userId));
    return row?.prefs ?? {};
  }

  /** Merges keys into a user's preferences (one statement: concurrent changes of other keys are kept). */
  async mergePrefs(userId: string, patch: Record<string, unknown>): Promise<Record<string, unknown>> {
    const [row] = await this.db
      .update(users)
      .set({ notificationPrefs: sql`${users.notificationPrefs} || ${JSON.stringify(patch)}::jsonb` })
      .where(eq(users.id, userId))
      .returning({ prefs: users.notificationPrefs });
    return row?.prefs ?? {};
  }

  // --- push subscriptions ---

  /** Serializes subscription changes of one user until the transaction ends (the per-user limit is counted under it). */
  async lockUser(userId: string): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`push:${userId}`}))`);
  }

  async findSubscriptionByEndpoint(endpoint: string): Promise<PushSubscriptionRow | null> {
    const [row] = await this.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.endpoint, endpoint));
    return row ?? null;
  }

  /** Whether anyone has a push subscription at all. */
  async anySubscription(): Promise<boolean> {
    const [row] = await queryRows<{ any: boolean }>(this.db, sql`SELECT EXISTS (SELECT 1 FROM push_subscriptions) AS any`);
    return row?.any === true;
  }

  async countSubscriptions(userId: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId));
    return Number(row?.n ?? 0);
  }

  async insertSubscription(row: typeof pushSubscriptions.$inferInsert): Promise<PushSubscriptionRow> {
    const [created] = await this.db.insert(pushSubscriptions).values(row).returning();
    return created!;
  }

  /** Hands an endpoint to a user (a browser that signed in as someone else), with its new keys. */
  async moveSubscription(
    id: string,
    change: Pick<PushSubscriptionRow, 'userId' | 'sessionId' | 'p256dh' | 'auth' | 'userAgent'>,
  ): Promise<PushSubscriptionRow | null> {
    const [row] = await this.db
      .update(pushSubscriptions)
      .set({ ...change, failures: 0 })
      .where(eq(pushSubscriptions.id, id))
      .returning();
    return row ?? null;
  }

  async listSubscriptions(userId: string, limit: number): Promise<PushSubscriptionRow[]> {
    return this.db
      .select()
      .from(pushSubscriptions)
      .where(eq(pushSubscriptions.userId, userId))
      .orderBy(asc(pushSubscriptions.createdAt), asc(pushSubscriptions.id))
      .limit(limit);
  }

  /** Deletes a subscription of a user; false when they have none with that id. */
  async deleteSubscription(userId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(pushSubscriptions)
      .where(and(eq(pushSubscriptions.id, id), eq(pushSubscriptions.userId, userId)))
      .returning({ id: pushSubscriptions.id });
    return rows.length > 0;
  }

  /** The push service said the subscription is gone (404/410): it and its queued pushes go. */
  async dropSubscription(id: string): Promise<void> {
    await this.db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, id));
    await this.db.execute(sql`DELETE FROM notification_deliveries WHERE channel = 'push' AND payload->>'subscriptionId' = ${id}`);
  }

  async subscriptionSucceeded(id: string): Promise<void> {
    await this.db.update(pushSubscriptions).set({ lastSuccessAt: sql`now()`, failures: 0 }).where(eq(pushSubscriptions.id, id));
  }

  async subscriptionFailed(id: string): Promise<void> {
    await this.db
      .update(pushSubscriptions)
      .set({ failures: sql`${pushSubscriptions.failures} + 1` })
      .where(eq(pushSubscriptions.id, id));
  }

  // --- who gets a push ---

  /**
   * The subscriptions of the members a new message should be pushed to, in one statement
   * (members_pkey, then push_subscriptions_user_idx): everyone but the sender who has not muted
   * the conversation, whose level takes this message (`all`, or `mentions` and mentioned), whose
   * push preference is not off and whose account is active. Whether they are online is the
   * caller's to check (presence lives in memory).
   */
  async pushRecipients(
    conversationId: string,
    senderId: string,
    mentions: readonly string[],
    thread: { rootId: string; alsoInConversation: boolean } | null = null,
  ): Promise<PushRecipient[]> {
    const mentioned = sql`ARRAY[${sql.join(
      mentions.map((id) => sql`${id}::uuid`),
      sql`, `,
    )}]::uuid[]`;
    const mentionArray = mentions.length > 0 ? mentioned : sql`'{}'::uuid[]`;
    const byLevel = sql`(${EFFECTIVE_LEVEL} = 'all' OR (${EFFECTIVE_LEVEL} = 'mentions' AND m.user_id = ANY(${mentionArray})))`;
    // A thread's followers hear of its replies whatever their level (but 'none'); a reply shown
    // only in the thread reaches no one else but those it mentions.
    const follows = thread
      ? sql`(${EFFECTIVE_LEVEL} <> 'none' AND EXISTS (SELECT 1 FROM thread_followers f
              WHERE f.root_id = ${thread.rootId}::uuid AND f.user_id = m.user_id AND f.following))`
      : sql`false`;
    const takes = !thread
      ? byLevel
      : thread.alsoInConversation
        ? sql`(${byLevel} OR ${follows})`
        : sql`((${EFFECTIVE_LEVEL} <> 'none' AND m.user_id = ANY(${mentionArray})) OR ${follows})`;
    return queryRows<PushRecipient>(
      this.db,
      sql`SELECT m.user_id AS "userId", ps.id AS "subscriptionId", (m.user_id = ANY(${mentionArray})) AS mentioned,
                 c.kind, c.name AS "conversationName",
                 (SELECT s.display_name FROM users s WHERE s.id = ${senderId}::uuid) AS "senderName",
                 u.dnd_until AS "dndUntil", u.notification_prefs->'dndSchedule' AS "dndSchedule", u.locale
            FROM members m
            JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL
            JOIN users u ON u.id = m.user_id
            JOIN push_subscriptions ps ON ps.user_id = m.user_id
           WHERE m.conversation_id = ${conversationId}::uuid
             AND m.user_id <> ${senderId}::uuid
             AND NOT m.notify_muted
             AND u.deactivated_at IS NULL
             AND u.notification_prefs->'push' IS DISTINCT FROM 'false'::jsonb
             AND ${takes}`,
    );
  }

  // --- the queue ---

  /**
   * Queues deliveries in one statement. A push whose message was deleted meanwhile (or is gone)
   * is not queued. Returns how many were.
   */
  async enqueue(rows: readonly NewDelivery[]): Promise<number> {
    if (rows.length === 0) return 0;
    const items = JSON.stringify(rows);
    const inserted = await queryRows<{ id: string }>(
      this.db,
      sql`INSERT INTO notification_deliveries (id, user_id, channel, payload)
          SELECT (e->>'id')::uuid, (e->>'userId')::uuid, e->>'channel', e->'payload'
            FROM jsonb_array_elements(${items}::jsonb) AS e
           WHERE e->'payload'->>'messageId' IS NULL
              OR EXISTS (SELECT 1 FROM messages msg WHERE msg.id = (e->'payload'->>'messageId')::uuid AND msg.deleted_at IS NULL)
          RETURNING id`,
    );
    return inserted.length;
  }

  /**
   * Takes up to `limit` due deliveries for `leaseMs`, oldest due first, counting the attempt.
   * SKIP LOCKED lets nodes claim side by side; a node that dies mid-delivery loses its claim
   * when the lease runs out. The same statement drops pushes that must not go any more: their
   * subscription is gone, or their message was deleted (or purged).
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedNotification[]> {
    return queryRows<ClaimedNotification>(
      this.db,
      sql`WITH due AS MATERIALIZED (
            SELECT d.id,
                   (d.channel <> 'push' OR (
                      EXISTS (SELECT 1 FROM push_subscriptions ps
                               WHERE ps.id = (d.payload->>'subscriptionId')::uuid AND ps.user_id = d.user_id)
                      AND EXISTS (SELECT 1 FROM messages msg
                                   WHERE msg.id = (d.payload->>'messageId')::uuid AND msg.deleted_at IS NULL))) AS ok
              FROM notification_deliveries d
             WHERE d.next_attempt_at <= now() AND (d.locked_until IS NULL OR d.locked_until < now())
             ORDER BY d.next_attempt_at, d.id
             LIMIT ${limit * 4}::int
               FOR UPDATE SKIP LOCKED),
          dropped AS (
            DELETE FROM notification_deliveries d WHERE d.id IN (SELECT id FROM due WHERE NOT ok) RETURNING d.id),
          picked AS MATERIALIZED (
            SELECT d.id FROM notification_deliveries d
             WHERE d.id IN (SELECT id FROM due WHERE ok)
             ORDER BY d.next_attempt_at, d.id
             LIMIT ${limit}::int),
          claimed AS (
            UPDATE notification_deliveries d
               SET locked_until = now() + ${leaseMs}::int * interval '1 millisecond', attempts = d.attempts + 1
              FROM picked p
             WHERE d.id = p.id
         RETURNING d.id, d.user_id, d.channel, d.payload, d.attempts)
          SELECT c.id, c.user_id AS "userId", c.channel, c.payload, c.attempts,
                 ps.id AS "subscriptionId", ps.endpoint, ps.p256dh, ps.auth,
                 CASE WHEN msg.edited_at IS NOT NULL THEN msg.body END AS "editedBody"
            FROM claimed c
            LEFT JOIN push_subscriptions ps ON c.channel = 'push' AND ps.id = (c.payload->>'subscriptionId')::uuid
            LEFT JOIN messages msg ON c.channel = 'push' AND msg.id = (c.payload->>'messageId')::uuid`,
    );
  }

  /** Sent, or given up: the delivery leaves the queue. */
  async complete(id: string): Promise<void> {
    await this.db.delete(notificationDeliveries).where(eq(notificationDeliveries.id, id));
  }

  /** A failed attempt with retries left: tried again after `delayMs`. */
  async reschedule(id: string, delayMs: number): Promise<void> {
    await this.db
      .update(notificationDeliveries)
      .set({ nextAttemptAt: sql`now() + ${Math.round(delayMs)}::int * interval '1 millisecond'`, lockedUntil: null })
      .where(eq(notificationDeliveries.id, id));
  }

  /** Hands a claim back untouched (this node is stopping): the attempt does not count. */
  async release(id: string): Promise<void> {
    await this.db
      .update(notificationDeliveries)
      .set({ lockedUntil: null, attempts: sql`greatest(${notificationDeliveries.attempts} - 1, 0)` })
      .where(eq(notificationDeliveries.id, id));
  }

  // --- the e-mail digest ---

  /**
   * Takes the digest's lock for this transaction: false when another node is running the digest
   * right now (it will have sent what this run would have).
   */
  async tryLockDigest(): Promise<boolean> {
    const [row] = await queryRows<{ ok: boolean }>(this.db, sql`SELECT pg_try_advisory_xact_lock(hashtext('parley:email-digest')) AS ok`);
    return row?.ok === true;
  }

  /**
   * The unread mentions waiting for a digest, oldest first per user: users with an e-mail
   * address and the digest on, mentions after their read pointer (the thread's, for a reply shown
   * only in its thread) and after their last digest,
   * in live conversations they have not muted nor set to `none`, of messages not deleted. A
   * user qualifies once their oldest such mention is older than their delay (all of their
   * waiting mentions are listed then, up to `perUser`). At most `maxUsers` users.
   */
  async digestMentions(maxUsers: number, perUser: number): Promise<DigestMention[]> {
    return queryRows<DigestMention>(
      this.db,
      sql`WITH waiting AS (
            SELECT u.id AS user_id, u.email, u.display_name, u.locale, u.dnd_until, u.notification_prefs->'dndSchedule' AS dnd_schedule, msg.id AS message_id, msg.conversation_id, msg.seq, msg.body,
                   msg.created_at, c.kind, c.name AS conversation_name, s.display_name AS sender_name,
                   (SELECT count(*) FROM message_attachments a WHERE a.message_id = msg.id)::int AS attachments,
                   min(msg.created_at) OVER (PARTITION BY u.id) AS oldest,
                   row_number() OVER (PARTITION BY u.id ORDER BY msg.created_at, msg.id) AS n,
                   COALESCE((u.notification_prefs->>'emailDigestDelayMinutes')::int, 30) AS delay_minutes
              FROM users u
              JOIN message_mentions mm ON mm.user_id = u.id
              JOIN members m ON m.conversation_id = mm.conversation_id AND m.user_id = u.id
              JOIN conversations c ON c.id = mm.conversation_id AND c.deleted_at IS NULL
              JOIN messages msg ON msg.id = mm.message_id AND msg.deleted_at IS NULL
              JOIN users s ON s.id = msg.sender_id
             WHERE u.email IS NOT NULL AND u.deactivated_at IS NULL AND u.erased_at IS NULL
               -- Do not disturb until a time: the digest waits (a daily schedule is checked by the caller).
               AND (u.dnd_until IS NULL OR u.dnd_until <= now())
               AND u.notification_prefs->'emailDigest' IS DISTINCT FROM 'false'::jsonb
               -- A mention in a reply shown only in its thread is read by the thread's read pointer.
               AND mm.seq > CASE WHEN mm.thread_only
                 THEN COALESCE((SELECT f.last_read_seq FROM thread_followers f WHERE f.root_id = msg.thread_id AND f.user_id = u.id), 0)
                 ELSE m.last_read_seq END
               AND NOT m.notify_muted AND m.notify_level <> 'none'
               AND msg.sender_id <> u.id
               AND msg.created_at > COALESCE(u.last_digest_at, '-infinity'::timestamptz)),
          due_users AS (
            SELECT DISTINCT user_id FROM waiting
             WHERE oldest <= now() - delay_minutes * interval '1 minute'
             ORDER BY user_id
             LIMIT ${maxUsers}::int)
          SELECT w.user_id AS "userId", w.email, w.display_name AS "displayName", w.locale, w.dnd_until AS "dndUntil", w.dnd_schedule AS "dndSchedule", w.message_id AS "messageId",
                 w.conversation_id AS "conversationId", w.seq, w.body, w.created_at AS "createdAt", w.kind,
                 w.conversation_name AS "conversationName", w.sender_name AS "senderName", w.attachments
            FROM waiting w JOIN due_users d ON d.user_id = w.user_id
           WHERE w.n <= ${perUser}::int
           ORDER BY w.user_id, w.created_at, w.message_id`,
    );
  }

  /** Marks mentions up to `upTo` (the newest one e-mailed) as sent for each user. */
  async setDigestSent(entries: readonly { userId: string; upTo: Date }[]): Promise<void> {
    if (entries.length === 0) return;
    const items = JSON.stringify(entries.map((e) => ({ u: e.userId, t: e.upTo.toISOString() })));
    await this.db.execute(
      sql`UPDATE users u SET last_digest_at = GREATEST(COALESCE(u.last_digest_at, '-infinity'::timestamptz), (e->>'t')::timestamptz)
            FROM jsonb_array_elements(${items}::jsonb) AS e
           WHERE u.id = (e->>'u')::uuid`,
    );
  }
}
