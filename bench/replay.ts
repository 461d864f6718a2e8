/**
 * A large replay (issue 26): BENCH_REPLAY_CLIENTS (100) members of one group were away while
 * BENCH_REPLAY_EVENTS (10,000) messages of about 8 KB went into it (80 MB of events, 8 GB for
 * all of them); they all reconnect at once with their cursor in `auth`, and sync on while
 * `hasMore`, until each has every event. Printed: the time until all are caught up and the
 * server's peak resident memory (sampled every 50 ms) against its memory before the storm: the
 * replay must go at the clients' pace, not pile up in the server. Baseline in the same run: the
 * same clients reconnecting with nothing missed. A real server process (PGlite, or a scratch
 * database on DATABASE_URL's server), pinned to CPU 0, this process to CPU 1.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { api } from '../tests/helpers/process.js';
import { percentiles, type Scenario } from './lib.js';
import { ALL_CPUS, benchServer, cpuSeconds, openSocket, pin, pool, registerUsers, rssKiB, seconds, sleep, waitIdle, type BenchUser } from './procs.js';

const CLIENTS = Number(process.env.BENCH_REPLAY_CLIENTS ?? 100);
const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 10_000);
/** 7,990 characters: an event of about 8 KB. */
const BODY = 'x'.repeat(7990);
const STORM_TIMEOUT_MS = 900_000;

interface StormResult {
  allSeconds: number;
  perClient: { p50: number; p99: number };
  events: number;
  bytes: number;
  closes: number;
  peakRssMiB: number;
  rssBeforeMiB: number;
  serverCpu: number;
}

/** The `seq` of an event frame, read from its bytes (the bench would spend its CPU parsing 8 GB of JSON). */
function seqOf(data: Buffer): number | null {
  const at = data.indexOf('"seq":');
  if (at < 0) return null;
  let n = 0;
  let i = at + 6;
  for (; i < data.length && data[i]! >= 48 && data[i]! <= 57; i++) n = n * 10 + (data[i]! - 48);
  return i === at + 6 ? null : n;
}

/**
 * One client: connects with `{conv: cursor}`, syncs on while `hasMore`, resolves with its time
 * once it holds `head`. A close before that (the server gave up on it) reconnects from where it
 * got to, and is counted.
 */
function catchUp(base: string, token: string, conv: string, cursor: number, head: number, counters: { events: number; bytes: number; closes: number }): Promise<number> {
  const t0 = performance.now();
  let pos = cursor;
  return new Promise<number>((resolve, reject) => {
    const attempt = (): void => {
      const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws`, { perMessageDeflate: false });
      let done = false;
      ws.on('error', () => undefined);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token, cursors: { [conv]: pos } })));
      ws.on('message', (raw: Buffer) => {
        counters.bytes += raw.length;
        if (raw.length > 1024) {
          const seq = seqOf(raw);
          if (seq === null) return;
          if (seq !== pos + 1) reject(new Error(`seq ${seq} after ${pos}`));
          pos = seq;
          counters.events++;
          return;
        }
        const f = JSON.parse(raw.toString()) as Record<string, unknown>;
        if (typeof f.seq === 'number' && f.conversationId === conv) {
          if (f.seq !== pos + 1) reject(new Error(`seq ${f.seq} after ${pos}`));
          pos = f.seq;
          counters.events++;
        } else if (f.type === 'sync.done') {
          if (f.hasMore) ws.send(JSON.stringify({ type: 'sync', cursors: { [conv]: pos } }));
          else if (pos !== head) reject(new Error(`synced at ${pos}, expected ${head}`));
          else {
            done = true;
            resolve(performance.now() - t0);
            ws.terminate();
          }
        } else if (f.type === 'error') reject(new Error(JSON.stringify(f)));
      });
      ws.on('close', () => {
        if (done) return;
        counters.closes++;
        setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

async function storm(base: string, users: BenchUser[], conv: string, cursor: number, head: number, pid: number): Promise<StormResult> {
  const counters = { events: 0, bytes: 0, closes: 0 };
  const rssBefore = rssKiB(pid);
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssKiB(pid));
  }, 50);
  const cpu0 = cpuSeconds(pid);
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const times = await Promise.race([
      Promise.all(users.map((u) => catchUp(base, u.token, conv, cursor, head, counters))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not every client caught up within ${STORM_TIMEOUT_MS / 1000} s`)), STORM_TIMEOUT_MS);
      }),
    ]);
    return {
      allSeconds: seconds(start),
      perClient: percentiles(times),
      ...counters,
      peakRssMiB: Math.max(peak, rssKiB(pid)) / 1024,
      rssBeforeMiB: rssBefore / 1024,
      serverCpu: cpuSeconds(pid) - cpu0,
    };
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
  }
}

export const replayScenario: Scenario = {
  name: 'replay',
  describe: `a replay of ${EVENTS.toLocaleString('en')} events of 8 KB to ${CLIENTS} reconnecting clients completes with bounded server memory; vs the same clients reconnecting with nothing missed`,
  async run(ctx) {
    const node = await benchServer('replay');
    let unpin = () => {};
    try {
      const { server } = node;
      let t = performance.now();
      const users = await registerUsers(server, CLIENTS, `rp_${Date.now()}_`, 16);
      const g = await api(server, 'POST', '/groups', { name: 'replay 大组', memberIds: users.slice(1).map((u) => u.user.id) }, users[0]!.token);
      if (g.status !== 201) throw new Error(`create group: ${g.status} ${JSON.stringify(g.json)}`);
      const conv = g.json.id as string;
      // Everyone online once, then away: the storm is of reconnecting clients.
      const online = await pool(users, 50, (u) => openSocket(server.base, u.token, { timeoutMs: 60_000 }));
      for (const ws of online) ws.terminate();
      const first = await api(server, 'POST', `/conversations/${conv}/messages`, { body: 'before the outage' }, users[0]!.token);
      const cursor = first.json.seq as number;
      ctx.log(`  ${users.length} users in one group in ${seconds(t).toFixed(0)} s; all disconnect`);

      t = performance.now();
      let head = cursor;
      await pool(
        Array.from({ length: EVENTS }, (_, i) => i),
        16,
        async (i) => {
          const r = await api(server, 'POST', `/conversations/${conv}/messages`, { body: `${i} ${BODY}`.slice(0, 7990), clientMsgId: `r${i}` }, users[i % users.length]!.token);
          if (r.status !== 201) throw new Error(`send: ${r.status} ${JSON.stringify(r.json)}`);
          head = Math.max(head, r.json.seq as number);
        },
      );
      ctx.log(`  ${EVENTS} messages of 8 KB sent (REST) in ${seconds(t).toFixed(0)} s; head seq ${head}`);

      const pinned = pin(node.pid, '0') && pin(process.pid, '1');
      if (pinned) unpin = () => void pin(process.pid, ALL_CPUS);
      ctx.log(pinned ? '  pinned: server on CPU 0, bench on CPU 1' : '  taskset failed: NOT pinned');
      ctx.log(`  server idle after ${(await waitIdle(node.pid)).toFixed(0)} s more`);

      const baseline = await storm(server.base, users, conv, head, head, node.pid);
      ctx.log(`  baseline (nothing missed): all caught up in ${baseline.allSeconds.toFixed(2)} s`);
      ctx.log(`  server idle after ${(await waitIdle(node.pid)).toFixed(0)} s more`);
      await sleep(1000);
      const replay = await storm(server.base, users, conv, cursor, head, node.pid);
      ctx.log(`  replay: all caught up in ${replay.allSeconds.toFixed(1)} s`);

      const row = (label: string, r: StormResult) => ({
        storm: label,
        clients: users.length,
        'events replayed': r.events.toLocaleString('en'),
        'MB received': (r.bytes / 1e6).toFixed(0),
        'all caught up s': r.allSeconds.toFixed(2),
        'per client p50/p99 s': `${(r.perClient.p50 / 1000).toFixed(1)} / ${(r.perClient.p99 / 1000).toFixed(1)}`,
        'server RSS before MiB': r.rssBeforeMiB.toFixed(0),
        'server RSS peak MiB': r.peakRssMiB.toFixed(0),
        'server CPU s': r.serverCpu.toFixed(1),
        'closed and reconnected': r.closes,
      });
      return [row('baseline: nothing missed', baseline), row(`missed ${EVENTS.toLocaleString('en')} events of 8 KB each`, replay)];
    } finally {
      unpin();
      await node.stop();
    }
  },
};
