import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { settleWithin, withTimeout } from '../core/timeout.js';
import type { Bus, BusListener, BusMessage, BusStats } from './bus.js';

export interface RedisBusOptions {
  /** Prefix of every key and channel (several deployments may share one Redis). */
  prefix?: string;
  /** How long start-up waits for Redis before giving up. */
  connectTimeoutMs?: number;
  /**
   * Conversation events of groups with more members than this go to other nodes without the
   * member list (each node routes them by the members it keeps). Default 64.
   */
  listMembersUpTo?: number;
  /**
   * How long after subscribing the node listens to the other nodes' heartbeats before it sends
   * events without their member list (a node of the previous release needs the list, and says
   * it is there by its heartbeat). Default two heartbeats.
   */
  peerWaitMs?: number;
}

/**
 * What a node publishes: its id (so it skips its own messages) and the message, or (bus version
 * 2) several messages in order.
 */
type Envelope = { o: string; m: BusMessage } | { o: string; ms: BusMessage[] };

/** How often each node sends itself a heartbeat through the channel (a silent subscriber is reconnected). */
const HEARTBEAT_MS = 5_000;

/**
 * The bus format this release speaks, carried in its heartbeat (`hb:<node> 2`; a node of an older
 * release sends `hb:<node>` and reads every event's member list). 2: an event may come without
 * its member list (`memberIds` null).
 */
const BUS_VERSION = 2;
/* Version 2 also sends the events of one group commit together, in one message (`ms`). */

/** Events that change who the members are always carry the list: nodes follow the members by them. */
const ALWAYS_LISTED = new Set<string>(['member.joined', 'member.left', 'conversation.deleted']);

const KINDS = new Set<BusMessage['kind']>(['event', 'ephemeral', 'broadcast', 'revoke', 'revoke-user', 'presence', 'reset']);

/**
 * ioredis for the other Redis users (the presence store): taken from here, where it is imported
 * statically. A dynamic import('ioredis') of the bundled CommonJS package yields only `default`
 * in the compiled build (esbuild), so `{ Redis }` from it was undefined there.
 */
export { Redis };

/**
 * ioredis's options without the reply mode: its clients then take the default (legacy) mode, the
 * one `Redis` stands for. Typed as RedisOptions (either mode), `new Redis(url, options)` made a
 * client of either mode, which TypeScript then compared with `Redis` member by member: 2 s of
 * every typecheck and type-aware lint (tsc --generateTrace).
 */
type LegacyRedisOptions = Omit<RedisOptions, 'replyMapping'>;

/** Connection options shared by the bus and presence: reconnect forever, fail fast meanwhile. */
export function redisOptions(extra: Partial<LegacyRedisOptions> = {}): LegacyRedisOptions {
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
  readonly stats: BusStats & { received: number } = { received: 0, publishFailures: 0, resets: 0, unlisted: 0 };
  /** Each other node heard from: the bus version of its heartbeat, and when it was last heard. */
  private readonly peers = new Map<string, { version: number; seen: number }>();
  /** When the subscription started (peers unheard of before `peerWaitMs` passed may exist). */
  private subscribedAt = Date.now();
  private readonly listMembersUpTo: number;
  private readonly peerWaitMs: number;

  private constructor(
    readonly nodeId: string,
    private readonly pub: Redis,
    private readonly sub: Redis,
    prefix: string,
    private readonly logger: Logger,
    opts: RedisBusOptions = {},
  ) {
    this.channel = `${prefix}bus`;
    this.listMembersUpTo = opts.listMembersUpTo ?? 64;
    this.peerWaitMs = opts.peerWaitMs ?? 2 * HEARTBEAT_MS;
  }

  /** Connects both clients (start-up fails with a clear error if Redis is unreachable). */
  static async connect(url: string, nodeId: string, logger: Logger, opts: RedisBusOptions = {}): Promise<RedisBus> {
    const pub = new Redis(url, redisOptions({ connectionName: `parley-pub-${nodeId}` }));
    const sub = new Redis(url, redisOptions({ connectionName: `parley-sub-${nodeId}`, autoResubscribe: false }));
    const bus = new RedisBus(nodeId, pub, sub, opts.prefix ?? 'parley:', logger, opts);
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
      bus.subscribedAt = Date.now();
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw lastError ?? err;
    }
    bus.watch();
    // Tell the other nodes at once which bus format this one speaks.
    bus.sendHeartbeat();
    return bus;
  }

  /**
   * The connection the node publishes on, for other short commands (the shared rate limits):
   * one connection fewer per node than a client of their own.
   */
  get commands(): Redis {
    return this.pub;
  }

  get active(): boolean {
    return true;
  }

  publish(message: BusMessage): void {
    this.deliver(message);
    this.send({ o: this.nodeId, m: this.forOtherNodes(message) });
  }

  /**
   * Sends the messages to the other nodes in one Redis message when they all read that (each
   * PUBLISH is a write, a wake-up of Redis and one of every subscriber: per message, that was
   * most of what a second node cost on a shared machine), then delivers them here.
   */
  publishAll(messages: readonly BusMessage[]): void {
    if (messages.length <= 1) {
      if (messages[0]) this.publish(messages[0]);
      return;
    }
    if (this.peersSpeakCurrent()) this.send({ o: this.nodeId, ms: messages.map((m) => this.forOtherNodes(m)) });
    else for (const m of messages) this.send({ o: this.nodeId, m });
    for (const m of messages) this.deliver(m);
  }

  private send(envelope: Envelope): void {
    this.pub.publish(this.channel, JSON.stringify(envelope)).catch((err: unknown) => {
      this.stats.publishFailures++;
      if (!this.publishLost) this.logger.warn({ err }, 'publishing to Redis failed; other nodes will resync when it is back');
      this.publishLost = true;
    });
  }

  /**
   * What the other nodes get: a large group's event without its member list (a thousand ids are
   * 39 KB to write, send, read and parse on every node for every message, while each node only
   * needs its own users among them, and keeps the members of the conversations it routes),
   * unless a node that needs the list may be listening.
   */
  private forOtherNodes(message: BusMessage): BusMessage {
    if (message.kind !== 'event' || !message.memberIds || message.memberIds.length <= this.listMembersUpTo) return message;
    if (ALWAYS_LISTED.has(message.event.type) || !this.peersSpeakCurrent()) return message;
    this.stats.unlisted++;
    return { ...message, memberIds: null };
  }

  /** True when every node that may be listening reads this release's bus format (BUS_VERSION). */
  private peersSpeakCurrent(): boolean {
    const now = Date.now();
    if (now - this.subscribedAt < this.peerWaitMs || this.subscriberWasDown) return false;
    const alive = now - 3 * HEARTBEAT_MS;
    for (const [id, peer] of this.peers) {
      if (peer.seen < alive) this.peers.delete(id);
      else if (peer.version < BUS_VERSION) return false;
    }
    return true;
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
    this.sendHeartbeat();
  }

  private sendHeartbeat(): void {
    this.pub.publish(this.channel, `hb:${this.nodeId} ${BUS_VERSION}`).catch(() => undefined);
  }

  /** A heartbeat through the channel: this node's own (the subscription works), or a peer's (its bus version). */
  private heard(text: string): void {
    const space = text.indexOf(' ');
    const node = text.slice(3, space < 0 ? undefined : space);
    if (node === this.nodeId) {
      this.lastOwnHeartbeat = Date.now();
      return;
    }
    const version = space < 0 ? 1 : Number.parseInt(text.slice(space + 1), 10) || 1;
    const known = this.peers.get(node);
    if (version < BUS_VERSION && (!known || known.version >= BUS_VERSION)) {
      this.logger.info({ node, version }, 'a node of an earlier release is on the bus: events go out with their member lists');
    }
    this.peers.set(node, { version, seen: Date.now() });
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
        this.heard(text);
        return;
      }
      const envelope = parseEnvelope(text);
      if (!envelope) {
        this.logger.warn({ bytes: text.length }, 'ignored a malformed bus message');
        return;
      }
      if (envelope.o === this.nodeId) return;
      if ('ms' in envelope) {
        this.stats.received += envelope.ms.length;
        for (const m of envelope.ms) this.deliver(m);
        return;
      }
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
          // Heartbeats were missed meanwhile: listen to the other nodes again before leaving lists out.
          this.subscribedAt = Date.now();
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
    const value = JSON.parse(text) as { o?: unknown; m?: unknown; ms?: unknown } | null;
    if (!value || typeof value.o !== 'string') return null;
    if (Array.isArray(value.ms)) return value.ms.every(isMessage) ? (value as Envelope) : null;
    return isMessage(value.m) ? (value as Envelope) : null;
  } catch {
    return null;
  }
}

function isMessage(m: unknown): m is BusMessage {
  return !!m && typeof m === 'object' && KINDS.has((m as { kind?: BusMessage['kind'] }).kind as BusMessage['kind']);
}
