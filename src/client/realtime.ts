/** ParleyRealtime: the WebSocket of CONTRACT.md with reconnects, cursors, sync and send retries. */
import type { Message, User } from '../protocol/entities.js';
import type { ConversationEvent } from '../protocol/events.js';
import type { EphemeralFrame } from '../protocol/frames.js';
import { CLOSE_PROTOCOL_UNSUPPORTED, CLOSE_UNAUTHORIZED } from '../protocol/close-codes.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../protocol/limits.js';
import { Emitter } from './emitter.js';
import { newClientMsgId } from './ids.js';
import { describeClose } from './close-reasons.js';
import { ApiError } from './errors.js';
import { Heartbeat, backoffDelay } from './link.js';
import { Outbox } from './outbox.js';
import { Pacer } from './pacer.js';
import { Streams } from './streams.js';
import { SyncPlan } from './sync-plan.js';
import type {
  Listener,
  ParleyRealtimeOptions,
  PendingSend,
  RealtimeEventName,
  RealtimeEvents,
  RealtimeState,
  SendHandle,
  SendOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';

/** Close code this client uses when it gives up on a silent socket. */
const CLOSE_DEAD = 4000;
const OPEN = 1;
const MAX_ID_LENGTH = 64;
/** Retry delay of a sync the server refused for now (rate limited, unavailable). */
const SYNC_RETRY_MS = 1000;
/** Under the server's per-connection frame limit (a burst of 200, then 100 a second). */
const PACER_BURST = 150;
const PACER_RATE = 80;

/** What belongs to one socket; handlers of an older socket find `this.conn` changed and do nothing. */
interface Conn {
  ws: WebSocketLike;
  /** `auth` was written: a conversation followed from now on needs a sync frame of its own. */
  authSent: boolean;
  ready: boolean;
  /** The server's explanation when it refused this client's protocol. */
  refusal: string | null;
  /** An error frame that came before `ready` (why the handshake is refused: its retryAfter is honoured). */
  refusedWith: ApiError | null;
  /** The connection delivered an event or finished its catch-up: the next retry starts from the shortest delay. */
  progressed: boolean;
  user: User | null;
  reconnect: boolean;
  sync: SyncPlan;
  /** The first sync after ready is still running (state `syncing`). */
  catchingUp: boolean;
  /** No sync frame before this time (ms since the epoch): the server asked to back off. */
  syncNotBefore: number;
  heartbeat: Heartbeat;
  pacer: Pacer;
}

type Timer = ReturnType<typeof setTimeout>;

const noop = (): void => undefined;

/**
 * The realtime connection of one user. `start()` connects and keeps reconnecting (with backoff
 * and jitter) until `stop()` or a refused token. Per conversation, `event` listeners get each
 * event once, in seq order, with no gap, whether live or replayed after a reconnect.
 */
/** The event each ephemeral frame is emitted as. */
const EPHEMERAL_EVENTS: { readonly [T in EphemeralFrame['type']]: keyof RealtimeEvents } = {
  typing: 'typing',
  presence: 'presence',
  read: 'read',
  'messages.purged': 'purged',
  'user.updated': 'userUpdated',
  'notifications.updated': 'notifications',
  'conversation.created': 'conversationCreated',
  'thread.state': 'threadState',
  'command.response': 'commandResponse',
  'emoji.created': 'emojiChanged',
  'emoji.deleted': 'emojiChanged',
  'draft.updated': 'draftUpdated',
};

export class ParleyRealtime {
  private readonly emitter = new Emitter<RealtimeEvents>((err, name) => {
    if (name !== 'error') this.emitter.emit('error', asError(err));
  });
  private readonly streams = new Streams();
  private readonly outbox = new Outbox();
  private readonly pendingReads = new Map<string, number>();
  private readonly WS: WebSocketConstructor;
  private readonly url: string;
  private tokenValue: string;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly ackTimeoutMs: number;

  private stateValue: RealtimeState = 'closed';
  private conn: Conn | null = null;
  private started = false;
  private everReady = false;
  private failures = 0;
  private frameSeq = 0;
  private retryTimer: Timer | null = null;
  private retryAtValue: number | null = null;
  private connectTimer: Timer | null = null;
  private wakeTimer: Timer | null = null;
  private wakeAt = Infinity;
  private userValue: User | null = null;

  constructor(options: ParleyRealtimeOptions) {
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) throw new TypeError('no WebSocket constructor: pass one as the WebSocket option (in Node: WebSocket from "ws")');
    this.WS = WS;
    this.url = options.url;
    this.tokenValue = options.token;
    this.minMs = options.backoff?.minMs ?? 500;
    this.maxMs = Math.max(this.minMs, options.backoff?.maxMs ?? 30_000);
    this.jitter = Math.min(1, Math.max(0, options.backoff?.jitter ?? 0.5));
    this.intervalMs = options.heartbeat?.intervalMs ?? 25_000;
    this.timeoutMs = options.heartbeat?.timeoutMs ?? 10_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 32);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
    for (const [id, seq] of Object.entries(options.cursors ?? {})) this.follow(id, seq);
  }

  // --- lifecycle ---

  get state(): RealtimeState {
    return this.stateValue;
  }

  /** The signed-in user of the last `ready`. */
  get user(): User | null {
    return this.userValue;
  }

  /** When offline: the time (ms since the epoch) of the next connection attempt. */
  get retryAt(): number | null {
    return this.retryAtValue;
  }

  /** Connects (no-op when already started). After `authFailed`, set a new token and start again. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.failures = 0;
    this.connect();
  }

  /**
   * Closes the socket (code 1000) and stops reconnecting; state `closed`. Unacked sends are
   * rejected with code `stopped`.
   */
  stop(): void {
    this.started = false;
    this.clearRetry();
    const conn = this.conn;
    if (conn) {
      this.teardown(conn);
      try {
        conn.ws.close(1000, 'client stopped');
      } catch {
        // Already closing.
      }
    }
    this.outbox.rejectAll(new ApiError({ status: 0, code: 'stopped', message: 'the realtime client was stopped' }));
    this.setState('closed');
  }

  /** Offline: tries again now instead of waiting for the backoff (e.g. on the browser's `online` event). */
  reconnectNow(): void {
    if (!this.started || this.stateValue !== 'offline') return;
    this.clearRetry();
    this.connect();
  }

  /** The token for the next connection (the current one keeps its session). */
  setToken(token: string): void {
    this.tokenValue = token;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends RealtimeEventName>(name: K, fn: Listener<K>): () => void {
    return this.emitter.on(name, fn);
  }

  // --- cursors ---

  /**
   * Resumes a conversation after `lastSeq` (its events up to there are known to the app): events
   * at or below it are never emitted. A conversation new to this client is synced from there at
   * once when connected (and on every reconnect, like all followed ones). A cursor never moves
   * back: following again with a lower seq changes nothing. Conversations never followed are
   * picked up from their first live event.
   */
  follow(conversationId: string, lastSeq: number): void {
    if (typeof conversationId !== 'string' || conversationId.length === 0 || conversationId.length > MAX_ID_LENGTH) {
      throw new TypeError(`conversationId must be 1-${MAX_ID_LENGTH} characters`);
    }
    if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) throw new TypeError('lastSeq must be a non-negative integer');
    const { deliver, created } = this.streams.follow(conversationId, lastSeq);
    for (const ev of deliver) this.emitEvent(ev);
    const conn = this.conn;
    if (created && conn?.authSent && !conn.sync.covers(conversationId)) this.queueSync(conn, [conversationId]);
  }

  /** Forgets a conversation: no cursor, not synced on reconnect (its live events would start it again). */
  unfollow(conversationId: string): void {
    this.streams.forget(conversationId);
    this.pendingReads.delete(conversationId);
  }

  /** The last seq emitted (or followed) for a conversation. */
  cursor(conversationId: string): number | undefined {
    return this.streams.cursor(conversationId);
  }

  /** Every cursor, to persist and pass back as the `cursors` option. */
  cursors(): Record<string, number> {
    return this.streams.snapshot();
  }

  // --- client frames ---

  /**
   * Sends a message. The frame waits while offline (or not started) and is written again with the same
   * clientMsgId after every reconnect until acked (the server stores a repeat once) or refused
   * for good. Calling it again with a pending clientMsgId returns the pending send.
   */
  send(conversationId: string, body: string, options: SendOptions = {}): SendHandle {
    const clientMsgId = options.clientMsgId ?? newClientMsgId();
    const size = utf8Length(JSON.stringify(this.sendFrame({ conversationId, body, clientMsgId, ...options }, 'm0000000000')));
    if (size > MAX_FRAME_BYTES - 256) {
      // The server would close the socket (1009) for it, and again after every reconnect.
      const error = new ApiError({ status: 413, code: 'payload_too_large', message: `the message frame would be ${size} bytes; the limit is ${MAX_FRAME_BYTES}` });
      const done = Promise.reject(error);
      done.catch(() => undefined);
      queueMicrotask(() => this.emitter.emit('sendFailed', { conversationId, clientMsgId, error }));
      return { clientMsgId, done };
    }
    const handle = this.outbox.add(conversationId, body, { ...options, clientMsgId }, Date.now());
    this.pump();
    return handle;
  }

  /** Sends not acknowledged yet (all, or one conversation's), oldest first. */
  pending(conversationId?: string): PendingSend[] {
    return this.outbox.list(conversationId);
  }

  /**
   * Stops retrying a send; its `done` rejects with code `cancelled`. A frame already written may
   * still be stored (its `message.created` event would then arrive). True if it was pending.
   */
  cancel(clientMsgId: string, conversationId?: string): boolean {
    return this.outbox.cancel(clientMsgId, conversationId, new ApiError({ status: 0, code: 'cancelled', message: 'the send was cancelled' }));
  }

  /** Tells the other members the user is typing. Best-effort: false (dropped) when not connected. */
  typing(conversationId: string): boolean {
    const conn = this.conn;
    if (!conn?.ready || !conn.pacer.take(Date.now())) return false;
    return this.write(conn, { type: 'typing', conversationId });
  }

  /** Moves the read pointer (forward only). Kept while offline and sent once connected. */
  read(conversationId: string, seq: number): void {
    const prev = this.pendingReads.get(conversationId);
    if (prev === undefined || seq > prev) this.pendingReads.set(conversationId, seq);
    this.pump();
  }

  // --- connection ---

  private connect(): void {
    this.clearRetry();
    this.setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.url);
    } catch (err) {
      this.emitter.emit('error', asError(err));
      this.scheduleRetry();
      return;
    }
    const now = Date.now();
    const conn: Conn = {
      ws,
      authSent: false,
      ready: false,
      refusal: null,
      refusedWith: null,
      progressed: false,
      user: null,
      reconnect: this.everReady,
      sync: new SyncPlan(),
      catchingUp: true,
      syncNotBefore: 0,
      heartbeat: new Heartbeat(
        this.intervalMs,
        this.timeoutMs,
        () => this.write(conn, { type: 'ping' }),
        (why) => this.dead(conn, why),
      ),
      pacer: new Pacer(PACER_BURST, PACER_RATE, now),
    };
    this.conn = conn;
    ws.onopen = () => {
      if (this.conn === conn) this.authenticate(conn);
    };
    ws.onmessage = (ev) => {
      if (this.conn === conn) this.receive(conn, ev.data);
    };
    ws.onclose = (ev) => {
      if (this.conn === conn) this.closed(conn, ev.code, ev.reason);
    };
    // A close event follows every error; the error itself says nothing more useful.
    ws.onerror = noop;
    // Opening and authenticating must finish in time too (a black-holed connect never fails).
    this.connectTimer = setTimeout(() => {
      if (this.conn === conn && !conn.ready) this.dead(conn, 'no ready frame in time');
    }, this.timeoutMs * 2);
  }

  /** Sends `auth` with the first cursors; the rest go in `sync` frames after `ready`. */
  private authenticate(conn: Conn): void {
    const cursors = this.streams.snapshot();
    const first = conn.sync.begin(Object.keys(cursors));
    const authCursors: Record<string, number> = {};
    for (const id of first) authCursors[id] = cursors[id] ?? 0;
    conn.authSent = true;
    // No token: the server takes the page's session cookie (same origin only).
    this.write(conn, { type: 'auth', ...(this.tokenValue ? { token: this.tokenValue } : {}), protocol: PROTOCOL_VERSION, ...(first.length > 0 ? { cursors: authCursors } : {}) });
  }

  private receive(conn: Conn, data: unknown): void {
    conn.heartbeat.seen();
    if (typeof data !== 'string') {
      this.emitter.emit('error', new Error('binary frame ignored'));
      return;
    }
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(data);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      this.emitter.emit('error', new Error(`unreadable frame: ${data.slice(0, 100)}`));
      return;
    }
    this.emitter.emit('frame', frame);
    if (typeof frame.seq === 'number' && typeof frame.conversationId === 'string' && typeof frame.type === 'string') {
      this.onEvent(conn, frame as unknown as ConversationEvent);
      return;
    }
    switch (frame.type) {
      case 'ready':
        this.onReady(conn, frame.user as User, String(frame.connectionId), {
          protocol: typeof frame.protocol === 'number' ? frame.protocol : 1,
          minProtocol: typeof frame.minProtocol === 'number' ? frame.minProtocol : 1,
          serverVersion: typeof frame.serverVersion === 'string' ? frame.serverVersion : null,
        });
        return;
      case 'ack':
        this.onAck(frame.id as string | number | undefined, frame.message as Message);
        return;
      case 'error':
        this.onErrorFrame(conn, frame.id as string | number | undefined, frame.error as { code: string; message: string; details?: unknown });
        return;
      case 'sync.done':
        this.onSyncDone(conn, frame.id as string | number | undefined, frame.hasMore === true, Array.isArray(frame.skipped) ? (frame.skipped as string[]) : []);
        return;
      default: {
        // Frames without a seq, passed on as they are; pong, and frame types added later, are
        // dropped (the heartbeat already counted them).
        const event = Object.hasOwn(EPHEMERAL_EVENTS, String(frame.type)) ? EPHEMERAL_EVENTS[frame.type as EphemeralFrame['type']] : null;
        if (event) this.emitter.emit(event, frame as never);
        return;
      }
    }
  }

  private onReady(conn: Conn, user: User, connectionId: string, server: { protocol: number; minProtocol: number; serverVersion: string | null }): void {
    if (conn.ready) return;
    conn.ready = true;
    conn.user = user;
    this.userValue = user;
    // The backoff is not reset here: a server that closes every connection after `ready` (it
    // could not deliver the catch-up) would be retried at once, for ever. Progress resets it.
    this.everReady = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    conn.heartbeat.start();
    this.setState('syncing');
    this.emitter.emit('ready', { user, connectionId, reconnect: conn.reconnect, ...server });
    if (this.conn !== conn) return; // a listener stopped or restarted the client
    if (conn.reconnect) this.emitter.emit('reconnected', { user, connectionId });
    if (this.conn !== conn) return;
    this.pump();
    this.checkCaughtUp(conn);
  }

  private onEvent(conn: Conn, ev: ConversationEvent): void {
    const { deliver, gap } = this.streams.accept(ev);
    if (deliver.length > 0) conn.progressed = true;
    for (const e of deliver) this.emitEvent(e);
    // In order on one connection is the server's promise; a gap means this client's cursor was
    // behind the connection's start (a late `follow`): the sync fills it, then the event goes out.
    if (gap && conn.ready && this.conn === conn && !conn.sync.covers(ev.conversationId)) this.queueSync(conn, [ev.conversationId]);
  }

  private emitEvent(ev: ConversationEvent): void {
    this.emitter.emit('event', ev);
    // No more events will come (deleted), or none that this user may see (left): stop following.
    const self = this.userValue?.id;
    if (ev.type === 'conversation.deleted' || (ev.type === 'member.left' && self !== undefined && ev.member.user.id === self)) {
      this.streams.forget(ev.conversationId);
    }
  }

  private onAck(frameId: string | number | undefined, message: Message): void {
    if (!message || typeof message !== 'object') return;
    const info = this.outbox.ack(frameId, message);
    if (info) this.emitter.emit('ack', { clientMsgId: info.clientMsgId, message });
    this.pump();
  }

  private onErrorFrame(conn: Conn, frameId: string | number | undefined, body: { code: string; message: string; details?: unknown }): void {
    const error = ApiError.fromFrame({ code: String(body?.code ?? 'unknown'), message: String(body?.message ?? 'error'), details: body?.details });
    // Sent just before close 4426: the full explanation for the `outdated` event.
    if (error.code === 'protocol_unsupported') conn.refusal = error.message;
    if (!conn.ready) {
      // Why the handshake is refused (too many connections, for one): said in `disconnected`.
      conn.refusedWith = error;
      if (error.code !== 'protocol_unsupported') this.emitter.emit('error', error);
      return;
    }
    const now = Date.now();
    if (frameId !== undefined && this.outbox.owns(frameId)) {
      const r = this.outbox.error(frameId, error, now);
      if (r?.final) this.emitter.emit('sendFailed', { conversationId: r.info.conversationId, clientMsgId: r.info.clientMsgId, error });
      this.pump();
      return;
    }
    if (frameId !== undefined && conn.sync.isRunning(frameId)) {
      if (error.retryable) {
        conn.sync.retryRunning();
        conn.syncNotBefore = now + this.syncRetryMs(error);
        this.wake(conn.syncNotBefore);
      } else {
        this.emitter.emit('error', error);
        this.skipGaps(conn.sync.fail());
      }
      this.pump();
      return;
    }
    if (frameId === undefined && error.code === 'rate_limited') {
      // The server dropped a frame without saying which: write what may be lost again, later.
      const delay = this.syncRetryMs(error);
      this.outbox.retryInFlight(now, delay);
      if (!conn.sync.isRunning(undefined)) conn.sync.retryRunning();
      conn.syncNotBefore = now + delay;
      this.wake(now + delay);
      return;
    }
    this.emitter.emit('error', error);
  }

  /**
   * When to sync again after a refusal: the server's back-off hint (details.retryAfter seconds)
   * when it gave one, else a second; spread by the jitter so a crowd refused together does not
   * come back together.
   */
  private syncRetryMs(error: ApiError): number {
    // The server's hint is honoured in full (it sends at most 30 s); sooner would only be refused again.
    const base = error.retryAfter !== undefined ? Math.min(error.retryAfter, 300) * 1000 : SYNC_RETRY_MS;
    return Math.round(base * (1 + this.jitter * Math.random()));
  }

  private onSyncDone(conn: Conn, frameId: string | number | undefined, hasMore: boolean, skipped: string[]): void {
    if (!conn.sync.isRunning(frameId)) return;
    for (const id of skipped) this.streams.forget(id);
    this.skipGaps(conn.sync.done(hasMore, skipped, (id) => this.streams.cursor(id) !== undefined));
    this.pump();
    this.checkCaughtUp(conn);
  }

  /** No sync covers these conversations any more: a gap the server did not fill is skipped (and reported). */
  private skipGaps(ids: string[]): void {
    for (const id of ids) {
      const skip = this.streams.skipGap(id);
      if (!skip) continue;
      this.emitter.emit('error', new Error(`conversation ${id}: events ${skip.from}-${skip.to} were not delivered by sync; skipped`));
      for (const ev of skip.deliver) this.emitEvent(ev);
    }
  }

  private queueSync(conn: Conn, ids: string[]): void {
    conn.sync.add(ids);
    this.pump();
  }

  private checkCaughtUp(conn: Conn): void {
    if (!conn.ready || !conn.catchingUp || !conn.sync.idle || this.conn !== conn) return;
    conn.catchingUp = false;
    conn.progressed = true;
    this.failures = 0;
    this.setState('online');
    this.emitter.emit('synced', { reconnect: conn.reconnect, skipped: [...conn.sync.skipped] });
  }

  /** Writes what is waiting and may go now: the next sync, reads, then sends; wakes later for the rest. */
  private pump(): void {
    const conn = this.conn;
    if (!conn?.ready || conn.ws.readyState !== OPEN) return;
    const now = Date.now();
    const syncDue = conn.sync.ready && now >= conn.syncNotBefore;
    if (syncDue && conn.pacer.take(now)) {
      const frameId = `s${++this.frameSeq}`;
      const cursors = conn.sync.next(frameId, (id) => this.streams.cursor(id));
      if (cursors) this.write(conn, { type: 'sync', id: frameId, cursors });
    }
    for (const [conversationId, seq] of [...this.pendingReads]) {
      if (!conn.pacer.take(now)) break;
      this.pendingReads.delete(conversationId);
      this.write(conn, { type: 'read', conversationId, seq });
    }
    this.outbox.expire(now, this.ackTimeoutMs);
    for (const info of this.outbox.due(now, this.maxInFlight)) {
      if (!conn.pacer.take(now)) break;
      const frameId = `m${++this.frameSeq}`;
      if (!this.write(conn, this.sendFrame(info, frameId))) break;
      this.outbox.markSent(info, frameId, now);
    }
    let next = this.outbox.nextWake(this.ackTimeoutMs) ?? Infinity;
    const waiting = this.pendingReads.size > 0 || this.outbox.due(now, this.maxInFlight).length > 0 || syncDue;
    if (waiting) next = Math.min(next, now + Math.max(10, conn.pacer.waitMs(now)));
    if (conn.sync.ready && !syncDue) next = Math.min(next, conn.syncNotBefore);
    if (next !== Infinity) this.wake(next);
    this.checkCaughtUp(conn);
  }

  private sendFrame(
    info: Pick<PendingSend, 'conversationId' | 'body' | 'clientMsgId'> & Pick<SendOptions, 'replyTo' | 'attachmentIds' | 'threadId' | 'alsoInConversation'>,
    frameId: string,
  ): Record<string, unknown> {
    return {
      type: 'message.send',
      id: frameId,
      conversationId: info.conversationId,
      body: info.body,
      clientMsgId: info.clientMsgId,
      ...(info.replyTo ? { replyTo: info.replyTo } : {}),
      ...(info.attachmentIds && info.attachmentIds.length > 0 ? { attachmentIds: info.attachmentIds } : {}),
      ...(info.threadId ? { threadId: info.threadId, ...(info.alsoInConversation ? { alsoInConversation: true } : {}) } : {}),
    };
  }

  private write(conn: Conn, frame: Record<string, unknown>): boolean {
    if (conn.ws.readyState !== OPEN) return false;
    try {
      conn.ws.send(JSON.stringify(frame));
      return true;
    } catch (err) {
      this.emitter.emit('error', asError(err));
      return false;
    }
  }

  private wake(at: number): void {
    if (this.wakeTimer && at >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.pump();
    }, Math.max(0, at - Date.now()));
  }

  /** The socket is silent: drop it without waiting for a close that may never come, and reconnect. */
  private dead(conn: Conn, why: string): void {
    this.teardown(conn);
    try {
      // 'ws' can drop the TCP connection at once; a browser socket can only be closed.
      const terminate = (conn.ws as { terminate?: () => void }).terminate;
      if (typeof terminate === 'function') terminate.call(conn.ws);
      else conn.ws.close(CLOSE_DEAD, why.slice(0, 100));
    } catch {
      // Closing a dead socket may throw in some implementations; it is dropped either way.
    }
    this.emitter.emit('error', new Error(`connection lost: ${why}`));
    this.retryAfterClose(conn, CLOSE_DEAD, why);
  }

  private closed(conn: Conn, code: number, reason: string): void {
    this.teardown(conn);
    if (code === CLOSE_UNAUTHORIZED) {
      this.started = false;
      this.clearRetry();
      this.setState('closed');
      this.emitter.emit('authFailed', { code, reason });
      return;
    }
    if (code === CLOSE_PROTOCOL_UNSUPPORTED) {
      this.started = false;
      this.clearRetry();
      this.setState('closed');
      this.emitter.emit('outdated', { code, reason, message: conn.refusal });
      return;
    }
    this.retryAfterClose(conn, code, reason);
  }

  /**
   * Schedules the next attempt and says why the connection went: the backoff keeps growing while
   * connections make no progress (no event delivered, no catch-up finished), and a refusal's
   * retryAfter is waited out.
   */
  private retryAfterClose(conn: Conn, code: number, reason: string): void {
    if (conn.progressed) this.failures = 0;
    const waitMs = conn.refusedWith?.retryAfter !== undefined ? Math.min(conn.refusedWith.retryAfter, 300) * 1000 : 0;
    this.scheduleRetry(waitMs);
    if (!this.started) return;
    this.emitter.emit('disconnected', {
      code,
      reason,
      message: describeClose(code, reason, conn.refusedWith?.message ?? null),
      retryAt: this.retryAtValue,
      attempt: this.failures,
    });
  }

  /** Forgets a socket: its handlers go quiet, in-flight sends wait for the next one. */
  private teardown(conn: Conn): void {
    if (this.conn === conn) this.conn = null;
    conn.ready = false;
    conn.ws.onopen = noop;
    conn.ws.onmessage = noop;
    conn.ws.onclose = noop;
    conn.ws.onerror = noop; // an error event with no listener would throw in 'ws'
    conn.heartbeat.stop();
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.wakeAt = Infinity;
    this.outbox.disconnected();
  }

  private scheduleRetry(atLeastMs = 0): void {
    if (!this.started) {
      this.setState('closed');
      return;
    }
    const backoff = backoffDelay(this.failures, { minMs: this.minMs, maxMs: this.maxMs, jitter: this.jitter });
    const delay = Math.max(backoff, Math.round(atLeastMs * (1 + this.jitter * Math.random())));
    this.failures++;
    this.retryAtValue = Date.now() + delay;
    this.setState('offline');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryAtValue = null;
      if (this.started) this.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAtValue = null;
  }

  private setState(state: RealtimeState): void {
    const previous = this.stateValue;
    if (previous === state) return;
    this.stateValue = state;
    this.emitter.emit('state', { state, previous });
  }
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
