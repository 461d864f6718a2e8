import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { settleWithin, withTimeout } from '../core/timeout.js';
import type { Bus, BusListener, BusMessage } from './bus.js';

export interface RedisBusOptions {
  /** Prefix of every key and channel (several deployments may share one Redis). */
  prefix?: string;
  /** How long start-up waits for Redis before giving up. */
  connectTimeoutMs?: number;
}

/** What a node publishes: its id (so it skips its own messages) and the message. */
interface Envelope {
  o: string;
  m: BusMessage;
}

/** How often each node sends itself a heartbeat through the channel (a silent subscriber is reconnected). */
const HEARTBEAT_MS = 5_000;

const KINDS = new Set<BusMessage['kind']>(['event', 'ephemeral', 'revoke', 'revoke-user', 'presence', 'reset']);

/** Connection options shared by the bus and presence: reconnect forever, fail fast meanwhile. */
/**
 * ioredis for the other Redis users (the presence store): taken from here, where it is imported
 * statically. A dynamic import('ioredis') of the bundled CommonJS package yields only `default`
 * in the compiled build (esbuild), so `{ Redis }` from it was undefined there.
 */
export { Redis };

export function redisOptions(extra: Partial<RedisOptions> = {}): RedisOptions {
  return {
    lazyConnect: true,
    // Reconnect forever, backing off to 2 s: losing Redis must not need an operator.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    // A command while disconnected fails at once rather than queueing without bound: the bus
    // recovers what it lost through a reset, presence by re-registering.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    // A hung Redis (not a closed one) must not stall publishes and presence forever.
    commandTimeout: 5_000,
    ...extra,
  };
}

/**
 * The bus across nodes: Redis pub/sub on one channel. Each node delivers its own messages
 * locally at once (its sockets do not wait for Redis, and keep working while it is down) and
 * every other node's from the channel; each node's fanout picks the sockets they concern.
 *
 * Pub/sub is at most once. What a node may have missed is announced as a `reset` message
 * (locally after its subscriber reconnects; to every node after its publisher lost messages),
 * upon which the gateway treats every conversation of its sockets as possibly behind and fills
 * them from the database: PostgreSQL holds every event, Redis only carries news of them.
 */
export class RedisBus implements Bus {
  private readonly listeners = new Set<BusListener>();
  private readonly channel: string;
  /** A publish failed since the publisher was last ready: other nodes may have missed it. */
  private publishLost = false;
  private subscriberWasDown = false;
  private closing = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastOwnHeartbeat = Date.now();
  /** Messages from other nodes received, and publishes that failed (for metrics). */
  readonly stats = { received: 0, publishFailures: 0, resets: 0 };

  private constructor(
    readonly nodeId: string,
    private readonly pub: Redis,
    private readonly sub: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}bus`;
  }

  /** Connects both clients (start-up fails with a clear error if Redis is unreachable). */
  static async connect(url: string, nodeId: string, logger: Logger, opts: RedisBusOptions = {}): Promise<RedisBus> {
    const pub = new Redis(url, redisOptions({ connectionName: `parley-pub-${nodeId}` }));
    const sub = new Redis(url, redisOptions({ connectionName: `parley-sub-${nodeId}`, autoResubscribe: false }));
    const bus = new RedisBus(nodeId, pub, sub, opts.prefix ?? 'parley:', logger);
    // Before connecting: ioredis reports connection errors as events, which crash without a listener.
    let lastError: Error | null = null;
    const onError = (err: Error) => {
      lastError = err;
      logger.debug({ err }, 'Redis connection error');
    };
    pub.on('error', onError);
    sub.on('error', onError);
    const timeout = opts.connectTimeoutMs ?? 10_000;
    try {
      await withTimeout(Promise.all([pub.connect(), sub.connect()]), timeout, `Redis did not answer within ${timeout} ms`);
      await sub.subscribe(bus.channel);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw lastError ?? err;
    }
    bus.watch();
    return bus;
  }

  get active(): boolean {
    return true;
  }

  publish(message: BusMessage): void {
    this.deliver(message);
    const envelope: Envelope = { o: this.nodeId, m: message };
    this.pub.publish(this.channel, JSON.stringify(envelope)).catch((err: unknown) => {
      this.stats.publishFailures++;
      if (!this.publishLost) this.logger.warn({ err }, 'publishing to Redis failed; other nodes will resync when it is back');
      this.publishLost = true;
    });
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The raw client for other users of Redis on this node (presence). */
  get client(): Redis {
    return this.pub;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeatTimer);
    this.listeners.clear();
    // A hung Redis must not hold up a shutdown: a moment for a clean QUIT, then cut.
    await settleWithin(Promise.allSettled([this.pub.quit(), this.sub.quit()]), 1_000);
    this.pub.disconnect();
    this.sub.disconnect();
  }

  /**
   * Publishes this node's heartbeat on the channel and checks the last one came back: a
   * subscriber connection that died silently (a half-open TCP connection) receives nothing and
   * would never know. It is reconnected, which resyncs this node's sockets.
   */
  private heartbeat(): void {
    if (this.closing) return;
    const now = Date.now();
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready' || this.subscriberWasDown) {
      this.lastOwnHeartbeat = now;
      return;
    }
    if (now - this.lastOwnHeartbeat > 3 * HEARTBEAT_MS) {
      this.logger.warn('this node\'s heartbeat did not come back through Redis; reconnecting the subscriber');
      this.subscriberWasDown = true;
      this.lastOwnHeartbeat = now;
      this.sub.disconnect(true);
      return;
    }
    this.pub.publish(this.channel, `hb:${this.nodeId}`).catch(() => undefined);
  }

  private deliver(message: BusMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (err) {
        this.logger.error({ err, kind: message.kind }, 'bus listener failed');
      }
    }
  }

  private watch(): void {
    this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    this.heartbeatTimer.unref();
    this.sub.on('message', (_channel: string, text: string) => {
      if (text.startsWith('hb:')) {
        if (text === `hb:${this.nodeId}`) this.lastOwnHeartbeat = Date.now();
        return;
      }
      const envelope = parseEnvelope(text);
      if (!envelope) {
        this.logger.warn({ bytes: text.length }, 'ignored a malformed bus message');
        return;
      }
      if (envelope.o === this.nodeId) return;
      this.stats.received++;
      this.deliver(envelope.m);
    });
    this.sub.on('close', () => {
      if (this.closing || this.subscriberWasDown) return;
      this.subscriberWasDown = true;
      this.logger.warn('lost the Redis subscriber connection; reconnecting');
    });
    this.sub.on('ready', () => {
      if (this.closing || !this.subscriberWasDown) return;
      // Subscribe first, then reset: whatever is published after the subscription arrives live,
      // whatever came before is in the database the reset reads.
      this.sub.subscribe(this.channel).then(
        () => {
          this.subscriberWasDown = false;
          this.logger.info('Redis subscriber back; resyncing this node\'s connections');
          this.resetLocal();
        },
        (err: unknown) => {
          // Still flaky: the next 'ready' tries again.
          this.logger.warn({ err }, 'resubscribing to Redis failed');
          this.sub.disconnect(true);
        },
      );
    });
    this.pub.on('ready', () => {
      if (this.closing || !this.publishLost) return;
      this.publishLost = false;
      // Other nodes may have missed this node's events: all of them catch up.
      this.publish({ kind: 'reset' });
    });
  }

  private resetLocal(): void {
    this.stats.resets++;
    this.deliver({ kind: 'reset' });
  }
}

function parseEnvelope(text: string): Envelope | null {
  try {
    const value = JSON.parse(text) as Partial<Envelope> | null;
    if (!value || typeof value.o !== 'string' || !value.m || typeof value.m !== 'object') return null;
    if (!KINDS.has((value.m as { kind?: BusMessage['kind'] }).kind as BusMessage['kind'])) return null;
    return value as Envelope;
  } catch {
    return null;
  }
}
