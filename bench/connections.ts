/**
 * Idle authenticated sockets: a real server process holds N of them (in steps up to
 * BENCH_MAX_SOCKETS, default 50,000), opened BENCH_IN_FLIGHT (500) at a time from source addresses
 * 127.x.y.2, 127.x.y.3, … (10,000 each: binding a port gets slow as an address fills up) for
 * BENCH_CONNECTION_USERS (500) users in groups of 20. At each step, once the server has been idle
 * BENCH_SETTLE_MS (5 s) and has collected its garbage (bench/gc-hook.mjs): its RSS, and KiB per
 * socket = (RSS(N) − RSS(0)) / N. Baseline in the same run: a bare `ws` server (no app: answers
 * `auth` with `ready`) holding the same sockets.
 * Open files cap N: every socket is a descriptor in the server and one in this process. Node
 * raises its soft limit to the hard one, so to go further run it as e.g.
 *   prlimit --nofile=120000:120000 npm run bench -- connections
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { api, freePort, ROOT } from '../tests/helpers/process.js';
import type { Scenario } from './lib.js';
import { ALL_CPUS, benchServer, cpuSeconds, fileLimits, openSocket, ownCpuSeconds, pin, pool, registerUsers, rssKiB, sleep } from './procs.js';

const MAX = Number(process.env.BENCH_MAX_SOCKETS ?? 50_000);
const USERS = Number(process.env.BENCH_CONNECTION_USERS ?? 500);
const GROUP_SIZE = 20;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 500);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 5000);
const PER_ADDRESS = 10_000;
/** Descriptors kept free in each process for everything else (database, logs, modules). */
const FD_MARGIN = 300;
/** Run in each measured process: SIGUSR2 → full GCs, so every RSS reading follows a GC. */
const gcHook = (name: string) => ({
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --import=${path.join(ROOT, 'bench', 'gc-hook.mjs')}`.trim(),
  BENCH_GC_OUT: path.join(os.tmpdir(), `parley-bench-gc-${process.pid}-${name}.json`),
});
/**
 * Source addresses 127.NET.BLOCK.2, .3, …: a block per server measured, and NET from the pid, so
 * the ports left in TIME_WAIT by the previous server's (or run's) sockets are not needed again.
 */
const NET = 1 + (process.pid % 250);

/** The baseline server: `ws` alone, answering `auth` with `ready`, nothing else. */
const BARE_WS = `
const http = require('node:http');
const { WebSocketServer } = require('ws');
const srv = http.createServer();
const wss = new WebSocketServer({ server: srv, path: '/api/v1/ws', perMessageDeflate: false, maxPayload: 65536 });
wss.on('connection', (ws) => ws.once('message', () => ws.send(JSON.stringify({ type: 'ready', user: {}, connectionId: 'c', protocol: 1 }))));
srv.listen(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('listening\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

interface Target {
  label: string;
  block: number;
  /** Where the process's gc hook writes its memoryUsage(). */
  gcOut: string;
  pid: number;
  base: string;
  tokens: string[];
}

interface Step {
  sockets: number;
  openSeconds: number;
  rssKiB: number;
  /** V8 heap used + external (buffers) after the GC. */
  heapKiB: number;
  serverCpu: number;
  benchCpu: number;
}

/** Opens sockets in steps up to each of `steps`; returns the figures of every completed step and the first failure. */
async function climb(t: Target, steps: number[], log: (l: string) => void): Promise<{ steps: Step[]; rss0: number; heap0: number; failure: string | null }> {
  const sockets: WebSocket[] = [];
  const out: Step[] = [];
  const settled = async () => {
    await sleep(SETTLE_MS);
    fs.rmSync(t.gcOut, { force: true });
    process.kill(t.pid, 'SIGUSR2');
    for (let k = 0; k < 100 && !fs.existsSync(t.gcOut); k++) await sleep(100);
    const m = JSON.parse(fs.readFileSync(t.gcOut, 'utf8')) as { heapUsed: number; external: number };
    return { rss: rssKiB(t.pid), heap: (m.heapUsed + m.external) / 1024 };
  };
  // A warm-up (first-use allocations, compiled code), then the baseline.
  const warm = await pool(Array.from({ length: Math.min(100, steps[0] ?? 0) }, (_, i) => i), 50, (i) =>
    openSocket(t.base, t.tokens[i % t.tokens.length]!, { localAddress: `127.${NET}.${t.block}.1` }),
  );
  for (const ws of warm) ws.terminate();
  const { rss: rss0, heap: heap0 } = await settled();
  let failure: string | null = null;
  try {
    for (const n of steps) {
      const cpu0 = cpuSeconds(t.pid);
      const own0 = ownCpuSeconds();
      const t0 = performance.now();
      const indexes = Array.from({ length: n - sockets.length }, (_, k) => sockets.length + k);
      try {
        await pool(indexes, IN_FLIGHT, async (i) => {
          const localAddress = `127.${NET}.${t.block}.${2 + Math.floor(i / PER_ADDRESS)}`;
          sockets.push(await openSocket(t.base, t.tokens[i % t.tokens.length]!, { localAddress, timeoutMs: 60_000 }));
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why =
          code === 'EMFILE' || code === 'ENFILE'
            ? 'this process ran out of file descriptors'
            : code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL'
              ? 'no free local port on the source address'
              : 'the server refused or dropped it (out of file descriptors?)';
        failure = `${t.label} stopped at ${sockets.length} (${code ?? 'closed'})`;
        log(`  ${t.label}: opening socket ${sockets.length + 1} failed: ${(err as Error).message}: ${why}; stopping at ${sockets.length} sockets`);
        break;
      }
      const openSeconds = (performance.now() - t0) / 1000;
      const serverCpu = cpuSeconds(t.pid) - cpu0;
      const benchCpu = ownCpuSeconds() - own0;
      const { rss, heap } = await settled();
      out.push({ sockets: n, openSeconds, rssKiB: rss, heapKiB: heap, serverCpu, benchCpu });
      log(`  ${t.label}: ${n} sockets in ${openSeconds.toFixed(1)} s, RSS ${(rss / 1024).toFixed(0)} MiB (${((rss - rss0) / n).toFixed(1)} KiB per socket)`);
    }
  } finally {
    for (const ws of sockets) ws.terminate();
    fs.rmSync(t.gcOut, { force: true });
  }
  return { steps: out, rss0, heap0, failure };
}

/** Starts the bare ws server on CPU 0; returns its pid, address and stop. */
async function bareServer(env: Record<string, string>): Promise<{ pid: number; base: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', BARE_WS, String(port)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`bare ws server exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The steps to climb: the issue's, up to MAX, and at most what the open-file limits allow. */
function plan(cap: number, log: (l: string) => void): number[] {
  const steps = [1000, 5000, 10_000, 25_000, 50_000].filter((n) => n < MAX);
  steps.push(MAX);
  const fit = steps.filter((n) => n <= cap);
  if (fit.length < steps.length) {
    log(`  capped at ${cap} sockets by the open-file limits (not ${MAX}); raise them with prlimit --nofile=… to go further`);
    if (!fit.includes(cap)) fit.push(cap);
  }
  return fit;
}

export const connectionsScenario: Scenario = {
  name: 'connections',
  describe: `idle authenticated sockets, up to ${MAX.toLocaleString('en')}, server RSS per socket (target at most 20 KiB), beside a bare ws server`,
  async run(ctx) {
    const own = fileLimits('self');
    const parleyHook = gcHook('parley');
    const bareHook = gcHook('bare');
    // Tens of sockets per user (19,700 over 500 users): past the per-user cap of 20 on purpose.
    const node = await benchServer('connections', { ...parleyHook, WS_CONNECTIONS_PER_USER: String(Math.ceil(MAX / USERS)) });
    const rows: Record<string, string | number>[] = [];
    let unpin = () => {};
    try {
      const limits = fileLimits(node.pid);
      ctx.log(`  open-file limits (soft/hard): server ${limits.soft}/${limits.hard}, bench ${own.soft}/${own.hard}`);
      const steps = plan(Math.min(limits.soft, own.soft) - FD_MARGIN, ctx.log);

      const users = await registerUsers(node.server, USERS, `conn_${Date.now()}_`, 8);
      for (let g = 0; g * GROUP_SIZE < users.length; g++) {
        const group = users.slice(g * GROUP_SIZE, (g + 1) * GROUP_SIZE);
        const r = await api(node.server, 'POST', '/groups', { name: `idle ${g}`, memberIds: group.slice(1).map((u) => u.user.id) }, group[0]!.token);
        if (r.status !== 201) throw new Error(`create group: ${r.status} ${JSON.stringify(r.json)}`);
      }
      ctx.log(`  ${users.length} users in groups of ${GROUP_SIZE}; steps ${steps.join(', ')}, ${IN_FLIGHT} handshakes in flight`);
      // A fresh process for the measurement: the setup's argon2 hashing (19 MiB each) leaves freed
      // memory in the allocator that the sockets would reuse, hiding their cost.
      await node.restart();

      const pinned = pin(node.pid, '0') && pin(process.pid, '1');
      if (pinned) unpin = () => void pin(process.pid, ALL_CPUS);
      ctx.log(pinned ? '  pinned: server on CPU 0, bench on CPU 1' : '  taskset failed: NOT pinned');
      const parley = await climb({ label: 'parley', block: 0, gcOut: parleyHook.BENCH_GC_OUT, pid: node.pid, base: node.server.base, tokens: users.map((u) => u.token) }, steps, ctx.log);
      await node.stop();

      const bare = await bareServer(bareHook);
      let baseline: Awaited<ReturnType<typeof climb>>;
      try {
        if (pinned) pin(bare.pid, '0');
        baseline = await climb({ label: 'bare ws', block: 1, gcOut: bareHook.BENCH_GC_OUT, pid: bare.pid, base: bare.base, tokens: ['x'.repeat(32)] }, steps, ctx.log);
      } finally {
        await bare.stop();
      }

      const mib = (kib: number) => (kib / 1024).toFixed(0);
      const per = (kib: number, kib0: number, n: number) => ((kib - kib0) / n).toFixed(1);
      rows.push({ sockets: 0, 'open s': '', 'server CPU s': '', 'bench CPU s': '', 'RSS MiB': mib(parley.rss0), 'KiB per socket': '', 'heap KiB per socket': '', 'bare ws RSS MiB': mib(baseline.rss0), 'bare ws KiB per socket': '', 'bare ws heap KiB per socket': '' });
      for (const s of parley.steps) {
        const b = baseline.steps.find((x) => x.sockets === s.sockets);
        rows.push({
          sockets: s.sockets,
          'open s': s.openSeconds.toFixed(1),
          'server CPU s': s.serverCpu.toFixed(1),
          'bench CPU s': s.benchCpu.toFixed(1),
          'RSS MiB': mib(s.rssKiB),
          'KiB per socket': per(s.rssKiB, parley.rss0, s.sockets),
          'heap KiB per socket': per(s.heapKiB, parley.heap0, s.sockets),
          'bare ws RSS MiB': b ? mib(b.rssKiB) : '',
          'bare ws KiB per socket': b ? per(b.rssKiB, baseline.rss0, b.sockets) : '',
          'bare ws heap KiB per socket': b ? per(b.heapKiB, baseline.heap0, b.sockets) : '',
        });
      }
      for (const f of [parley.failure, baseline.failure]) if (f) rows.push({ sockets: f });
      return rows;
    } finally {
      unpin();
      await node.stop();
    }
  },
};
