import type { Rate, RateLimitsConfig } from './config.js';
import { AppError } from './errors.js';

/** One rate limit as its users see it, counted on this node or across the cluster. */
export interface RateLimit {
  /** Takes one token for key: null when taken, otherwise whole seconds (at least 1) until key has one again. */
  acquire(key: string): Promise<number | null>;
  close(): void;
}

/**
 * Token buckets that every node shares (Redis, src/core/redis-rate-limit-store.ts). `take` throws
 * when the store cannot answer in time; the limiter then counts on this node alone.
 */
export interface SharedBuckets {
  /** Takes a token from bucket `name` of key; null when taken, else whole seconds until there is one. */
  take(name: string, key: string, capacity: number, perSecond: number): Promise<number | null>;
  /** False while the store is known to be unreachable: limiters do not wait for it meanwhile. */
  readonly available: boolean;
  /** A take failed or timed out: the store is unreachable until it answers again. */
  failed(err: unknown): void;
  /** Times the store was lost and limits fell back to each node's own count. */
  readonly stats: { outages: number };
  close(): void;
}

/** A token bucket per key: `capacity` at once, refilled at `perSecond`. Idle keys are swept. */
export class RateLimiter implements RateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    readonly enabled = true,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Takes one token for key; false when the key is over its rate. */
  take(key: string, now = Date.now()): boolean {
    if (!this.enabled) return true;
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  async acquire(key: string): Promise<number | null> {
    return this.take(key) ? null : this.retryAfter(key);
  }

  /** Whole seconds until key has a token again (at least 1). */
  retryAfter(key: string, now = Date.now()): number {
    const b = this.buckets.get(key);
    if (!b) return 1;
    const tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }

  private sweep(now = Date.now()): void {
    const full = (this.capacity / this.perSecond) * 1000;
    for (const [key, b] of this.buckets) if (now - b.at > full) this.buckets.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.buckets.clear();
  }
}

/** A limiter for a configured rate: null (that limit is off) or `enabled` false lets everything through. */
export function limiterFor(rate: Rate | null, enabled: boolean): RateLimiter {
  return rate ? new RateLimiter(rate.burst, rate.count / rate.perSeconds, enabled) : new RateLimiter(1, 1, false);
}

/**
 * A limit counted by every node together in `store`, and by this node in its own bucket too: when
 * the store cannot answer (Redis down or slow), the node's bucket decides, so traffic is limited
 * per node meanwhile, never refused wholesale; it is already warm, having counted all along.
 */
export class SharedRateLimiter implements RateLimit {
  constructor(
    private readonly name: string,
    private readonly local: RateLimiter,
    private readonly store: SharedBuckets,
  ) {}

  async acquire(key: string): Promise<number | null> {
    if (!this.local.enabled) return null;
    const here = await this.local.acquire(key);
    if (!this.store.available) return here;
    try {
      return await this.store.take(this.name, key, this.local.capacity, this.local.perSecond);
    } catch (err) {
      this.store.failed(err);
      return here;
    }
  }

  close(): void {
    this.local.close();
  }
}

/**
 * Takes a token for key or throws 429 `rate_limited`, with `Retry-After` (REST) and
 * `details.retryAfter` in seconds (the same number, for WebSocket error frames).
 */
export async function enforce(limiter: RateLimit, key: string, what: string): Promise<void> {
  const retryAfter = await limiter.acquire(key);
  if (retryAfter === null) return;
  throw new AppError('rate_limited', `${what}; retry in ${retryAfter} s`, { retryAfter }, { 'retry-after': String(retryAfter) });
}

/**
 * The limits shared by REST routes and the WebSocket gateway of one app. With `shared` (REDIS_URL)
 * every node counts them together, each in its bucket `<prefix>rl:<name>:<key>`; otherwise each
 * node counts its own.
 */
export class RateLimits {
  readonly registerByIp: RateLimit;
  readonly loginByIp: RateLimit;
  readonly loginByAccount: RateLimit;
  /** Message sends per user, REST and WebSocket together. */
  readonly sendsByUser: RateLimit;
  readonly passwordResetByIp: RateLimit;
  readonly passwordResetByAccount: RateLimit;
  readonly passwordChangeByAccount: RateLimit;
  readonly inviteCheckByIp: RateLimit;
  /** Writes one account can repeat cheaply (edits, reactions, changes, creations), each per user. */
  readonly editsByUser: RateLimit;
  readonly reactionsByUser: RateLimit;
  readonly groupChangesByUser: RateLimit;
  readonly profileChangesByUser: RateLimit;
  readonly groupCreationsByUser: RateLimit;
  readonly directConversationsByUser: RateLimit;
  readonly invitesByUser: RateLimit;
  readonly botsByUser: RateLimit;
  readonly apiTokensByUser: RateLimit;
  readonly webhooksByUser: RateLimit;
  readonly pushSubscriptionsByUser: RateLimit;
  readonly uploadsByUser: RateLimit;
  /** Posts to each incoming webhook's URL. */
  readonly incomingWebhookPosts: RateLimit;

  constructor(config: { rateLimit: boolean; rateLimits: RateLimitsConfig }, shared: SharedBuckets | null = null) {
    const { rateLimit: on, rateLimits: r } = config;
    const make = (name: string, rate: Rate | null): RateLimit => {
      const local = limiterFor(rate, on);
      return shared && local.enabled ? new SharedRateLimiter(name, local, shared) : local;
    };
    this.registerByIp = make('registerByIp', r.registerPerIp);
    this.loginByIp = make('loginByIp', r.loginPerIp);
    this.loginByAccount = make('loginByAccount', r.loginPerAccount);
    this.sendsByUser = make('sendsByUser', r.sendsPerUser);
    this.passwordResetByIp = make('passwordResetByIp', r.passwordResetPerIp);
    this.passwordResetByAccount = make('passwordResetByAccount', r.passwordResetPerAccount);
    this.passwordChangeByAccount = make('passwordChangeByAccount', r.passwordChangePerAccount);
    this.inviteCheckByIp = make('inviteCheckByIp', r.inviteCheckPerIp);
    this.editsByUser = make('editsByUser', r.editsPerUser);
    this.reactionsByUser = make('reactionsByUser', r.reactionsPerUser);
    this.groupChangesByUser = make('groupChangesByUser', r.groupChangesPerUser);
    this.profileChangesByUser = make('profileChangesByUser', r.profileChangesPerUser);
    this.groupCreationsByUser = make('groupCreationsByUser', r.groupCreationsPerUser);
    this.directConversationsByUser = make('directConversationsByUser', r.directConversationsPerUser);
    this.invitesByUser = make('invitesByUser', r.invitesPerUser);
    this.botsByUser = make('botsByUser', r.botsPerUser);
    this.apiTokensByUser = make('apiTokensByUser', r.apiTokensPerUser);
    this.webhooksByUser = make('webhooksByUser', r.webhooksPerUser);
    this.pushSubscriptionsByUser = make('pushSubscriptionsByUser', r.pushSubscriptionsPerUser);
    this.uploadsByUser = make('uploadsByUser', r.uploadsPerUser);
    this.incomingWebhookPosts = make('incomingWebhookPosts', r.incomingWebhookPosts);
  }

  close(): void {
    for (const l of this.all()) l.close();
  }

  private all(): RateLimit[] {
    return [
      this.registerByIp,
      this.loginByIp,
      this.loginByAccount,
      this.sendsByUser,
      this.passwordResetByIp,
      this.passwordResetByAccount,
      this.passwordChangeByAccount,
      this.inviteCheckByIp,
      this.editsByUser,
      this.reactionsByUser,
      this.groupChangesByUser,
      this.profileChangesByUser,
      this.groupCreationsByUser,
      this.directConversationsByUser,
      this.invitesByUser,
      this.botsByUser,
      this.apiTokensByUser,
      this.webhooksByUser,
      this.pushSubscriptionsByUser,
      this.uploadsByUser,
      this.incomingWebhookPosts,
    ];
  }
}
