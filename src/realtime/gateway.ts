import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { toAppError } from '../core/errors.js';
import { AppError, errorBody } from '../core/errors.js';
import { parseUntrustedJson } from '../core/json.js';
import { requestContext } from '../core/request-context.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Bus } from '../events/bus.js';
import { AuthFrame, CLIENT_FRAMES, WS_PATH, MAX_FRAME_BYTES, MAX_SYNC_CURSORS, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, type ClientFrameType } from '../protocol/frames.js';
import { SERVER_VERSION } from '../core/version.js';
import { scopesOf } from '../protocol/token-scopes.js';
import { CLOSE_PROTOCOL_UNSUPPORTED, CLOSE_TOO_MANY_CONNECTIONS, CLOSE_UNAUTHORIZED } from '../protocol/close-codes.js';
import type { Services } from '../services/index.js';
import { Connection, type ConnectionLimits } from './connection.js';
import { createEventWriter, createFanout } from './fanout.js';
import { DEFAULT_SEQUENCER_OPTIONS, NodeSequencer, type SequencerOptions } from './sequencer.js';
import { HANDLERS } from './handlers/index.js';
import type { HandlerContext } from './handlers/context.js';
import type { PresenceTracker } from './presence.js';
import type { Rate } from '../core/config.js';
import { limiterFor, RateLimiter, type RateLimit } from '../core/rate-limiter.js';
import { Semaphore } from '../core/semaphore.js';
import { ConnectionRegistry } from './registry.js';
import { SyncGate, type SyncGateStats } from './sync-gate.js';
import { closeExpiredSockets, handshakeActor } from './session-auth.js';

export { CLOSE_PROTOCOL_UNSUPPORTED, CLOSE_TOO_MANY_CONNECTIONS, CLOSE_UNAUTHORIZED };
/** Service restart: events may have been lost and the connection cannot repair it: reconnect and sync. */
export const CLOSE_RESYNC = 1012;
/** Users whose positions are read at once while catching up after a bus reset. */
const CATCH_UP_CONCURRENCY = 4;
/** Sync frames one connection may have waiting. */
const MAX_QUEUED_SYNCS = 4;
/** Frames a client may send after `auth` before `ready` comes back. */
const MAX_PENDING_FRAMES = 100;
/** Seconds a client refused for too many connections is told to wait before trying again. */
const TOO_MANY_RETRY_AFTER = 10;

export interface GatewayOptions {
  authTimeoutMs: number;
  heartbeatMs: number;
  syncBudget: number;
  /**
   * Bytes of events one sync frame replays at most (at least one event): a frame's answer stays
   * within what a socket may hold, and a slow reader holds a sync slot for that much at a time.
   */
  syncBudgetBytes: number;
  /** Sync frames served at once over all connections (a reconnect storm waits its turn). */
  syncConcurrency: number;
  /** Sync frames that may wait for a turn; past it a sync is refused with a back-off hint. */
  syncQueue: number;
  limits: ConnectionLimits;
  rateLimit: boolean;
  /** Frames per connection (RATE_LIMIT_FRAMES_PER_CONNECTION); null = unlimited. */
  frameRate: Rate | null;
  /** The app's per-user send limiter, shared with REST sends (and with every node over Redis); null = unlimited. */
  sendLimiter: RateLimit | null;
  /** The oldest client protocol served (MIN_PROTOCOL_VERSION; tests raise it to play a newer server). */
  minProtocol: number;
  /** How often open sockets' sessions are checked (expired ones close with 4401); default 60 s. */
  sessionCheckMs?: number;
  /** The node's ordering of live events before fan-out. */
  sequencer?: SequencerOptions;
  /** Open sockets one user may have on this node (WS_CONNECTIONS_PER_USER); one more is refused with 4429. */
  connectionsPerUser: number;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  authTimeoutMs: 10_000,
  // A socket that misses two pings in a row is reaped: within 60 s.
  heartbeatMs: 25_000,
  syncBudget: 1000,
  syncBudgetBytes: 4 * 1024 * 1024,
  syncConcurrency: 8,
  syncQueue: 512,
  limits: {
    maxBufferedBytes: 4 * 1024 * 1024,
    writeBufferBytes: 512 * 1024,
    stallMs: 15_000,
    closeGraceMs: 5_000,
    maxHeldEvents: 256,
    fillPage: 200,
  },
  rateLimit: true,
  frameRate: { count: 100, perSeconds: 1, burst: 200 },
  sendLimiter: null,
  minProtocol: MIN_PROTOCOL_VERSION,
  connectionsPerUser: 20,
};

/**
 * Each client frame's validator, compiled when the first frame of its kind comes (the first
 * compile also compiles Ajv's meta-schema): compiling them all at start-up cost ~60 ms of the start.
 */
let ajv: Ajv | null = null;
type Validate = ReturnType<Ajv['compile']>;
const compiled = new Map<ClientFrameType | 'auth', Validate>();
function validatorFor(type: ClientFrameType | 'auth'): Validate {
  let validate = compiled.get(type);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: false, strict: false, coerceTypes: false });
    validate = ajv.compile(type === 'auth' ? AuthFrame : CLIENT_FRAMES[type]);
    compiled.set(type, validate);
  }
  return validate;
}

/** A client frame type this server knows. */
function isClientFrameType(type: unknown): type is ClientFrameType {
  return typeof type === 'string' && Object.hasOwn(CLIENT_FRAMES, type);
}

/**
 * The WebSocket gateway at /api/v1/ws: handshake, frames, heartbeats, and delivery of bus
 * messages to this node's sockets. It calls services; it never writes SQL.
 */
export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly heartbeat: NodeJS.Timeout;
  private readonly sessionCheck: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  /** Puts each conversation's live events in seq order once for the node, before fan-out. */
  readonly sequencer: NodeSequencer;
  private readonly ctx: HandlerContext;
  private readonly frameLimiter: RateLimiter;
  private readonly syncGate: SyncGate;
  /** Handshakes checked at once (never refused: they wait), so a storm of them cannot starve the loop. */
  private readonly handshakes: SyncGate;
  /** The connections' limits: the defaults under what the options set (an older caller may set only some). */
  private readonly limits: ConnectionLimits;

  constructor(
    readonly registry: ConnectionRegistry,
    private readonly services: Services,
    private readonly tracker: PresenceTracker,
    bus: Bus,
    private readonly logger: Logger,
    private readonly opts: GatewayOptions,
    private readonly metrics: Metrics,
  ) {
    this.sequencer = new NodeSequencer(
      (conversationId, after, limit) => services.messages.replay(conversationId, after, limit),
      createEventWriter(this.registry, metrics),
      logger,
      metrics,
      { ...DEFAULT_SEQUENCER_OPTIONS, fillPage: opts.limits.fillPage, ...opts.sequencer },
      (conversationId) => services.conversations.memberIds(conversationId),
    );
    this.unsubscribe = bus.subscribe(createFanout(this.registry, metrics, this.sequencer, () => this.catchUpAll()));
    this.ctx = {
      services,
      metrics,
      logger,
      syncBudget: opts.syncBudget,
      syncBudgetBytes: opts.syncBudgetBytes,
      // Typing: a burst of 3, then one every 2 s, per user and conversation. Counted on this node
      // (a typing frame is ephemeral and frequent: no Redis round trip for it), as frames are.
      typingLimiter: new RateLimiter(3, 0.5, opts.rateLimit),
      sendLimiter: opts.sendLimiter,
    };
    // Frames per connection: by default a burst of 200, then 100 a second. Always counted here,
    // never in Redis: a connection lives on one node, and this check runs on every frame.
    this.frameLimiter = limiterFor(opts.frameRate, opts.rateLimit);
    this.limits = { ...DEFAULT_GATEWAY_OPTIONS.limits, ...opts.limits };
    this.syncGate = new SyncGate(opts.syncConcurrency, opts.syncQueue);
    this.handshakes = new SyncGate(opts.syncConcurrency, Number.MAX_SAFE_INTEGER);
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
    this.sessionCheck = setInterval(
      () => void closeExpiredSockets(this.registry, this.services, this.logger, CLOSE_UNAUTHORIZED),
      opts.sessionCheckMs ?? 60_000,
    );
    this.sessionCheck.unref();
  }

  /** Routes HTTP upgrades of the app's server to the gateway. */
  attach(app: FastifyInstance): void {
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.closing) {
        // Draining: a load balancer moves the handshake to another node (proxy_next_upstream).
        socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    });
  }

  private accept(ws: WebSocket, req?: IncomingMessage): void {
    let conn: Connection | null = null;
    /** Frames that arrive while the auth frame is checked: handled in order once ready. */
    let pending: { data: RawData; isBinary: boolean }[] | null = null;
    const timer = setTimeout(() => ws.close(CLOSE_UNAUTHORIZED, 'authenticate within 10 s'), this.opts.authTimeoutMs);
    ws.on('pong', () => {
      if (conn) conn.alive = true;
    });
    ws.on('error', (err) => this.logger.debug({ err, connectionId: conn?.id }, 'socket error'));
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!conn) return;
      conn.closed = true;
      this.logger.debug({ connectionId: conn.id, userId: conn.userId, code }, 'socket closed');
      if (this.registry.remove(conn)) this.tracker.disconnected(conn.userId);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (conn) {
        this.receive(conn, data, isBinary);
        return;
      }
      if (pending) {
        if (pending.length >= MAX_PENDING_FRAMES) ws.close(1008, 'too many frames before ready');
        else pending.push({ data, isBinary });
        return;
      }
      pending = [];
      // The client sent its auth frame in time; checking it may take longer in a storm.
      clearTimeout(timer);
      this.handshakes.admit();
      this.handshakes.run(() => this.authenticate(ws, data, isBinary, req)).then(
        ({ connection, cursors }) => {
          clearTimeout(timer);
          conn = connection;
          if (cursors) this.queueSync(connection, { type: 'sync', cursors });
          for (const p of pending ?? []) this.receive(connection, p.data, p.isBinary);
          pending = null;
        },
        (err: unknown) => {
          clearTimeout(timer);
          const [code, reason] = handshakeClose(err);
          if (code === CLOSE_UNAUTHORIZED) this.logger.debug({ err }, 'websocket authentication refused');
          else if (code === CLOSE_PROTOCOL_UNSUPPORTED || code === CLOSE_TOO_MANY_CONNECTIONS) {
            this.logger.info({ err }, code === CLOSE_TOO_MANY_CONNECTIONS ? 'websocket refused: too many connections for the user' : 'websocket client too old for this server');
            // The reason in a close frame is short; the error frame says it in full.
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', error: errorBody(err as AppError).error }));
          } else this.logger.warn({ err, code }, 'websocket handshake failed');
          ws.close(code, reason);
        },
      );
    });
  }

  /** The first frame must be `auth` with a valid token; then `ready` (the cursors' sync follows). */
  private async authenticate(
    ws: WebSocket,
    data: RawData,
    isBinary: boolean,
    req?: IncomingMessage,
  ): Promise<{ connection: Connection; cursors: Record<string, number> | undefined }> {
    const frame = isBinary ? null : parse(data);
    if (!frame || frame instanceof AppError || (frame as { type?: unknown }).type !== 'auth') {
      throw new AppError('unauthorized', 'the first frame must be auth');
    }
    if (!validatorFor('auth')(frame)) {
      // An auth frame with a token but, say, too many cursors: the client's bug, not a bad token.
      const tokenOk = typeof (frame as { token?: unknown }).token === 'string';
      throw new AppError(tokenOk ? 'validation_failed' : 'unauthorized', `invalid auth frame (at most ${MAX_SYNC_CURSORS} cursors)`);
    }
    const auth = frame as AuthFrame;
    // Checked before the token: a client too old to be served must reload whoever it is.
    if ((auth.protocol ?? 1) < this.opts.minProtocol) {
      throw new AppError(
        'protocol_unsupported',
        `this client speaks protocol ${auth.protocol ?? 1}; the server needs ${this.opts.minProtocol}-${PROTOCOL_VERSION}: reload the client`,
      );
    }
    // A bearer token, or (without one) the web client's cookie from a same-origin page.
    const actor = await handshakeActor(this.services, auth.token, req);
    this.checkConnectionCap(actor.user.id);
    const source = (conversationId: string, after: number, limit: number) => this.services.messages.replay(conversationId, after, limit);
    // Where each conversation stood at ready: live events start after it, a sync below it replays.
    const positions = await this.services.conversations.positions(actor);
    const baselines = new Map([...positions].map(([id, p]) => [id, p.lastSeq]));
    const joinedSeq = (conversationId: string) => this.services.conversations.joinedSeq(actor, conversationId);
    // A socket that closed meanwhile must not be registered: its close handler has already run
    // and would never remove it.
    if (ws.readyState !== ws.OPEN) throw new AppError('unauthorized', 'closed during authentication');
    const conn = new Connection(newId(), ws, actor, source, joinedSeq, this.limits, this.logger, baselines);
    conn.onGapFill = () => this.metrics.gapFills.inc({ by: 'connection' });
    // Hold the cursors' conversations before the first live event can reach the connection, and
    // every frame until `ready` has gone first.
    for (const id of Object.keys(auth.cursors ?? {})) conn.pause(id);
    conn.holdUntilReady();
    // Again, with no await before the add: handshakes of one user racing cannot pass the cap together.
    this.checkConnectionCap(actor.user.id);
    if (this.registry.add(conn)) this.tracker.connected(actor.user.id);
    // A logout or deactivation whose revoke reached this node while we were authenticating
    // found no socket to close: look again, now that a later revoke would find this one.
    // Until this returns, the socket's close handler does not know the connection: unregister it here.
    const unregister = (): void => {
      if (this.registry.remove(conn)) this.tracker.disconnected(actor.user.id);
    };
    let live: boolean;
    try {
      live = (await this.services.accounts.liveTokens([actor.tokenHash])).has(actor.tokenHash);
    } catch (err) {
      unregister();
      throw err;
    }
    if (!live || ws.readyState !== ws.OPEN) {
      unregister();
      throw new AppError('unauthorized', live ? 'closed during authentication' : 'token revoked during authentication');
    }
    this.metrics.wsConnectionsOpened.inc();
    conn.open({ type: 'ready', user: this.services.accounts.me(actor), connectionId: conn.id, protocol: PROTOCOL_VERSION, minProtocol: this.opts.minProtocol, serverVersion: SERVER_VERSION });
    this.logger.debug({ connectionId: conn.id, userId: actor.user.id }, 'socket ready');
    return { connection: conn, cursors: auth.cursors };
  }

  /**
   * Refuses a handshake when the user already has `connectionsPerUser` sockets open on this node:
   * an error frame says so (code rate_limited, details.reason too_many_connections, the limit and
   * retryAfter), then close 4429. Counted per node: with several nodes a user may have that many on each.
   */
  private checkConnectionCap(userId: string): void {
    const limit = this.opts.connectionsPerUser;
    if (this.registry.openCount(userId) < limit) return;
    throw new AppError(
      'rate_limited',
      `too many open connections: this account may have ${limit} on this server; close another tab or device, or try again later`,
      { reason: 'too_many_connections', limit, retryAfter: TOO_MANY_RETRY_AFTER },
    );
  }

  /** A frame of a ready connection: rate-limited; syncs run one after another per connection. */
  private receive(conn: Connection, data: RawData, isBinary: boolean): void {
    conn.alive = true;
    if (!this.frameLimiter.take(conn.id)) {
      this.metrics.wsFramesReceived.inc({ type: 'rate_limited' });
      // The frame is dropped; its id (when it has one) tells the client which, so it can retry.
      const id = correlationId(isBinary ? null : parse(data));
      const retryAfter = this.frameLimiter.retryAfter(conn.id);
      conn.send({ type: 'error', ...(id === undefined ? {} : { id }), error: { code: 'rate_limited', message: 'too many frames; slow down', details: { retryAfter } } });
      return;
    }
    // Whatever the frame's handling logs (services, repositories) carries the connection's id.
    // A frame's failure is answered on its socket, never left to crash the process.
    requestContext.run({ connectionId: conn.id }, () => this.onFrame(conn, data, isBinary)).catch((err: unknown) => {
      this.logger.error({ err, connectionId: conn.id }, 'frame failed');
      const id = correlationId(isBinary ? null : readableJson(data));
      conn.send({ type: 'error', ...(id === undefined ? {} : { id }), error: { code: 'internal', message: 'internal error' } });
    });
  }

  private async onFrame(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const frame = isBinary ? null : parse(data);
    const type = frameType(frame);
    this.metrics.wsFramesReceived.inc({ type });
    if (frame instanceof AppError) {
      // Refused content (a NUL) in JSON that reads: the reply still names the frame it refuses.
      const id = correlationId(isBinary ? null : readableJson(data));
      conn.send({ type: 'error', ...(id === undefined ? {} : { id }), error: { code: frame.code, message: frame.message } });
      return;
    }
    if (!frame || typeof frame !== 'object' || Array.isArray(frame)) {
      conn.send({ type: 'error', error: { code: 'validation_failed', message: 'a frame is one JSON object with a type' } });
      return;
    }
    const f = frame as Record<string, unknown>;
    // Syncs of one connection run in order: one client cannot run many replays at once.
    if (f.type === 'sync') {
      if (conn.pending >= MAX_QUEUED_SYNCS) {
        const id = typeof f.id === 'string' || typeof f.id === 'number' ? f.id : undefined;
        conn.send({ type: 'error', id, error: { code: 'rate_limited', message: 'too many syncs under way; wait for sync.done' } });
        return;
      }
      this.queueSync(conn, f);
    }
    else await this.dispatch(conn, f);
  }

  /**
   * Queues a sync behind the connection's earlier ones and, over all connections, behind the
   * syncs the node serves at once; when too many wait, refuses it with `rate_limited` and
   * `details.retryAfter` (seconds): the client syncs again after that.
   */
  private queueSync(conn: Connection, frame: Record<string, unknown>): void {
    const place = this.syncGate.admit();
    if (!place.ok) {
      const id = typeof frame.id === 'string' || typeof frame.id === 'number' ? frame.id : undefined;
      this.metrics.wsFramesReceived.inc({ type: 'sync_refused' });
      conn.send({
        type: 'error',
        ...(id === undefined ? {} : { id }),
        error: { code: 'rate_limited', message: 'the server is busy with other syncs; sync again later', details: { retryAfter: place.retryAfter } },
      });
      return;
    }
    conn.enqueue(() => this.syncGate.run(() => this.dispatch(conn, frame)));
  }

  /** Syncs running, waiting, served and refused on this node. */
  get syncStats(): SyncGateStats {
    return this.syncGate.stats;
  }

  private async dispatch(conn: Connection, frame: Record<string, unknown>): Promise<void> {
    const id = typeof frame.id === 'string' || typeof frame.id === 'number' ? frame.id : undefined;
    const type = frame.type as ClientFrameType;
    const validate = isClientFrameType(type) ? validatorFor(type) : undefined;
    if (!validate) {
      conn.send({ type: 'error', id, error: { code: 'validation_failed', message: `unknown frame type: ${typeof type === 'string' ? type.slice(0, 64) : typeof type}` } });
      return;
    }
    if (!validate(frame)) {
      const details = (validate.errors ?? []).map((e) => ({ field: e.instancePath || '/', problem: e.message ?? 'invalid' }));
      conn.send({ type: 'error', id, error: { code: 'validation_failed', message: `invalid ${type} frame`, details } });
      return;
    }
    // Sends, typing and read markers change what others see: an API token needs its `write` scope.
    if (type !== 'sync' && type !== 'ping') {
      const scopes = scopesOf(conn.actor.session);
      if (scopes && !scopes.includes('write')) {
        conn.send({ type: 'error', id, error: { code: 'forbidden', message: 'this API token lacks the "write" scope', details: { requiredScope: 'write' } } });
        return;
      }
    }
    try {
      await HANDLERS[type](conn, frame as never, this.ctx);
    } catch (err) {
      const appErr = toAppError(err as Error);
      if (appErr.status >= 500) this.logger.error({ err, connectionId: conn.id, frame: type }, 'frame failed');
      // A refusal for now (the database is away) carries its Retry-After: details.retryAfter seconds.
      const retryAfter = Number(appErr.headers?.['retry-after']);
      const details = appErr.details ?? (retryAfter > 0 ? { retryAfter } : undefined);
      conn.send({ type: 'error', id, error: { code: appErr.code, message: appErr.message, ...(details === undefined ? {} : { details }) } });
    }
  }

  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;

  /**
   * The bus may have lost messages (it reconnected): every connection is filled up to each of
   * its conversations' last seq from the database. One pass at a time; a reset during a pass
   * runs another after it.
   */
  private catchUpAll(): void {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = this.catchUp().finally(() => {
      this.catchingUp = null;
      if (this.catchUpAgain) {
        this.catchUpAgain = false;
        this.catchUpAll();
      }
    });
  }

  private async catchUp(): Promise<void> {
    this.logger.info({ connections: this.registry.size }, 'catching connections up after a bus reset');
    // A revoke (logout, deactivation) lost with the bus left its sockets open: close them now.
    try {
      const all = [...this.registry.all()];
      const live = await this.services.accounts.liveTokens([...new Set(all.map((c) => c.actor.tokenHash))]);
      for (const c of all) if (!live.has(c.actor.tokenHash)) c.close(CLOSE_UNAUTHORIZED, 'token revoked');
    } catch (err) {
      this.logger.warn({ err }, 'checking tokens after a bus reset failed');
    }
    const users = [...this.registry.users()].map(([userId, conns]) => ({ userId, conns: [...conns] }));
    const limit = new Semaphore(CATCH_UP_CONCURRENCY);
    await Promise.all(
      users.map(({ userId, conns }) =>
        limit.run(async () => {
          const open = conns.filter((c) => !c.closed);
          if (open.length === 0) return;
          try {
            const positions = await this.services.conversations.positions(open[0]!.actor);
            const fills: Promise<void>[] = [];
            for (const c of open) {
              const filling = c.catchUp(positions);
              if (filling === false) c.close(CLOSE_RESYNC, 'conversations changed while events were lost: reconnect and sync');
              else fills.push(filling);
            }
            // Within the semaphore: a reset never starts more fills than it can serve at once.
            await Promise.all(fills);
          } catch (err) {
            this.logger.warn({ err, userId }, 'catching up failed; closing so the clients resync');
            for (const c of open) c.close(CLOSE_RESYNC, 'reconnect and sync');
          }
        }),
      ),
    );
  }

  private beat(): void {
    for (const conn of this.registry.all()) {
      if (!conn.alive) {
        this.logger.debug({ connectionId: conn.id }, 'reaping a dead socket');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  get connections(): number {
    return this.registry.size;
  }

  /** Closes every socket with 1001 (going away) and stops. */
  private closing = false;

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    clearInterval(this.sessionCheck);
    this.unsubscribe();
    this.sequencer.close();
    this.ctx.typingLimiter.close();
    this.frameLimiter.close();
    const closing: Promise<void>[] = [];
    for (const ws of this.wss.clients) {
      closing.push(new Promise((resolve) => ws.once('close', () => resolve())));
      ws.close(1001, 'server shutting down');
    }
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2000))]);
    for (const ws of this.wss.clients) ws.terminate();
    // Terminated sockets' close events come later: take them off now, so presence sees them go.
    for (const conn of [...this.registry.all()]) {
      conn.closed = true;
      if (this.registry.remove(conn)) this.tracker.disconnected(conn.userId);
    }
    await this.catchingUp;
    await this.tracker.close();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * How a failed handshake closes: 4401 only when the token is missing, bad or revoked (the client
 * must not retry with it); 1008 for a malformed auth frame; 1013 (try again later) when the
 * server could not check it (the database is away), so clients retry.
 */
function handshakeClose(err: unknown): [number, string] {
  if (err instanceof AppError) {
    if (err.code === 'unauthorized') return [CLOSE_UNAUTHORIZED, 'unauthorized'];
    if (err.code === 'validation_failed') return [1008, err.message.slice(0, 120)];
    if (err.code === 'protocol_unsupported') return [CLOSE_PROTOCOL_UNSUPPORTED, 'protocol unsupported: reload the client'];
    if (err.code === 'rate_limited') return [CLOSE_TOO_MANY_CONNECTIONS, 'too many connections for this user'];
  }
  return [1013, 'try again later'];
}

/** A frame's type as a metrics label: one of the client frame types, or "invalid". */
function frameType(frame: unknown): string {
  const type = frame && typeof frame === 'object' ? (frame as { type?: unknown }).type : undefined;
  return isClientFrameType(type) ? type : 'invalid';
}

function correlationId(frame: unknown): string | number | undefined {
  if (!frame || typeof frame !== 'object') return undefined;
  const id = (frame as { id?: unknown }).id;
  return (typeof id === 'string' && id.length <= 128) || typeof id === 'number' ? id : undefined;
}

const frameText = (data: RawData): string =>
  Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');

/**
 * A frame's JSON read as it is, refused content and all (null if it is not JSON): only to find
 * the `id` an error frame echoes when parse() refused the frame.
 */
function readableJson(data: RawData): unknown {
  try {
    return JSON.parse(frameText(data));
  } catch {
    return null;
  }
}

/** A frame's JSON, or the AppError saying why it is not acceptable. */
function parse(data: RawData): unknown {
  const text = frameText(data);
  try {
    return parseUntrustedJson(text);
  } catch (err) {
    return err as AppError;
  }
}
