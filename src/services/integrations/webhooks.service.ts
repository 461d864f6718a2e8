/**
 * Outgoing webhooks of a group: the admin's CRUD, and queueing message.created for delivery
 * (the WebhookDispatcher sends the queue).
 */
import { randomBytes } from 'node:crypto';
import { badRequest, conflict, notFound } from '../../core/errors.js';
import { DEFAULT_CAPS } from '../../core/config.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import type { WebhookRow } from '../../db/repositories/webhooks.repository.js';
import type { ConversationEvent } from '../../protocol/events.js';
import type { Actor } from '../identity/identity.js';
import { loadConversation, requireAdmin, requireMember } from '../shared/access.js';
import type { AuditService } from '../identity/audit.service.js';
import { DEFAULT_WEBHOOK_OPTIONS, WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.js';
import { parseWebhookUrl, resolveWebhookTarget, WebhookTargetError } from './webhook-guard.js';

/** Hooks a group may have, live and disabled together. */
/** How long this node trusts what it knows of a conversation's live hooks (other nodes' changes show within it). */
export const WEBHOOK_CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;
/** How long `stop()` waits for the enqueues in flight before the dispatcher stops. */
export const WEBHOOK_STOP_WAIT_MS = 5_000;
/** A full queue is logged at most this often per hook. */
const FULL_WARNING_INTERVAL_MS = 60_000;

export interface WebhookView {
  id: string;
  url: string;
  createdAt: string;
  disabledAt: string | null;
  lastError: string | null;
  lastDeliveredAt: string | null;
}

/** What the message path needs: queue a message.created, never throwing, never waiting. */
export interface MessageCreatedHook {
  onMessageCreated(conversationId: string, event: ConversationEvent): void;
}

const presentWebhook = (row: WebhookRow): WebhookView => ({
  id: row.id,
  url: row.url,
  createdAt: row.createdAt.toISOString(),
  disabledAt: row.disabledAt?.toISOString() ?? null,
  lastError: row.lastError,
  lastDeliveredAt: row.lastDeliveredAt?.toISOString() ?? null,
});

export class WebhooksService implements MessageCreatedHook {
  /** Live hook ids per conversation, for a short while: no query per message where there are none. */
  private readonly cache = new Map<string, { ids: string[]; expires: number }>();
  private readonly lookups = new Map<string, Promise<string[]>>();
  /** Bumped by every local change: a lookup that began before one does not fill the cache. */
  private generation = 0;

  /** Enqueues started and not finished: `stop()` waits for them, so a shutdown loses none. */
  private readonly enqueues = new Set<Promise<void>>();
  /** When each hook's full queue was last logged. */
  private readonly fullWarnedAt = new Map<string, number>();

  private readonly allowPrivate: boolean;
  private readonly maxQueuedPerHook: number;
  /** Sends the queue from this node; started and stopped with the app. */
  readonly dispatcher: WebhookDispatcher;

  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'webhooks'>,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    options: Partial<WebhookDispatcherOptions> = {},
    /** MAX_WEBHOOKS_PER_GROUP. */
    private readonly maxPerGroup: number = DEFAULT_CAPS.MAX_WEBHOOKS_PER_GROUP,
  ) {
    this.allowPrivate = options.allowPrivate ?? false;
    this.maxQueuedPerHook = options.maxQueuedPerHook ?? DEFAULT_WEBHOOK_OPTIONS.maxQueuedPerHook;
    this.dispatcher = new WebhookDispatcher(repos.webhooks, audit, logger, options, (conversationId) => this.forget(conversationId));
  }

  /** Starts delivering queued webhooks from this node. */
  start(): void {
    this.dispatcher.start();
  }

  /**
   * Stops delivering: the enqueues in flight are waited for first (at most
   * WEBHOOK_STOP_WAIT_MS), so the messages just sent are queued before the database closes;
   * then requests in flight are aborted and their deliveries left for later.
   */
  async stop(): Promise<void> {
    if (!(await this.flush(WEBHOOK_STOP_WAIT_MS))) {
      this.logger.warn({ pending: this.enqueues.size }, 'webhook enqueues still running at shutdown');
    }
    await this.dispatcher.stop();
  }

  /**
   * Waits until no enqueue is in flight (those started meanwhile included), at most `timeoutMs`;
   * false if some still run then.
   */
  async flush(timeoutMs = WEBHOOK_STOP_WAIT_MS): Promise<boolean> {
    if (this.enqueues.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    let outcome: unknown;
    while (this.enqueues.size > 0 && outcome !== 'timeout') {
      outcome = await Promise.race([Promise.allSettled([...this.enqueues]), timedOut]);
    }
    clearTimeout(timer);
    return this.enqueues.size === 0;
  }

  /** The group, with the caller required to be its admin (404 for a private group to outsiders). */
  private async loadAsAdmin(actor: Actor, groupId: string): Promise<ConversationRow> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    return conv;
  }

  /** Adds a hook after checking its URL and where it leads; the secret is shown only here. */
  async create(actor: Actor, groupId: string, rawUrl: string): Promise<{ id: string; url: string; secret: string }> {
    const conv = await this.loadAsAdmin(actor, groupId);
    let url: URL;
    try {
      url = parseWebhookUrl(rawUrl);
      await resolveWebhookTarget(url, this.allowPrivate);
    } catch (err) {
      if (err instanceof WebhookTargetError) {
        // The address or resolver code goes to the log only: users must not map the network.
        this.logger.debug({ conversationId: conv.id, ...err.detail }, `webhook url refused: ${err.message}`);
        throw badRequest(err.message, { field: 'url' });
      }
      throw err;
    }
    const secret = randomBytes(32).toString('hex');
    const row = await inTransaction(this.db, async (tx) => {
      await tx.webhooks.lockConversation(conv.id);
      if ((await tx.webhooks.countForConversation(conv.id)) >= this.maxPerGroup) {
        throw conflict(`a group may have at most ${this.maxPerGroup} webhooks; delete one first`, { max: this.maxPerGroup });
      }
      const created = await tx.webhooks.insert({ id: newId(), conversationId: conv.id, url: url.href, secret, createdBy: actor.user.id });
      // Only the origin: a webhook URL's path or query often carries the receiver's own token.
      const details = { webhookId: created.id, target: url.origin };
      await this.audit.record({ actorId: actor.user.id, action: 'webhook.created', conversationId: conv.id, details }, tx);
      return created;
    });
    this.forget(conv.id);
    this.logger.info({ conversationId: conv.id, webhookId: row.id }, 'webhook created');
    return { id: row.id, url: row.url, secret };
  }

  /** The group's hooks, live and disabled, without their secrets. */
  async list(actor: Actor, groupId: string): Promise<{ webhooks: WebhookView[] }> {
    const conv = await this.loadAsAdmin(actor, groupId);
    const rows = await this.repos.webhooks.listForConversation(conv.id, this.maxPerGroup * 2);
    return { webhooks: rows.map(presentWebhook) };
  }

  /** Removes a hook and its queued deliveries; an unknown hook of the group is 404. */
  async delete(actor: Actor, groupId: string, hookId: string): Promise<void> {
    const conv = await this.loadAsAdmin(actor, groupId);
    if (!isUuid(hookId)) throw notFound('webhook');
    const deleted = await inTransaction(this.db, async (tx) => {
      if (!(await tx.webhooks.delete(conv.id, hookId))) return false;
      await this.audit.record({ actorId: actor.user.id, action: 'webhook.deleted', conversationId: conv.id, details: { webhookId: hookId } }, tx);
      return true;
    });
    if (!deleted) throw notFound('webhook');
    this.forget(conv.id);
    this.logger.info({ conversationId: conv.id, webhookId: hookId }, 'webhook deleted');
  }

  /** Forgets what this node knows of a conversation's hooks (one was disabled here). */
  forget(conversationId: string): void {
    this.generation++;
    this.cache.delete(conversationId);
    this.lookups.delete(conversationId);
  }

  /**
   * Queues a message.created for each live hook of the conversation, in the background: it
   * returns at once, and a failure is logged, never thrown into the send path.
   */
  onMessageCreated(conversationId: string, event: ConversationEvent): void {
    if (event.type !== 'message.created') return;
    const cached = this.cache.get(conversationId);
    if (cached && cached.expires > Date.now() && cached.ids.length === 0) return;
    const job: Promise<void> = this.enqueue(conversationId, event)
      .catch((err: unknown) => this.logger.error({ err, conversationId, seq: event.seq }, 'queueing webhook deliveries failed'))
      .finally(() => this.enqueues.delete(job));
    this.enqueues.add(job);
  }

  private async enqueue(conversationId: string, event: Extract<ConversationEvent, { type: 'message.created' }>): Promise<void> {
    const ids = await this.liveHookIds(conversationId);
    if (ids.length === 0) return;
    const rows = ids.map((webhookId) => {
      const id = newId();
      const body = JSON.stringify({
        type: event.type,
        conversationId: event.conversationId,
        seq: event.seq,
        createdAt: event.createdAt,
        message: event.message,
        webhookId,
        deliveryId: id,
      });
      return { id, webhookId, messageId: event.message.id, body };
    });
    const { queued, full } = await this.repos.webhooks.enqueue(rows, this.maxQueuedPerHook);
    // Fewer than asked: a hook went away or its creator lost access (maybe on another node),
    // or the message is deleted already; look again next time.
    if (queued + full.length < rows.length) this.forget(conversationId);
    for (const webhookId of full) this.warnFull(conversationId, webhookId);
    if (queued > 0) this.dispatcher.kick();
  }

  /** A hook's queue is full: new deliveries are not queued until it drains (logged once a minute). */
  private warnFull(conversationId: string, webhookId: string): void {
    const now = Date.now();
    if ((this.fullWarnedAt.get(webhookId) ?? 0) > now - FULL_WARNING_INTERVAL_MS) return;
    if (this.fullWarnedAt.size >= CACHE_MAX) this.fullWarnedAt.clear();
    this.fullWarnedAt.set(webhookId, now);
    this.logger.warn(
      { conversationId, webhookId, maxQueued: this.maxQueuedPerHook },
      'webhook queue full: new deliveries are not queued until the receiver catches up',
    );
  }

  private async liveHookIds(conversationId: string): Promise<string[]> {
    const cached = this.cache.get(conversationId);
    if (cached && cached.expires > Date.now()) return cached.ids;
    // One lookup per conversation at a time, however many messages arrive meanwhile.
    const running = this.lookups.get(conversationId);
    if (running) return running;
    const generation = this.generation;
    const lookup: Promise<string[]> = this.repos.webhooks.liveIds(conversationId).finally(() => {
      if (this.lookups.get(conversationId) === lookup) this.lookups.delete(conversationId);
    });
    this.lookups.set(conversationId, lookup);
    const ids = await lookup;
    if (generation === this.generation) {
      this.cache.delete(conversationId); // re-inserted last, so the oldest entries go first
      this.cache.set(conversationId, { ids, expires: Date.now() + WEBHOOK_CACHE_TTL_MS });
      if (this.cache.size > CACHE_MAX) this.evictOldest();
    }
    return ids;
  }

  private evictOldest(): void {
    for (const key of this.cache.keys()) {
      if (this.cache.size <= CACHE_MAX / 2) break;
      this.cache.delete(key);
    }
  }
}
