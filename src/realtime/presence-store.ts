// ioredis is loaded only by a node that uses Redis: one node starts without it.
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { settleWithin } from '../core/timeout.js';
import type { Bus } from '../events/bus.js';

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
  /**
   * Changes found by the store itself, for the tracker to announce: users taken offline because
   * the node holding them is gone, and users whose state Redis lost or missed (after an outage).
   */
  onChanges(handler: (userIds: string[], online: boolean) => void): void;
  /**
   * True when other nodes share the state: on a clean stop this node's users are then handed
   * over (taken offline by the others after `graceMs` unless they reconnected), not left at once.
   */
  readonly shared: boolean;
  close(graceMs: number): Promise<void>;
}

/** One node: this node's sockets are the whole truth. */
export class LocalPresenceStore implements PresenceStore {
  readonly shared = false;
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
  onChanges(): void {}
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
  readonly shared = true;
  private readonly online = new Set<string>();
  /** Users this node has registered (it re-registers them when Redis comes back empty). */
  private readonly local = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private announce: (userIds: string[], online: boolean) => void = () => {};
  /** A join or leave did not reach Redis: the next heartbeat puts Redis in line with this node. */
  private dirty = false;
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
    const { Redis, redisOptions } = await import('../events/redis-bus.js');
    const redis = new Redis(url, redisOptions({ connectionName: `parley-presence-${nodeId}` }));
    redis.on('error', (err: Error) => logger.debug({ err }, 'Redis (presence) connection error'));
    let store: RedisPresenceStore;
    try {
      await redis.connect();
      store = new RedisPresenceStore(redis, nodeId, bus, logger, opts.prefix ?? 'parley:', opts.nodeTtlMs ?? 15_000);
      await store.register();
      for (const u of await redis.smembers(store.key('online'))) store.online.add(u);
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    redis.on('close', () => {
      if (!store.closing) store.wasDown = true;
    });
    redis.on('ready', () => {
      if (store.closing || !store.wasDown) return;
      store.wasDown = false;
      store.resumedAt = Date.now();
      // Redis may have restarted empty, and presence messages were lost meanwhile.
      store.reconcile().catch((err: unknown) => {
        store.dirty = true;
        logger.warn({ err }, 'presence reconciliation failed; retrying at the next heartbeat');
      });
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
      // Redis is away: announce from what this node knows; reconciling fixes Redis later.
      this.logger.warn({ err, userId }, 'presence join not recorded in Redis');
      this.dirty = true;
      return !this.online.has(userId);
    }
  }

  async leave(userId: string): Promise<boolean> {
    this.local.delete(userId);
    const keys = [this.key(`presence:${userId}`), this.key(`node:${this.nodeId}:users`), this.key('online')];
    try {
      return (await this.redis.eval(LEAVE, 3, ...keys, this.nodeId, userId)) === 1;
    } catch (err) {
      // Not announced now (another node may hold the user): reconciling decides, and announces.
      this.logger.warn({ err, userId }, 'presence leave not recorded in Redis');
      this.dirty = true;
      return false;
    }
  }

  onlineElsewhere(userId: string): boolean {
    return this.online.has(userId);
  }

  changed(userId: string, online: boolean): void {
    this.bus.publish({ kind: 'presence', userId, online });
  }

  onChanges(handler: (userIds: string[], online: boolean) => void): void {
    this.announce = handler;
  }

  /** Puts this node in Redis (at start). */
  private async register(): Promise<void> {
    await this.redis
      .multi()
      .set(this.key(`node:${this.nodeId}:alive`), '1', 'PX', this.nodeTtlMs)
      .sadd(this.key('nodes'), this.nodeId)
      .exec();
  }

  /**
   * Puts Redis in line with this node's users, after Redis came back (perhaps empty), after a
   * join or leave that did not reach it, or after this node was swept while alive (its heartbeat
   * lapsed): joins its users, leaves the ones it no longer holds, and announces whoever that
   * made come online or go offline. Then, after a heartbeat's time (the other nodes do the
   * same), it reloads who is online and announces what its cache had missed.
   */
  private async reconcile(): Promise<void> {
    this.dirty = false;
    await this.register();
    const recorded = new Set(await this.redis.smembers(this.key(`node:${this.nodeId}:users`)));
    const cameOnline: string[] = [];
    const wentOffline: string[] = [];
    for (const userId of this.local) {
      const keys = [this.key(`presence:${userId}`), this.key(`node:${this.nodeId}:users`), this.key('online')];
      if ((await this.redis.eval(JOIN, 3, ...keys, this.nodeId, userId)) === 1) cameOnline.push(userId);
    }
    for (const userId of recorded) {
      if (this.local.has(userId)) continue;
      const keys = [this.key(`presence:${userId}`), this.key(`node:${this.nodeId}:users`), this.key('online')];
      if ((await this.redis.eval(LEAVE, 3, ...keys, this.nodeId, userId)) === 1) wentOffline.push(userId);
    }
    this.logger.info({ users: this.local.size, cameOnline: cameOnline.length, wentOffline: wentOffline.length }, 'presence reconciled with Redis');
    if (cameOnline.length) this.announce(cameOnline, true);
    if (wentOffline.length) this.announce(wentOffline, false);
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), this.nodeTtlMs);
    this.refreshTimer.unref();
  }

  private refreshTimer: NodeJS.Timeout | undefined;

  /** Reloads who is online; presence messages lost while Redis was away are announced again. */
  private async refresh(): Promise<void> {
    if (this.closing) return;
    try {
      const now = new Set(await this.redis.smembers(this.key('online')));
      const cameOnline = [...now].filter((u) => !this.online.has(u) && !this.local.has(u));
      const wentOffline = [...this.online].filter((u) => !now.has(u) && !this.local.has(u));
      for (const u of cameOnline) this.online.add(u);
      for (const u of wentOffline) this.online.delete(u);
      if (cameOnline.length) this.announce(cameOnline, true);
      if (wentOffline.length) this.announce(wentOffline, false);
    } catch (err) {
      this.logger.warn({ err }, 'presence refresh failed');
    }
  }

  /** Heartbeat, then look for dead nodes. */
  private async tick(): Promise<void> {
    if (this.closing || this.redis.status !== 'ready') return;
    try {
      const replies = await this.redis
        .multi()
        .set(this.key(`node:${this.nodeId}:alive`), '1', 'PX', this.nodeTtlMs)
        .sadd(this.key('nodes'), this.nodeId)
        .exec();
      // Added back to the node set: another node swept this one (its heartbeat lapsed) and took
      // its users offline although they are still here.
      const readded = replies?.[1]?.[1] === 1;
      if (readded || this.dirty) await this.reconcile();
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
    const [, [, clean]] = (await this.redis.multi().srem(this.key('nodes'), node).getdel(this.key(`node:${node}:clean`)).exec()) as [unknown, [unknown, string | null]];
    this.logger.info({ node, offline: offline.length, clean: clean !== null }, 'swept the users of a node that is gone');
    if (offline.length) this.announce(offline, false);
    // A node that died may have committed events it never published: every node catches up.
    if (clean === null) this.bus.publish({ kind: 'reset' });
  }

  /**
   * A clean stop. This node's heartbeat is cut to the grace period instead of removed: its users
   * who reconnect elsewhere meanwhile never look offline, and the others' sweeper takes the rest
   * offline once it expires.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    clearTimeout(this.refreshTimer);
    this.unsubscribe();
    if (this.redis.status === 'ready') {
      // Best effort: without it, the others sweep this node a TTL later (and reset, needlessly).
      await settleWithin(
        this.redis
          .multi()
          .set(this.key(`node:${this.nodeId}:alive`), '1', 'PX', Math.max(1, graceMs))
          // Stopped cleanly: everything it committed was published, no reset is needed.
          .set(this.key(`node:${this.nodeId}:clean`), '1', 'PX', graceMs + 60_000)
          .exec(),
        2_000,
      );
    }
    await settleWithin(this.redis.quit(), 1_000);
    this.redis.disconnect();
  }
}
