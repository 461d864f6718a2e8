// Only the type: a single node never loads ioredis; the client comes from the node's Redis bus.
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { Logger } from './logger.js';
import type { SharedBuckets } from './rate-limiter.js';

export interface RedisRateLimitOptions {
  /** Prefix of every key (the deployment's, as the bus and presence use). */
  prefix?: string;
  /** How long a check waits for Redis before this node counts alone. Default 100 ms. */
  timeoutMs?: number;
  /** While Redis is unreachable, how often it is asked whether it is back. Default 1 s. */
  probeMs?: number;
}

/**
 * The token bucket of src/core/rate-limiter.ts, in one atomic script: refill by the time passed
 * (Redis's clock, the same for every node), take a token or say how many whole seconds until
 * there is one (0 = taken). The key expires once a full bucket's refill time has passed, when a
 * missing key means the same thing: a full bucket.
 * KEYS[1] the bucket; ARGV capacity, tokens per millisecond, expiry in milliseconds.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = capacity
if b[1] and b[2] then
  tokens = math.min(capacity, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * perMs)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / perMs / 1000))
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'a', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return wait`;

/** ioredis adds the command's method at run time (defineCommand): EVALSHA, then EVAL on NOSCRIPT. */
interface WithTake {
  parleyRateTake(key: string, capacity: number, perMs: string, ttlMs: number): Promise<number>;
}

/** Longer keys (a username as typed at login) are stored by their digest: bounded keys in Redis. */
const MAX_KEY = 128;

/**
 * Rate-limit buckets in Redis, shared by every node: one script per check, one round trip, on the
 * connection the node's bus already has. When Redis fails or takes longer than `timeoutMs`, the
 * store says so once (a warning) and limiters count on their node alone until a probe finds
 * Redis answering again (an info line), so losing Redis never refuses traffic.
 */
export class RedisRateLimitStore implements SharedBuckets {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly probeMs: number;
  private down = false;
  private probe: NodeJS.Timeout | undefined;
  private closed = false;
  /** Times the store lost Redis and limits fell back to each node's own count (for metrics). */
  readonly stats = { outages: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    opts: RedisRateLimitOptions = {},
  ) {
    this.prefix = `${opts.prefix ?? 'parley:'}rl:`;
    this.timeoutMs = opts.timeoutMs ?? 100;
    this.probeMs = opts.probeMs ?? 1_000;
    redis.defineCommand('parleyRateTake', { numberOfKeys: 1, lua: TAKE });
  }

  get available(): boolean {
    return !this.down;
  }

  async take(name: string, key: string, capacity: number, perSecond: number): Promise<number | null> {
    const id = key.length > MAX_KEY ? `#${createHash('sha256').update(key).digest('base64url')}` : key;
    const ttlMs = Math.ceil((capacity / perSecond) * 1000) + 1_000;
    const command = (this.redis as unknown as WithTake).parleyRateTake(`${this.prefix}${name}:${id}`, capacity, String(perSecond / 1000), ttlMs);
    const wait = await this.within(command, 'a rate-limit check');
    return wait === 0 ? null : wait;
  }

  failed(err: unknown): void {
    if (this.down || this.closed) return;
    this.down = true;
    this.stats.outages++;
    this.logger.warn({ err }, 'rate limits: Redis is unreachable or slow; each node counts its own until it answers again');
    this.probe = setInterval(() => void this.check(), this.probeMs);
    this.probe.unref();
  }

  private async check(): Promise<void> {
    try {
      await this.within(this.redis.ping(), 'a ping');
    } catch {
      return;
    }
    if (!this.down || this.closed) return;
    this.down = false;
    clearInterval(this.probe);
    this.logger.info('rate limits: Redis answers again; limits are shared by every node again');
  }

  /**
   * `promise`, or a rejection after `timeoutMs`. The rejection waits for the loop's next check
   * phase: when this process itself stalled (a long GC, a busy tick) the timer and Redis's answer
   * are both due, and the answer, read in the poll phase before it, wins. Only Redis being slow
   * counts as Redis being slow.
   */
  private within<T>(promise: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer ${what} within ${this.timeoutMs} ms`))), this.timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err as Error);
        },
      );
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.probe);
  }
}
