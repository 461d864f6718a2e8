/**
 * Catch-up after an outage: BENCH_CLIENTS (5,000) users in groups of 20, all connected, all
 * disconnect; BENCH_MISSED (20) messages go into each group; then every client reconnects at once
 * (BENCH_IN_FLIGHT, 500, TCP handshakes in flight) with `auth` carrying its cursor, and the time
 * runs until every client has its missed events and `sync.done` without `hasMore`. Baseline in
 * the same run: the same storm when nothing was missed (cursors at the head): the handshake alone.
 * A real server process (PGlite, or a scratch database on DATABASE_URL's server), pinned to CPU 0,
 * this process to CPU 1.
 */
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { api } from '../tests/helpers/process.js';
import { percentiles, type Scenario } from './lib.js';
import { ALL_CPUS, benchServer, cpuSeconds, dbQueries, openSocket, ownCpuSeconds, pin, pool, registerUsers, seconds, sleep, waitIdle, type BenchUser } from './procs.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 5000);
const GROUP_SIZE = 20;
const MISSED = Number(process.env.BENCH_MISSED ?? 20);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 500);
/**
 * Past the server's presence grace (5 s), so every reconnect is an "online" again, in both storms;
 * then until the server is idle (the "offline" of 5,000 users takes a while).
 */
const AWAY_MS = 6000;
const STORM_TIMEOUT_MS = 300_000;

interface StormResult {
  allSeconds: number;
  perClient: { p50: number; p99: number };
  events: number;
  serverCpu: number;
  benchCpu: number;
  queries: number;
}

/**
 * Every client reconnects with `{conv: cursor}`; resolves when all are synced. The handshakes are
 * paced (at most IN_FLIGHT not yet open) so the listen backlog does not turn the storm into SYN
 * retries; each client's time runs from its own connect to its last `sync.done`.
 */
async function storm(base: string, users: BenchUser[], convOf: (i: number) => string, cursor: number, expected: number, pid: number): Promise<StormResult> {
  const sockets: WebSocket[] = [];
  let opening = 0;
  const queue: (() => void)[] = [];
  const slot = async () => {
    while (opening >= IN_FLIGHT) await new Promise<void>((r) => queue.push(r));
    opening++;
  };
  const free = () => {
    opening--;
    queue.shift()?.();
  };
  const cpu0 = cpuSeconds(pid);
  const own0 = ownCpuSeconds();
  const q0 = await dbQueries(base);
  const start = performance.now();
  let events = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not every client synced within ${STORM_TIMEOUT_MS / 1000} s`)), STORM_TIMEOUT_MS);
  });
  try {
    const all = Promise.all(
      users.map(async (u, i) => {
        await slot();
        const t0 = performance.now();
        const conv = convOf(i);
        let pos = cursor;
        let freed = false;
        const release = () => {
          if (freed) return;
          freed = true;
          free();
        };
        return new Promise<number>((resolve, reject) => {
          openSocket(base, u.token, {
            cursors: { [conv]: cursor },
            onOpen: release,
            timeoutMs: 120_000,
            onFrame(ws, f) {
              if (f.type === 'ready') sockets.push(ws);
              else if (f.type === 'message.created' && f.conversationId === conv) {
                if (f.seq !== pos + 1) reject(new Error(`client ${i}: seq ${String(f.seq)} after ${pos}`));
                pos = f.seq as number;
                events++;
              } else if (f.type === 'sync.done') {
                if (f.hasMore) ws.send(JSON.stringify({ type: 'sync', cursors: { [conv]: pos } }));
                else if (pos - cursor !== expected) reject(new Error(`client ${i}: synced with ${pos - cursor} events, expected ${expected}`));
                else resolve(performance.now() - t0);
              } else if (f.type === 'error') reject(new Error(`client ${i}: ${JSON.stringify(f)}`));
            },
          }).catch((err: unknown) => {
            release();
            reject(err as Error);
          });
        });
      }),
    );
    const times = await Promise.race([all, timeout]);
    const allSeconds = seconds(start);
    const serverCpu = cpuSeconds(pid) - cpu0;
    return {
      allSeconds,
      perClient: percentiles(times),
      events,
      serverCpu,
      benchCpu: ownCpuSeconds() - own0,
      queries: (await dbQueries(base)).count - q0.count,
    };
  } finally {
    clearTimeout(timer);
    for (const ws of sockets) ws.terminate();
  }
}

export const catchupScenario: Scenario = {
  name: 'catchup',
  describe: `${CLIENTS.toLocaleString('en')} clients in groups of ${GROUP_SIZE} reconnect at once after missing ${MISSED} messages each, until all are synced; vs the same storm with nothing missed`,
  async run(ctx) {
    const node = await benchServer('catchup');
    let unpin = () => {};
    try {
      const { server } = node;
      let t = performance.now();
      const users = await registerUsers(server, CLIENTS, `cu_${Date.now()}_`, 16);
      ctx.log(`  ${users.length} users registered in ${seconds(t).toFixed(0)} s`);
      const groups = Array.from({ length: Math.ceil(users.length / GROUP_SIZE) }, (_, g) => users.slice(g * GROUP_SIZE, (g + 1) * GROUP_SIZE));
      const convIds = await pool(groups, 8, async (group, g) => {
        const r = await api(server, 'POST', '/groups', { name: `catch-up ${g} 小组`, memberIds: group.slice(1).map((u) => u.user.id) }, group[0]!.token);
        if (r.status !== 201) throw new Error(`create group: ${r.status} ${JSON.stringify(r.json)}`);
        return r.json.id as string;
      });
      const convOf = (i: number) => convIds[Math.floor(i / GROUP_SIZE)]!;

      // Everyone online once (and so known to the server), then away.
      t = performance.now();
      const online = await pool(users, IN_FLIGHT, (u) => openSocket(server.base, u.token, { timeoutMs: 60_000 }));
      ctx.log(`  ${online.length} sockets connected in ${seconds(t).toFixed(1)} s; all disconnect`);
      for (const ws of online) ws.terminate();
      await sleep(AWAY_MS);

      t = performance.now();
      await pool(groups, 8, async (group, g) => {
        for (let k = 0; k < MISSED; k++) {
          const sender = group[k % group.length]!;
          const r = await api(server, 'POST', `/conversations/${convIds[g]}/messages`, { body: `missed ${k} 错过的消息 #${g}`, clientMsgId: `m${g}-${k}` }, sender.token);
          if (r.status !== 201) throw new Error(`send: ${r.status} ${JSON.stringify(r.json)}`);
        }
      });
      ctx.log(`  ${groups.length * MISSED} messages sent (REST) in ${seconds(t).toFixed(1)} s`);

      const pinned = pin(node.pid, '0') && pin(process.pid, '1');
      if (pinned) unpin = () => void pin(process.pid, ALL_CPUS);
      ctx.log(pinned ? '  pinned: server on CPU 0, bench on CPU 1' : '  taskset failed: NOT pinned');

      ctx.log(`  server idle after ${(await waitIdle(node.pid)).toFixed(0)} s more`);
      const missed = await storm(server.base, users, convOf, 0, MISSED, node.pid);
      ctx.log(`  catch-up storm: all synced in ${missed.allSeconds.toFixed(2)} s`);
      await sleep(AWAY_MS);
      ctx.log(`  server idle after ${(await waitIdle(node.pid)).toFixed(0)} s more`);
      const baseline = await storm(server.base, users, convOf, MISSED, 0, node.pid);
      ctx.log(`  baseline storm: all synced in ${baseline.allSeconds.toFixed(2)} s`);

      const row = (label: string, r: StormResult) => ({
        storm: label,
        clients: users.length,
        'events replayed': r.events,
        'all synced s': r.allSeconds.toFixed(2),
        'per client p50 ms': r.perClient.p50.toFixed(0),
        'per client p99 ms': r.perClient.p99.toFixed(0),
        'server CPU s': r.serverCpu.toFixed(1),
        'bench CPU s': r.benchCpu.toFixed(1),
        'DB queries per client': (r.queries / users.length).toFixed(1),
      });
      return [
        row('baseline: nothing missed (cursors at the head)', baseline),
        row(`missed ${MISSED} each`, missed),
        {
          storm: 'difference (the catch-up itself)',
          clients: '',
          'events replayed': missed.events - baseline.events,
          'all synced s': (missed.allSeconds - baseline.allSeconds).toFixed(2),
          'per client p50 ms': (missed.perClient.p50 - baseline.perClient.p50).toFixed(0),
          'per client p99 ms': (missed.perClient.p99 - baseline.perClient.p99).toFixed(0),
          'server CPU s': (missed.serverCpu - baseline.serverCpu).toFixed(1),
          'bench CPU s': (missed.benchCpu - baseline.benchCpu).toFixed(1),
          'DB queries per client': ((missed.queries - baseline.queries) / users.length).toFixed(1),
        },
      ];
    } finally {
      unpin();
      await node.stop();
    }
  },
};
