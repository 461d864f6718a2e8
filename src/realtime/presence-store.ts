import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import type { Bus } from '../events/bus.js';
import { redisOptions } from '../events/redis-bus.js';

/**
 * Where "is this user online anywhere" is decided. The tracker calls it when a user's first
 * socket on this node opens and after the grace period of their last one.
 */
export interface PresenceStore {
  /** The user has a socket on this node; true when they were offline everywhere before. */
  join(userId: string): Promise<boolean>;
  /** The user has no socket on this node any more; true when they are offline everywhere now. */
  leave(userId: string): Promise<boolean>;
  /** Online through another node, as far as this node knows (REST presence fields). */
  onlineElsewhere(userId: string): boolean;
  /** Tells every node's cache that a user came online or went offline. */
  changed(userId: string, online: boolean): void;
  /** Users found offline because the node holding them died (called by the sweeper). */
  onSwept(handler: (userIds: string[]) => void): void;
  close(): Promise<void>;
}

/** One node: this node's sockets are the whole truth. */
export class LocalPresenceStore implements PresenceStore {
  async join(): Promise<boolean> {
    return true;
  }
  async leave(): Promise<boolean> {
    return true;
  }
  onlineElsewhere(): boolean {
    return false;
  }
  changed(): void {}
  onSwept(): void {}
  async close(): Promise<void> {}
}

export interface RedisPresenceOptions {
  prefix?: string;
  /** A node whose heartbeat key is older than this is dead: its users go offline. */
  nodeTtlMs?: number;
}

// Adds the node to the user's set; 1 when the user was offline everywhere.
const JOIN = `
redis.call('SADD', KEYS[2], ARGV[2])
local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 and redis.call('SCARD', KEYS[1]) == 1 then
  redis.call('SADD', KEYS[3], ARGV[2])
  return 1
end
return 0`;

// Removes the node from the user's set; 1 when no node holds the user any more.
const LEAVE = `
redis.call('SREM', KEYS[2], ARGV[2])
local removed = redis.call('SREM', KEYS[1], ARGV[1])
if removed == 1 and redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[2])
  return 1
end
return 0`;

// Takes a batch of a dead node's users off it; returns how many were taken and who went offline.
const SWEEP = `
local users = redis.call('SPOP', KEYS[1], tonumber(ARGV[3]))
local offline = {}
for _, u in ipairs(users) do
  local key = ARGV[2] .. 'presence:' .. u
  redis.call('SREM', key, ARGV[1])
  if redis.call('SCARD', key) == 0 then
    redis.call('SREM', ARGV[2] .. 'online', u)
    table.insert(offline, u)
  end
end
return {#users, offline}`;

const SWEEP_BATCH = 500;

/**
 * Presence across nodes, kept in Redis: per user the set of nodes holding them, per node its
 * users and a heartbeat key that expires. Every node sweeps for dead nodes (whose heartbeat
 * expired: a crash or kill -9) and takes their users offline, so they go offline within
 * `nodeTtlMs` plus one sweep interval. Each node caches who is online from the presence
 * messages on the bus (loaded from Redis at start), for the REST presence fields.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly online = new Set<string>();
  /** Users this node has registered (it re-registers them when Redis comes back empty). */
  private readonly local = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private swept: (userIds: string[]) => void = () => {};
  private wasDown = false;
  private closing = false;
  /** When Redis came back: other nodes get a heartbeat's time to re-register before any sweep. */
  private resumedAt = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly nodeId: string,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly prefix: string,
    private readonly nodeTtlMs: number,
  ) {
    this.unsubscribe = bus.subscribe((msg) => {
      if (msg.kind !== 'presence') return;
      if (msg.online) this.online.add(msg.userId);
      else this.online.delete(msg.userId);
    });
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(nodeTtlMs / 3)));
    this.timer.unref();
  }

  static async connect(url: string, nodeId: string, bus: Bus, logger: Logger, opts: RedisPresenceOptions = {}): Promise<RedisPresenceStore> {
    const redis = new Redis(url, redisOptions({ connectionName: `parley-presence-${nodeId}` }));
    redis.on('error', (err: Error) => logger.debug({ err }, 'Redis (presence) connection error'));
    await redis.connect();
    const store = new RedisPresenceStore(redis, nodeId, bus, logger, opts.prefix ?? 'parley:', opts.nodeTtlMs ?? 15_000);
    await store.register();
    for (const u of await redis.smembers(store.key('online'))) store.online.add(u);
    redis.on('close', () => {
      if (!store.closing) store.wasDown = true;
    });
    redis.on('ready', () => {
      if (store.closing || !store.wasDown) return;
      store.wasDown = false;
      store.resumedAt = Date.now();
      // Redis may have restarted empty: put this node and its users back.
      store.register().catch((err: unknown) => logger.warn({ err }, 'presence re-registration failed'));
    });
    return store;
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  async join(userId: string): Promise<boolean> {
    this.local.add(userId);
    const keys = [this.key(`presence:${userId}`), this.key(`node:${this.nodeId}:users`), this.key('online')];
    try {
      return (await this.redis.eval(JOIN, 3, ...keys, this.nodeId, userId)) === 1;
    } catch (err) {
      // Redis is away: announce from what this node knows; re-registration fixes Redis later.
      this.logger.warn({ err, userId }, 'presence join not recorded in Redis');
      return !this.online.has(userId);
    }
  }

  async leave(userId: string): Promise<boolean> {
    this.local.delete(userId);
    const keys = [this.key(`presence:${userId}`), this.key(`node:${this.nodeId}:users`), this.key('online')];
    try {
      return (await this.redis.eval(LEAVE, 3, ...keys, this.nodeId, userId)) === 1;
    } catch (err) {
      this.logger.warn({ err, userId }, 'presence leave not recorded in Redis');
      return true;
    }
  }

  onlineElsewhere(userId: string): boolean {
    return this.online.has(userId);
  }

  changed(userId: string, online: boolean): void {
    this.bus.publish({ kind: 'presence', userId, online });
  }

  onSwept(handler: (userIds: string[]) => void): void {
    this.swept = handler;
  }

  /** Puts this node and its users in Redis (at start, and after Redis came back). */
  private async register(): Promise<void> {
    const pipeline = this.redis
      .multi()
      .set(this.key(`node:${this.nodeId}:alive`), '1', 'PX', this.nodeTtlMs)
      .sadd(this.key('nodes'), this.nodeId);
    const users = [...this.local];
    for (let i = 0; i < users.length; i += SWEEP_BATCH) {
      const batch = users.slice(i, i + SWEEP_BATCH);
      pipeline.sadd(this.key(`node:${this.nodeId}:users`), ...batch).sadd(this.key('online'), ...batch);
      for (const u of batch) pipeline.sadd(this.key(`presence:${u}`), this.nodeId);
    }
    await pipeline.exec();
    if (users.length) this.logger.info({ users: users.length }, 'presence re-registered in Redis');
  }

  /** Heartbeat, then look for dead nodes. */
  private async tick(): Promise<void> {
    if (this.closing || this.redis.status !== 'ready') return;
    try {
      await this.redis
        .multi()
        .set(this.key(`node:${this.nodeId}:alive`), '1', 'PX', this.nodeTtlMs)
        .sadd(this.key('nodes'), this.nodeId)
        .exec();
      if (Date.now() - this.resumedAt < this.nodeTtlMs) return;
      const nodes = await this.redis.smembers(this.key('nodes'));
      for (const node of nodes) {
        if (node === this.nodeId || this.closing) continue;
        if (await this.redis.exists(this.key(`node:${node}:alive`))) continue;
        // One node sweeps a dead one; the lock outlives a sweep so it is not repeated.
        const claimed = await this.redis.set(this.key(`sweep:${node}`), this.nodeId, 'PX', this.nodeTtlMs * 2, 'NX');
        if (claimed === 'OK') await this.sweep(node);
      }
    } catch (err) {
      this.logger.debug({ err }, 'presence heartbeat failed');
    }
  }

  private async sweep(node: string): Promise<void> {
    const offline: string[] = [];
    for (;;) {
      const [taken, gone] = (await this.redis.eval(SWEEP, 1, this.key(`node:${node}:users`), node, this.prefix, SWEEP_BATCH)) as [number, string[]];
      offline.push(...gone);
      if (taken < SWEEP_BATCH) break;
    }
    await this.redis.srem(this.key('nodes'), node);
    this.logger.info({ node, offline: offline.length }, 'swept the users of a dead node');
    if (offline.length) this.swept(offline);
  }

  /** A clean stop: this node leaves the set (its users were taken offline by the tracker). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    this.unsubscribe();
    try {
      if (this.redis.status === 'ready') {
        await this.redis
          .multi()
          .del(this.key(`node:${this.nodeId}:alive`), this.key(`node:${this.nodeId}:users`))
          .srem(this.key('nodes'), this.nodeId)
          .exec();
      }
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
