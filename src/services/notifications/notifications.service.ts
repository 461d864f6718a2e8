/**
 * Notifications for people who are away: per-conversation levels and mute, a user's
 * preferences, Web Push subscriptions, queueing a push for each offline recipient of a new
 * message (in the background, never slowing or failing the send), and the periodic e-mail
 * digest of unread mentions. The NotificationDispatcher sends the queue.
 */
import { badRequest, conflict, notFound } from '../../core/errors.js';
import { DEFAULT_CAPS } from '../../core/config.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import { NotificationsRepository, type DigestMention, type NewDelivery, type NotifyLevelValue, type PushSubscriptionRow } from '../../db/repositories/notifications.repository.js';
import type { ConversationEvent } from '../../protocol/events.js';
import type { EventPublisher } from '../shared/events.js';
import type { Actor } from '../identity/identity.js';
import { checkDndSchedule, dndUntil, storedSchedule, type DndSchedule } from '../identity/dnd.js';
import { announceUser } from '../identity/user-updates.js';
import { loadMembership } from '../shared/access.js';
import type { Mailer } from './mailer.js';
import { digestMail, pushNotification, type PushMessage } from './notification-content.js';
import { localeOf } from './server-text.js';
import { DEFAULT_NOTIFICATION_OPTIONS, NotificationDispatcher, type NotificationOptions } from './notification-dispatcher.js';
import type { UserView } from '../shared/presenters.js';
import type { VapidKeys } from './push-sender.js';
import type { MessageCreatedHook } from '../integrations/webhooks.service.js';
import { parseWebhookUrl, resolveWebhookTarget, WebhookTargetError } from '../integrations/webhook-guard.js';

/** Subscriptions (browsers) a user may register. */
export const DIGEST_DELAY_MIN = 5;
export const DIGEST_DELAY_MAX = 1440;
/** Users e-mailed per digest run, and mentions listed per e-mail (the rest go in the next one). */
const DIGEST_USERS_PER_RUN = 200;
const DIGEST_MENTIONS_PER_MAIL = 50;
/**
 * How long this node trusts what it knows of whether any push subscription exists: a site where
 * nobody turned push on pays no query per message. A subscription made on another node is
 * noticed within this long.
 */
const ANY_SUBSCRIPTION_TTL_MS = 10_000;
/** How long `stop()` waits for the enqueues in flight. */
const STOP_WAIT_MS = 5_000;

export interface NotificationPrefs {
  push: boolean;
  emailDigest: boolean;
  emailDigestDelayMinutes: number;
  dndSchedule: DndSchedule | null;
}

export const DEFAULT_PREFS: NotificationPrefs = { push: true, emailDigest: true, emailDigestDelayMinutes: 30, dndSchedule: null };

export interface PushSubscriptionView {
  id: string;
  endpoint: string;
  createdAt: string;
}

const presentSubscription = (row: PushSubscriptionRow): PushSubscriptionView => ({
  id: row.id,
  endpoint: row.endpoint,
  createdAt: row.createdAt.toISOString(),
});

/** Stored preferences over the defaults; a stored value of the wrong type is ignored. */
function readPrefs(stored: Record<string, unknown>): NotificationPrefs {
  const delay = stored.emailDigestDelayMinutes;
  return {
    push: typeof stored.push === 'boolean' ? stored.push : DEFAULT_PREFS.push,
    emailDigest: typeof stored.emailDigest === 'boolean' ? stored.emailDigest : DEFAULT_PREFS.emailDigest,
    emailDigestDelayMinutes:
      typeof delay === 'number' && Number.isInteger(delay) && delay >= DIGEST_DELAY_MIN && delay <= DIGEST_DELAY_MAX ? delay : DEFAULT_PREFS.emailDigestDelayMinutes,
    dndSchedule: storedSchedule(stored.dndSchedule),
  };
}

/** A conversation id as a push topic: 32 hex characters, so a newer push of it replaces an undelivered one. */
const topicOf = (conversationId: string): string => conversationId.replace(/-/g, '').slice(0, 32);

export interface NotificationsDeps {
  db: Db;
  repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'users'>;
  presence: UserView;
  /** Tells the user's other devices of a level change. */
  publisher: Pick<EventPublisher, 'ephemeral'>;
  logger: Logger;
  mailer?: Mailer;
  publicUrl: string;
  /** Resolves the VAPID keys (once: loaded from the config or the settings table). */
  vapid: () => Promise<VapidKeys>;
  options?: Partial<NotificationOptions>;
  /** MAX_PUSH_SUBSCRIPTIONS_PER_USER. */
  maxSubscriptions?: number;
}

export class NotificationsService implements MessageCreatedHook {
  private readonly repo: NotificationsRepository;
  private readonly options: NotificationOptions;
  readonly dispatcher: NotificationDispatcher;
  private readonly enqueues = new Set<Promise<void>>();
  private digestTimer: NodeJS.Timeout | null = null;
  private digestRunning: Promise<void> | null = null;
  private noSmtpLogged = false;
  private anySubscription: { value: Promise<boolean>; at: number } | null = null;

  constructor(private readonly deps: NotificationsDeps) {
    this.repo = new NotificationsRepository(deps.db);
    this.options = { ...DEFAULT_NOTIFICATION_OPTIONS, ...deps.options };
    this.dispatcher = new NotificationDispatcher(this.repo, deps.vapid, deps.mailer, deps.logger, this.options);
  }

  // --- lifecycle ---

  start(): void {
    this.dispatcher.start();
    if (this.digestTimer) return;
    this.digestTimer = setInterval(() => void this.runDigestOnce(), this.options.digestIntervalMs);
    this.digestTimer.unref();
  }

  /** Waits for the enqueues and the digest run in flight, then stops the dispatcher. */
  async stop(): Promise<void> {
    if (this.digestTimer) clearInterval(this.digestTimer);
    this.digestTimer = null;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref());
    await Promise.race([Promise.allSettled([...this.enqueues, this.digestRunning]), deadline]);
    await this.dispatcher.stop();
  }

  /** Resolves once no enqueue is in flight (tests). */
  async flush(): Promise<void> {
    while (this.enqueues.size > 0) await Promise.allSettled([...this.enqueues]);
  }

  // --- levels and preferences ---

  /** Sets the caller's level and/or mute in a conversation they belong to. */
  async setLevel(actor: Actor, conversationId: string, change: { level?: NotifyLevelValue; muted?: boolean }): Promise<{ level: NotifyLevelValue; muted: boolean }> {
    const { conv } = await loadMembership(this.deps.repos, conversationId, actor.user.id);
    const row = await this.repo.setMemberNotify(conv.id, actor.user.id, change);
    if (!row) throw notFound('conversation');
    const now = { level: row.notifyLevel, muted: row.notifyMuted };
    this.deps.publisher.ephemeral({ type: 'notifications.updated', conversationId: conv.id, ...now }, [actor.user.id]);
    return now;
  }

  async prefs(actor: Actor): Promise<NotificationPrefs> {
    return readPrefs(await this.repo.prefs(actor.user.id));
  }

  async updatePrefs(actor: Actor, patch: Partial<NotificationPrefs>): Promise<NotificationPrefs> {
    const clean: Record<string, unknown> = {};
    if (patch.push !== undefined) clean.push = patch.push;
    if (patch.emailDigest !== undefined) clean.emailDigest = patch.emailDigest;
    if (patch.emailDigestDelayMinutes !== undefined) clean.emailDigestDelayMinutes = patch.emailDigestDelayMinutes;
    if (patch.dndSchedule !== undefined) clean.dndSchedule = patch.dndSchedule === null ? null : checkDndSchedule(patch.dndSchedule);
    if (Object.keys(clean).length === 0) return this.prefs(actor);
    const prefs = readPrefs(await this.repo.mergePrefs(actor.user.id, clean));
    if (patch.dndSchedule !== undefined) {
      // Whether the person may be disturbed shows on their User: tell those who see it.
      const row = await this.deps.repos.users.findById(actor.user.id);
      if (row) await announceUser({ repos: this.deps.repos, publisher: this.deps.publisher, view: this.deps.presence, logger: this.deps.logger }, row);
    }
    return prefs;
  }

  // --- push subscriptions ---

  async vapidPublicKey(): Promise<{ publicKey: string }> {
    return { publicKey: (await this.deps.vapid()).publicKey };
  }

  /**
   * Registers a browser's subscription for the caller, tied to the caller's session (signing
   * out removes it). An endpoint already registered (by anyone) moves to the caller.
   */
  async subscribe(
    actor: Actor,
    input: { endpoint: string; keys: { p256dh: string; auth: string } },
    userAgent: string | null,
  ): Promise<{ subscription: PushSubscriptionView; created: boolean }> {
    const endpoint = await this.checkEndpoint(input.endpoint);
    const p256dh = checkKey(input.keys.p256dh, 65, 'keys.p256dh');
    const auth = checkKey(input.keys.auth, 16, 'keys.auth');
    const fields = { userId: actor.user.id, sessionId: actor.sessionId, p256dh, auth, userAgent: userAgent?.slice(0, 300) ?? null };
    const result = await inTransaction(this.deps.db, async (_, tx) => {
      const repo = new NotificationsRepository(tx);
      await repo.lockUser(actor.user.id);
      const existing = await repo.findSubscriptionByEndpoint(endpoint);
      if (existing) {
        const moved = await repo.moveSubscription(existing.id, fields);
        return { row: moved ?? existing, created: false };
      }
      const max = this.deps.maxSubscriptions ?? DEFAULT_CAPS.MAX_PUSH_SUBSCRIPTIONS_PER_USER;
      if ((await repo.countSubscriptions(actor.user.id)) >= max) {
        throw conflict(`at most ${max} push subscriptions per user; delete one first`, { max });
      }
      return { row: await repo.insertSubscription({ id: newId(), endpoint, ...fields }), created: true };
    });
    this.anySubscription = { value: Promise.resolve(true), at: Date.now() };
    this.deps.logger.info({ userId: actor.user.id, subscriptionId: result.row.id, created: result.created }, 'push subscription registered');
    return { subscription: presentSubscription(result.row), created: result.created };
  }

  async listSubscriptions(actor: Actor): Promise<{ subscriptions: PushSubscriptionView[] }> {
    const rows = await this.repo.listSubscriptions(actor.user.id, (this.deps.maxSubscriptions ?? DEFAULT_CAPS.MAX_PUSH_SUBSCRIPTIONS_PER_USER) * 2);
    return { subscriptions: rows.map(presentSubscription) };
  }

  async unsubscribe(actor: Actor, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.repo.deleteSubscription(actor.user.id, id))) throw notFound('push subscription');
  }

  /** https only, and not an internal address unless PUSH_ALLOW_PRIVATE (which allows plain http too, for tests). */
  private async checkEndpoint(raw: string): Promise<string> {
    const allowPrivate = this.options.allowPrivate;
    try {
      const url = parseWebhookUrl(raw);
      if (url.protocol !== 'https:' && !allowPrivate) throw new WebhookTargetError('endpoint must be an https URL');
      await resolveWebhookTarget(url, allowPrivate);
      return url.href;
    } catch (err) {
      if (err instanceof WebhookTargetError) {
        this.deps.logger.debug({ ...err.detail }, `push endpoint refused: ${err.message}`);
        throw badRequest(err.message.replace(/\burl\b/g, 'endpoint').replace('WEBHOOK_ALLOW_PRIVATE', 'PUSH_ALLOW_PRIVATE'), { field: 'endpoint' });
      }
      throw err;
    }
  }

  // --- pushes for a new message ---

  /**
   * Queues a push for each offline recipient of a new message, in the background: it returns at
   * once, and a failure is logged, never thrown into the send path.
   */
  onMessageCreated(conversationId: string, event: ConversationEvent): void {
    if (event.type !== 'message.created') return;
    const job: Promise<void> = this.queuePushes(conversationId, event)
      .catch((err: unknown) => this.deps.logger.error({ err, conversationId, seq: event.seq }, 'queueing push notifications failed'))
      .finally(() => this.enqueues.delete(job));
    this.enqueues.add(job);
  }

  private async queuePushes(conversationId: string, event: Extract<ConversationEvent, { type: 'message.created' }>): Promise<void> {
    const m = event.message;
    if (!(await this.mayHaveSubscriptions())) return;
    // One query for every member's level, mute, preference and subscriptions; presence is in memory.
    const thread = m.threadId ? { rootId: m.threadId, alsoInConversation: m.alsoInConversation } : null;
    const now = new Date();
    const recipients = (await this.repo.pushRecipients(conversationId, m.senderId, m.mentions, thread)).filter(
      (r) => !this.deps.presence.isOnline(r.userId) && dndUntil({ dndUntil: r.dndUntil === null ? null : new Date(r.dndUntil) }, storedSchedule(r.dndSchedule), now) === null,
    );
    if (recipients.length === 0) return;
    const first = recipients[0]!;
    const message: PushMessage = {
      conversationId,
      messageId: m.id,
      seq: m.seq,
      body: m.body,
      attachments: m.attachments.length,
      kind: first.kind,
      conversationName: first.conversationName,
      senderName: first.senderName,
      threadId: m.threadId,
    };
    // One payload per language among the recipients (their saved locale; English when none).
    const byLocale = new Map<string, Record<string, unknown>>();
    const notificationFor = (saved: string | null) => {
      const locale = localeOf(saved);
      let built = byLocale.get(locale);
      if (!built) {
        built = pushNotification(message, this.deps.publicUrl, locale);
        byLocale.set(locale, built);
      }
      return built;
    };
    const rows: NewDelivery[] = recipients.map((r) => ({
      id: newId(),
      userId: r.userId,
      channel: 'push',
      payload: {
        subscriptionId: r.subscriptionId,
        messageId: m.id,
        urgency: r.mentioned || r.kind === 'direct' ? 'high' : 'normal',
        topic: topicOf(conversationId),
        notification: notificationFor(r.locale),
      },
    }));
    if ((await this.repo.enqueue(rows)) > 0) this.dispatcher.kick();
  }

  /** Whether any push subscription exists on the site, as known for a few seconds (one lookup at a time). */
  private mayHaveSubscriptions(): Promise<boolean> {
    const known = this.anySubscription;
    if (known && Date.now() - known.at < ANY_SUBSCRIPTION_TTL_MS) return known.value;
    const value = this.repo.anySubscription().catch(() => true);
    this.anySubscription = { value, at: Date.now() };
    return value;
  }

  // --- the e-mail digest ---

  /**
   * One digest run: under a lock only one node holds at a time, finds the users due a digest,
   * leaves out those online, and in one transaction queues one e-mail each and moves their
   * last_digest_at to the newest mention listed (so no mention is e-mailed twice, nor skipped).
   * Returns how many e-mails were queued.
   */
  async runDigestOnce(): Promise<number> {
    if (this.digestRunning) {
      await this.digestRunning;
      return 0;
    }
    let queued = 0;
    const run = this.digest()
      .then((n) => {
        queued = n;
      })
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'e-mail digest run failed'))
      .finally(() => {
        this.digestRunning = null;
      });
    this.digestRunning = run;
    await run;
    return queued;
  }

  private async digest(): Promise<number> {
    if (!this.deps.mailer?.enabled) {
      if (!this.noSmtpLogged) this.deps.logger.info('no SMTP server configured (SMTP_URL): e-mail digests are off');
      this.noSmtpLogged = true;
      return 0;
    }
    const count = await inTransaction(this.deps.db, async (_, tx) => {
      const repo = new NotificationsRepository(tx);
      if (!(await repo.tryLockDigest())) return 0;
      const rows = await repo.digestMentions(DIGEST_USERS_PER_RUN, DIGEST_MENTIONS_PER_MAIL);
      const byUser = new Map<string, DigestMention[]>();
      for (const r of rows) {
        // Someone online sees their mentions in the app; someone not to be disturbed gets them once that ends.
        if (this.deps.presence.isOnline(r.userId)) continue;
        if (dndUntil({ dndUntil: r.dndUntil === null ? null : new Date(r.dndUntil) }, storedSchedule(r.dndSchedule)) !== null) continue;
        const list = byUser.get(r.userId) ?? [];
        list.push({ ...r, seq: Number(r.seq), createdAt: new Date(r.createdAt) });
        byUser.set(r.userId, list);
      }
      if (byUser.size === 0) return 0;
      const deliveries: NewDelivery[] = [];
      const sent: { userId: string; upTo: Date }[] = [];
      for (const [userId, mentions] of byUser) {
        deliveries.push({ id: newId(), userId, channel: 'email', payload: { ...digestMail(mentions[0]!.email, mentions, this.deps.publicUrl) } });
        sent.push({ userId, upTo: new Date(Math.max(...mentions.map((m) => m.createdAt.getTime()))) });
      }
      await repo.enqueue(deliveries);
      await repo.setDigestSent(sent);
      return deliveries.length;
    });
    if (count > 0) {
      this.deps.logger.info({ emails: count }, 'e-mail digests queued');
      this.dispatcher.kick();
    }
    return count;
  }
}

/** A subscription key: URL-safe base64 (padding tolerated) of exactly `bytes` bytes. */
function checkKey(value: string, bytes: number, field: string): string {
  const bare = value.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]+$/.test(bare) || Buffer.from(bare, 'base64url').length !== bytes) {
    throw badRequest(`${field} must be the URL-safe base64 of ${bytes} bytes`, { field });
  }
  return bare;
}
