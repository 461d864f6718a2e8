import type { Rate, RateLimitsConfig } from './config.js';
import { AppError } from './errors.js';

/** A token bucket per key: `capacity` at once, refilled at `perSecond`. Idle keys are swept. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly enabled = true,
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
 * Takes a token for key or throws 429 `rate_limited`, with `Retry-After` (REST) and
 * `details.retryAfter` in seconds (the same number, for WebSocket error frames).
 */
export function enforce(limiter: RateLimiter, key: string, what: string): void {
  if (limiter.take(key)) return;
  const retryAfter = limiter.retryAfter(key);
  throw new AppError('rate_limited', `${what}; retry in ${retryAfter} s`, { retryAfter }, { 'retry-after': String(retryAfter) });
}

/** The limits shared by REST routes and the WebSocket gateway of one app (each node counts its own). */
export class RateLimits {
  readonly registerByIp: RateLimiter;
  readonly loginByIp: RateLimiter;
  readonly loginByAccount: RateLimiter;
  /** Message sends per user, REST and WebSocket together. */
  readonly sendsByUser: RateLimiter;
  readonly passwordResetByIp: RateLimiter;
  readonly passwordResetByAccount: RateLimiter;
  readonly passwordChangeByAccount: RateLimiter;
  readonly inviteCheckByIp: RateLimiter;
  /** Writes one account can repeat cheaply (edits, reactions, changes, creations), each per user. */
  readonly editsByUser: RateLimiter;
  readonly reactionsByUser: RateLimiter;
  readonly groupChangesByUser: RateLimiter;
  readonly profileChangesByUser: RateLimiter;
  readonly groupCreationsByUser: RateLimiter;
  readonly directConversationsByUser: RateLimiter;
  readonly invitesByUser: RateLimiter;
  readonly botsByUser: RateLimiter;
  readonly apiTokensByUser: RateLimiter;
  readonly webhooksByUser: RateLimiter;
  readonly pushSubscriptionsByUser: RateLimiter;
  readonly uploadsByUser: RateLimiter;

  constructor(config: { rateLimit: boolean; rateLimits: RateLimitsConfig }) {
    const { rateLimit: on, rateLimits: r } = config;
    this.registerByIp = limiterFor(r.registerPerIp, on);
    this.loginByIp = limiterFor(r.loginPerIp, on);
    this.loginByAccount = limiterFor(r.loginPerAccount, on);
    this.sendsByUser = limiterFor(r.sendsPerUser, on);
    this.passwordResetByIp = limiterFor(r.passwordResetPerIp, on);
    this.passwordResetByAccount = limiterFor(r.passwordResetPerAccount, on);
    this.passwordChangeByAccount = limiterFor(r.passwordChangePerAccount, on);
    this.inviteCheckByIp = limiterFor(r.inviteCheckPerIp, on);
    this.editsByUser = limiterFor(r.editsPerUser, on);
    this.reactionsByUser = limiterFor(r.reactionsPerUser, on);
    this.groupChangesByUser = limiterFor(r.groupChangesPerUser, on);
    this.profileChangesByUser = limiterFor(r.profileChangesPerUser, on);
    this.groupCreationsByUser = limiterFor(r.groupCreationsPerUser, on);
    this.directConversationsByUser = limiterFor(r.directConversationsPerUser, on);
    this.invitesByUser = limiterFor(r.invitesPerUser, on);
    this.botsByUser = limiterFor(r.botsPerUser, on);
    this.apiTokensByUser = limiterFor(r.apiTokensPerUser, on);
    this.webhooksByUser = limiterFor(r.webhooksPerUser, on);
    this.pushSubscriptionsByUser = limiterFor(r.pushSubscriptionsPerUser, on);
    this.uploadsByUser = limiterFor(r.uploadsPerUser, on);
  }

  close(): void {
    for (const l of [this.registerByIp, this.loginByIp, this.loginByAccount, this.sendsByUser]) l.close();
    for (const l of [this.passwordResetByIp, this.passwordResetByAccount, this.passwordChangeByAccount, this.inviteCheckByIp]) l.close();
    for (const l of [this.editsByUser, this.reactionsByUser, this.groupChangesByUser, this.profileChangesByUser, this.groupCreationsByUser]) l.close();
    for (const l of [this.directConversationsByUser, this.invitesByUser, this.botsByUser, this.apiTokensByUser, this.webhooksByUser]) l.close();
    this.pushSubscriptionsByUser.close();
    this.uploadsByUser.close();
  }
}
