/**
 * Group fan-out: one group of BENCH_MEMBERS (1,000) members, all online, BENCH_SENDERS (4) of
 * them sending at rising rates (BENCH_FANOUT_START msg/s, doubling every BENCH_STEP_SECONDS)
 * until deliveries/s stop rising or p99 passes 1 s; then a step at half the saturation rate for
 * its latencies. The same generator against bench/bare-ws-server.ts in the same run. All sockets
 * live in this process, so latency is send → receipt on one clock; that also makes this process
 * a possible bottleneck: its CPU is reported.
 *   npm run bench -- fanout
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { MAX_INITIAL_MEMBERS } from '../src/protocol/limits.js';
import { api, freePort, waitReady, type ServerProcess } from '../tests/helpers/process.js';
import { percentiles, type Scenario } from './lib.js';
import { ACK_PREFIX, ERROR_PREFIX, cpuWaitSeconds, openRawSocket, pinSelf, pinningNote, spawnPinned, startsWith, stopProcess } from './loadgen.js';
import { cpuSeconds, ownCpuSeconds, pool, registerUsers, rssKiB, scratchDatabase, sleep } from './procs.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MEMBERS = env('BENCH_MEMBERS', 1000);
const SENDERS = Math.min(MEMBERS, env('BENCH_SENDERS', 4));
const STEP_SECONDS = env('BENCH_STEP_SECONDS', 3);
const START_RATE = env('BENCH_FANOUT_START', 5);
const MAX_STEPS = 14;
/** How long a step's stragglers are waited for before the next step. */
const DRAIN_MS = 5000;
/** A process at this share of its CPU is taken as saturated. */
const BUSY = 0.9;

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

interface Step {
  rate: number;
  sent: number;
  acksPerSec: number;
  deliveriesPerSec: number;
  p50: number;
  p99: number;
  missing: number;
  serverCpu: number;
  /** Share of the step the server's threads were runnable but waiting for its CPU. */
  serverWait: number;
  ownCpu: number;
}

interface Run {
  steps: Step[];
  saturation: Step;
  half: Step;
  frameBytes: number;
  problems: string[];
}

/** Steps the rate up against the server at `base` (process `pid`), sockets authenticated with `tokens`. */
async function measure(base: string, pid: number, tokens: string[], conversationId: string, log: (l: string) => void): Promise<Run> {
  const MARK = Buffer.from('"clientMsgId":"fo');
  const sentAt: number[] = [];
  const stepOf: number[] = [];
  const receipts: number[] = [];
  const latencies: number[][] = [];
  let frames = 0;
  let answered = 0;
  let acksInWindow = 0;
  let inWindow = 0;
  let winStart = Infinity;
  let winEnd = -Infinity;
  let frameBytes = 0;
  let errors = 0;
  let firstError = '';
  let closed = 0;
  let closing = false;
  const onFrame = (data: Buffer) => {
    frames++;
    if (startsWith(data, ACK_PREFIX)) {
      answered++;
      const now = performance.now();
      if (now >= winStart && now < winEnd) acksInWindow++;
      return;
    }
    if (startsWith(data, ERROR_PREFIX)) {
      answered++;
      errors++;
      firstError ||= data.toString('utf8', 0, 300);
      return;
    }
    const at = data.indexOf(MARK);
    if (at < 0) return; // presence, read, …
    let n = 0;
    for (let i = at + MARK.length; i < data.length; i++) {
      const c = data[i]!;
      if (c < 48 || c > 57) break;
      n = n * 10 + c - 48;
    }
    const now = performance.now();
    const s = stepOf[n]!;
    latencies[s]!.push(now - sentAt[n]!);
    receipts[s]!++;
    if (now >= winStart && now < winEnd) inWindow++;
    frameBytes ||= data.length;
  };
  const sockets: WebSocket[] = [];
  try {
    await pool(tokens, 50, async (token, i) => {
      const ws = await openRawSocket(base, token, onFrame);
      ws.on('close', () => void (closing || closed++));
      sockets[i] = ws;
    });
    // Let the burst of presence frames from connecting a whole group die down (at most 60 s).
    for (let t = 0, before = -1; t < 60 && frames - before > 20; t++) {
      before = frames;
      await sleep(1000);
    }
    let next = 0;
    const step = async (rate: number, seconds: number): Promise<Step> => {
      const s = latencies.length;
      latencies.push([]);
      receipts.push(0);
      const total = Math.max(1, Math.round(rate * seconds));
      const cpu0 = cpuSeconds(pid);
      const wait0 = cpuWaitSeconds(pid);
      const own0 = ownCpuSeconds();
      let sent = 0;
      inWindow = 0;
      acksInWindow = 0;
      winStart = performance.now();
      winEnd = winStart + seconds * 1000;
      await new Promise<void>((resolve) => {
        const tick = () => {
          const now = performance.now();
          const due = Math.min(total, Math.floor(((now - winStart) * rate) / 1000) + 1);
          for (; sent < due; sent++) {
            const n = next++;
            const id = `fo${n}`;
            stepOf[n] = s;
            sentAt[n] = performance.now();
            sockets[sent % SENDERS]!.send(JSON.stringify({ type: 'message.send', id, conversationId, body: `fan-out ${id}, a message body of a typical length, 你好 👋`, clientMsgId: id }));
          }
          if (now >= winEnd) {
            clearInterval(timer);
            resolve();
          }
        };
        const timer = setInterval(tick, 5);
        tick();
      });
      const serverCpu = (cpuSeconds(pid) - cpu0) / seconds;
      const serverWait = (cpuWaitSeconds(pid) - wait0) / seconds;
      const ownCpu = (ownCpuSeconds() - own0) / seconds;
      const deliveriesPerSec = inWindow / seconds;
      const acksPerSec = acksInWindow / seconds;
      const drainUntil = performance.now() + DRAIN_MS;
      while (receipts[s]! < sent * tokens.length && performance.now() < drainUntil && closed === 0) await sleep(20);
      const { p50, p99 } = percentiles(latencies[s]!.length ? latencies[s]! : [NaN]);
      latencies[s] = []; // keep memory flat
      const r = { rate, sent, acksPerSec, deliveriesPerSec, p50, p99, missing: sent * tokens.length - receipts[s]!, serverCpu, serverWait, ownCpu };
      log(
        `  ${rate.toFixed(1)} msg/s: ${acksPerSec.toFixed(0)} acks/s, ${deliveriesPerSec.toFixed(0)} deliveries/s, p50/p99 ${p50.toFixed(1)}/${p99.toFixed(1)} ms, ` +
          `server CPU ${pct(serverCpu)} (waited for it ${pct(serverWait)}), load-gen CPU ${pct(ownCpu)}${r.missing ? `, ${r.missing} deliveries missing after ${DRAIN_MS} ms` : ''}`,
      );
      return r;
    };
    const steps: Step[] = [];
    for (let i = 0, rate = START_RATE; i < MAX_STEPS; i++, rate *= 2) {
      const r = await step(rate, STEP_SECONDS);
      steps.push(r);
      const best = Math.max(...steps.slice(0, -1).map((x) => x.deliveriesPerSec), 0);
      if (r.p99 > 1000 || r.missing > 0 || closed > 0 || errors > 0 || (i >= 2 && r.deliveriesPerSec < best * 1.1)) break;
    }
    const saturation = steps.reduce((a, b) => (b.deliveriesPerSec > a.deliveriesPerSec ? b : a));
    // Before the half-rate step, let the server work off what the last steps queued (at most 60 s).
    const quiet = performance.now() + 60_000;
    while ((answered < next || receipts.reduce((a, b) => a + b, 0) < next * tokens.length) && performance.now() < quiet && closed === 0) await sleep(50);
    if (performance.now() >= quiet) log('  (still busy with earlier steps after 60 s: the half-rate latencies include that backlog)');
    await sleep(500);
    const half = await step(saturation.deliveriesPerSec / tokens.length / 2, Math.max(STEP_SECONDS, 5));
    const problems: string[] = [];
    if (closed) problems.push(`${closed} sockets closed by the server (slow consumer?)`);
    if (errors) problems.push(`${errors} error frames, first: ${firstError}`);
    if (saturation.ownCpu >= BUSY) problems.push(`the load generator was saturated (${(saturation.ownCpu * 100).toFixed(0)} % CPU): a lower bound of the server's capacity`);
    else if (saturation.serverCpu < BUSY)
      problems.push(
        `at saturation neither the server (${pct(saturation.serverCpu)} CPU, waited for it ${pct(saturation.serverWait)}) nor the load generator (${pct(saturation.ownCpu)}) used its whole CPU` +
          (saturation.serverWait > 0.1 ? ': other processes took the server\'s CPU' : ''),
      );
    if (saturation.acksPerSec < saturation.rate * 0.9)
      problems.push(`acks came back at ${saturation.acksPerSec.toFixed(0)}/s for ${saturation.rate.toFixed(0)}/s sent at saturation: the sends themselves fell behind, not only the deliveries`);
    return { steps, saturation, half, frameBytes, problems };
  } finally {
    closing = true;
    for (const ws of sockets) ws?.terminate();
  }
}

function row(setup: string, r: Run, ratio: string): Record<string, string | number> {
  return {
    setup,
    'deliveries/s at saturation': `${r.saturation.deliveriesPerSec.toFixed(0)} (${r.saturation.rate.toFixed(0)} msg/s sent)`,
    'server / load-gen CPU there': `${pct(r.saturation.serverCpu)} / ${pct(r.saturation.ownCpu)}`,
    'half rate msg/s': r.half.rate.toFixed(1),
    'p50/p99 ms at half': `${r.half.p50.toFixed(1)} / ${r.half.p99.toFixed(1)}`,
    'vs bare': ratio,
  };
}

export const fanoutScenario: Scenario = {
  name: 'fanout',
  describe: `one group of ${MEMBERS} members online, ${SENDERS} senders at rising rates (from ${START_RATE} msg/s, x2 every ${STEP_SECONDS} s); vs a bare ws broadcast server`,
  async run(ctx) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-fanout-'));
    const restore = pinSelf();
    const servers: ServerProcess[] = [];
    let scratch: Awaited<ReturnType<typeof scratchDatabase>> | null = null;
    ctx.log(pinningNote());
    try {
      if (process.env.DATABASE_URL) scratch = await scratchDatabase(process.env.DATABASE_URL);
      const dirs = { DATA_DIR: path.join(root, 'data'), UPLOAD_DIR: path.join(root, 'uploads'), LOG_DIR: path.join(root, 'logs') };
      const parley = spawnPinned(['src/main.ts'], { ...(scratch ? { DATABASE_URL: scratch.url } : {}), ...dirs }, await freePort());
      servers.push(parley);
      await waitReady(parley);
      const t = performance.now();
      const users = await registerUsers(parley, MEMBERS, 'fan');
      const owner = users[0]!.token;
      const others = users.slice(1).map((u) => u.user.id);
      const g = await api(parley, 'POST', '/groups', { name: 'fan-out', memberIds: others.slice(0, MAX_INITIAL_MEMBERS) }, owner);
      if (g.status !== 201) throw new Error(`POST /groups: ${g.status} ${JSON.stringify(g.json)}`);
      await pool(others.slice(MAX_INITIAL_MEMBERS), 16, async (userId) => {
        const r = await api(parley, 'POST', `/groups/${g.json.id}/members`, { userId }, owner);
        if (r.status !== 201 && r.status !== 200) throw new Error(`add member: ${r.status} ${JSON.stringify(r.json)}`);
      });
      ctx.log(`Parley: ${MEMBERS} members registered and in one group in ${((performance.now() - t) / 1000).toFixed(1)} s; connecting and stepping up`);
      const p = await measure(
        parley.base,
        parley.child.pid!,
        users.map((u) => u.token),
        g.json.id as string,
        ctx.log,
      );
      const parleyRss = rssKiB(parley.child.pid!) / 1024;
      await stopProcess(parley);

      ctx.log(`bare ws server (frames padded to ${p.frameBytes} bytes, Parley's message.created): stepping up`);
      const bare = spawnPinned(['bench/bare-ws-server.ts'], { FRAME_BYTES: String(p.frameBytes) }, await freePort());
      servers.push(bare);
      await waitReady(bare);
      const tokens = Array.from({ length: MEMBERS }, (_, i) => `u${i}`);
      const b = await measure(bare.base, bare.child.pid!, tokens, 'bare', ctx.log);
      await stopProcess(bare);

      for (const x of p.problems) ctx.log(`Parley: ${x}`);
      for (const x of b.problems) ctx.log(`bare: ${x}`);
      ctx.log(`Parley server RSS after the run: ${parleyRss.toFixed(0)} MB`);
      return [
        row(`baseline: bare ws broadcast (bench/bare-ws-server.ts), ${p.frameBytes}-byte frames`, b, ''),
        row(`Parley on ${scratch ? 'PostgreSQL' : 'PGlite'}: ${MEMBERS} members online, ${SENDERS} senders`, p, `${((p.saturation.deliveriesPerSec / b.saturation.deliveriesPerSec) * 100).toFixed(1)} %`),
      ];
    } finally {
      for (const s of servers) await stopProcess(s);
      await scratch?.drop();
      restore();
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
