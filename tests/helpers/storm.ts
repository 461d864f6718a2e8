/**
 * A reconnect storm: many sockets (the real client library, ParleyRealtime, over loopback) come
 * back at once, each with cursors behind by `missed` events, and sync. Measures the time until
 * all are synced, the most syncs the server ran at once, the back-offs it sent, peak RSS and
 * the slowest /healthz meanwhile. Used by tests/ws/reconnect-storm.test.ts (CI form) and by
 * `npm run storm` (long form). The server runs in this process, on the test database
 * (PGlite, or PostgreSQL with TEST_DATABASE_URL).
 */
import WebSocket from 'ws';
import { ParleyRealtime } from '../../src/client/realtime.js';
import type { WebSocketConstructor } from '../../src/client/types.js';
import { DEFAULT_GATEWAY_OPTIONS, type Gateway } from '../../src/realtime/gateway.js';
import { auth, register } from './app.js';
import { startTestServer } from './ws.js';

export interface StormOptions {
  sockets: number;
  /** Events each socket missed per conversation. */
  missed: number;
  /** Conversations (groups) every user belongs to. */
  conversations?: number;
  /** Users the sockets are spread over. */
  users?: number;
  /** The gateway's sync concurrency and queue (defaults: the server's). */
  syncConcurrency?: number;
  syncQueue?: number;
  /** Give up after this long. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface StormResult {
  sockets: number;
  conversations: number;
  missed: number;
  database: string;
  /** From the first connect until every socket is ready. */
  allConnectedMs: number;
  /** From the syncs' start (all at once) until every socket has every missed event. */
  allSyncedMs: number;
  synced: number;
  /** Events delivered in all (each socket: missed × conversations). */
  events: number;
  /** Sockets that lost their connection after ready (closed by the server, or by an error). */
  dropped: number;
  /** Events out of order, repeated or missing, over all sockets. */
  wrongEvents: number;
  peakSyncsRunning: number;
  syncConcurrency: number;
  backoffsSent: number;
  backoffsSeen: number;
  /** Syncs a client sent again before the back-off it was given was over (the client must honour it). */
  earlyRetries: number;
  maxRetryAfterS: number;
  rssBeforeMb: number;
  peakRssMb: number;
  maxHealthzMs: number;
  /**
   * The most CPU this process spent (all its threads) while one /healthz was on its way: the work
   * the server and its clients put ahead of the answer, whatever else runs on the machine. On two
   * cores shared with other test files the wall time above grows with their load (252 ms alone,
   * up to 3.3 s in full suites); this does not.
   */
  maxHealthzCpuMs: number;
}

export async function runStorm(opts: StormOptions): Promise<StormResult> {
  const log = opts.log ?? (() => undefined);
  const G = opts.conversations ?? 2;
  const U = Math.min(opts.users ?? 20, opts.sockets);
  const gateway = {
    // Many sockets per user (a storm of 10,000 over 50 users): past the per-user cap on purpose.
    connectionsPerUser: Math.ceil(opts.sockets / U),
    ...(opts.syncConcurrency === undefined ? {} : { syncConcurrency: opts.syncConcurrency }),
    ...(opts.syncQueue === undefined ? {} : { syncQueue: opts.syncQueue }),
  };
  const server = await startTestServer({}, { gateway });
  const clients: ParleyRealtime[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const { app } = server;
    const users: Awaited<ReturnType<typeof register>>[] = [];
    for (let i = 0; i < U; i++) users.push(await register(app));
    const owner = users[0]!;
    const groups: string[] = [];
    for (let g = 0; g < G; g++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/groups',
        headers: auth(owner.token),
        payload: { name: `storm ${g}`, memberIds: users.slice(1).map((u) => u.user.id) },
      });
      if (res.statusCode !== 201) throw new Error(`group: ${res.statusCode} ${res.body}`);
      groups.push((res.json() as { id: string }).id);
    }
    // What everyone missed while away: `missed` messages in each conversation, from seq 1.
    for (const id of groups) {
      for (let m = 0; m < opts.missed; m++) {
        const who = users[m % U]!;
        const res = await app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: auth(who.token), payload: { body: `missed ${m} 错过了`, clientMsgId: `m${m}` } });
        if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`);
      }
    }
    log(`set up: ${U} users, ${G} conversations, ${opts.missed} missed events each (${server.database.kind})`);

    // Monitors: RSS, /healthz latency, the gateway's sync gate.
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    timers.push(setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100));
    let maxHealthzMs = 0;
    let maxHealthzCpuMs = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        // A storm that failed closes the server under the prober: it stops, the failure is the storm's.
        const res = await fetch(`${server.httpUrl}/healthz`).catch(() => null);
        if (!res) break;
        await res.arrayBuffer();
        const cpu = process.cpuUsage(cpu0);
        maxHealthzMs = Math.max(maxHealthzMs, performance.now() - t0);
        maxHealthzCpuMs = Math.max(maxHealthzCpuMs, (cpu.user + cpu.system) / 1000);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    let synced = 0;
    let connected = 0;
    let dropped = 0;
    let wrongEvents = 0;
    let events = 0;
    let backoffsSeen = 0;
    let maxRetryAfterS = 0;
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const t0 = performance.now();
    let allConnectedAt = t0;
    let lastSyncedAt = t0;
    let onSynced: () => void = () => undefined;
    let onConnected: () => void = () => undefined;
    const allSynced = new Promise<void>((resolve) => (onSynced = resolve));
    const allConnected = new Promise<void>((resolve) => (onConnected = resolve));
    const deadline = new Promise<never>((_, reject) => {
      timers.push(setTimeout(() => reject(new Error(`storm not over within ${timeoutMs} ms: ${connected} connected, ${synced} synced of ${opts.sockets}`)), timeoutMs));
    });
    let earlyRetries = 0;
    for (let i = 0; i < opts.sockets; i++) {
      const user = users[i % U]!;
      // When the server last told this client to back off, and until when.
      let notBefore = 0;
      // The client's socket, watched: a sync written before the back-off is over is counted.
      class WatchedSocket extends WebSocket {
        override send(data: unknown, ...rest: unknown[]): void {
          if (typeof data === 'string' && data.startsWith('{"type":"sync"') && Date.now() < notBefore) earlyRetries++;
          (super.send as (...a: unknown[]) => void)(data, ...rest);
        }
      }
      const rt = new ParleyRealtime({
        url: server.wsUrl,
        token: user.token,
        WebSocket: WatchedSocket as unknown as WebSocketConstructor,
        backoff: { minMs: 500, maxMs: 10_000 },
      });
      const next = new Map(groups.map((id) => [id, 1]));
      let ready = false;
      let complete = false;
      rt.on('event', (ev) => {
        events++;
        if (ev.seq !== next.get(ev.conversationId)) wrongEvents++;
        next.set(ev.conversationId, ev.seq + 1);
        if (!complete && groups.every((id) => next.get(id) === opts.missed + 1)) {
          complete = true;
          synced++;
          lastSyncedAt = performance.now();
          if (synced % Math.max(1, Math.floor(opts.sockets / 5)) === 0) log(`synced ${synced}/${opts.sockets} at ${Math.round(lastSyncedAt - t0)} ms`);
          if (synced === opts.sockets) onSynced();
        }
      });
      rt.on('frame', (f) => {
        const err = f.type === 'error' ? (f.error as { code?: string; details?: { retryAfter?: number } }) : null;
        if (err?.code === 'rate_limited' || err?.code === 'unavailable') {
          backoffsSeen++;
          maxRetryAfterS = Math.max(maxRetryAfterS, err.details?.retryAfter ?? 0);
          notBefore = Date.now() + (err.details?.retryAfter ?? 0) * 1000 - 20;
        }
      });
      rt.on('error', () => undefined);
      rt.on('state', ({ state }) => {
        if (state === 'offline' && ready) dropped++;
      });
      rt.on('ready', () => {
        if (ready) return;
        ready = true;
        connected++;
        if (connected === opts.sockets) {
          allConnectedAt = performance.now();
          log(`all ${connected} connected at ${Math.round(allConnectedAt - t0)} ms`);
          onConnected();
        }
      });
      clients.push(rt);
    }
    // The storm: every socket connects at once; once all are back, every one syncs what it
    // missed at once (a client resumes its conversations from its cursors).
    // (In slices of 50 per turn of the loop: the clients share this process with the server, and
    // opening thousands of sockets in one synchronous loop would stall it on the clients' side.)
    const slices = async (each: (rt: ParleyRealtime) => void) => {
      for (let i = 0; i < clients.length; i += 50) {
        for (const rt of clients.slice(i, i + 50)) each(rt);
        await new Promise((r) => setImmediate(r));
      }
    };
    await slices((rt) => rt.start());
    await Promise.race([allConnected, deadline]);
    const t1 = performance.now();
    await slices((rt) => {
      for (const id of groups) rt.follow(id, 0);
    });
    await Promise.race([allSynced, deadline]);
    const allSyncedMs = lastSyncedAt - t1;
    // A moment more: a socket dropped right after syncing would show now.
    await new Promise((r) => setTimeout(r, 500));
    probing = false;
    await prober;
    const stats = (server.app as unknown as { gateway: Gateway }).gateway.syncStats;
    return {
      sockets: opts.sockets,
      conversations: G,
      missed: opts.missed,
      database: server.database.kind,
      allConnectedMs: Math.round(allConnectedAt - t0),
      allSyncedMs: Math.round(allSyncedMs),
      synced,
      events,
      dropped,
      wrongEvents,
      peakSyncsRunning: stats.peakRunning,
      syncConcurrency: opts.syncConcurrency ?? DEFAULT_GATEWAY_OPTIONS.syncConcurrency,
      backoffsSent: stats.refused,
      backoffsSeen,
      earlyRetries,
      maxRetryAfterS,
      rssBeforeMb: Math.round(rssBefore / 2 ** 20),
      peakRssMb: Math.round(peakRss / 2 ** 20),
      maxHealthzMs: Math.round(maxHealthzMs),
      maxHealthzCpuMs: Math.round(maxHealthzCpuMs),
    };
  } finally {
    for (const t of timers) clearInterval(t);
    for (const rt of clients) rt.stop();
    await server.close();
  }
}
