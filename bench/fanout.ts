/**
 * Group fan-out: one group of BENCH_MEMBERS (1,000) members, all online, BENCH_SENDERS (10) of
 * them sending at rising rates (BENCH_FANOUT_START msg/s, doubling every BENCH_STEP_SECONDS)
 * until deliveries/s stop rising or p99 passes 1 s; then a step at half the saturation rate for
 * its latencies. The same generator against bench/bare-ws-server.ts in the same run, stepped up
 * the same way and then run at each Parley setup's half rate, so that tails are compared at the
 * same offered rate. All sockets live in this process, so latency is send → receipt on one
 * clock; that also makes this process a possible bottleneck: its CPU is reported.
 *   npm run bench -- fanout                                   (embedded PGlite)
 *   PG_CPUS=0 bash scripts/with-postgres.sh bash -c 'DATABASE_URL=$TEST_DATABASE_URL npm run bench -- fanout'
 * With a PostgreSQL server the setups are one node, and two nodes over Redis (a redis-server
 * started here) with the members spread across them (BENCH_FANOUT_NODES=1 or 2 picks one).
 * Servers, redis-server (and PostgreSQL with PG_CPUS=0) share CPU 0; the generator runs on CPU 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { MAX_INITIAL_MEMBERS } from '../src/protocol/limits.js';
import { api, freePort, waitReady, type ServerProcess } from '../tests/helpers/process.js';
import { TestRedis } from '../tests/helpers/redis.js';
import { percentiles, type Scenario } from './lib.js';
import { ACK_PREFIX, ERROR_PREFIX, cpuWaitSeconds, openRawSocket, pinSelf, pinningNote, spawnPinned, startsWith, stopProcess, SERVER_ENTRY } from './loadgen.js';
import { cpuSeconds, ownCpuSeconds, pin, pool, registerUsers, rssKiB, scratchDatabase, sleep } from './procs.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MEMBERS = env('BENCH_MEMBERS', 1000);
const SENDERS = Math.min(MEMBERS, env('BENCH_SENDERS', 10));
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
  /** The servers' RSS (summed) at the end of the step, MiB. */
  rssMiB: number;
}

interface Run {
  steps: Step[];
  saturation: Step;
  half: Step;
  /** Steps at offered rates chosen by the caller (another setup's half rate), after the half step. */
  at: Step[];
  frameBytes: number;
  problems: string[];
}

/**
 * Steps the rate up against the servers at `bases` (processes `pids`; socket i connects to
 * bases[i % n], so members and senders spread over the nodes), sockets authenticated with
 * `tokens`; then a step at half the saturation rate, then one at each of `rates`.
 */
async function measure(bases: string[], pids: number[], tokens: string[], conversationId: string, log: (l: string) => void, rates: number[] = []): Promise<Run> {
  const MARK = Buffer.from('"clientMsgId":"fo');
  const ACK_ID = Buffer.from('"id":"fo');
  const sentAt: number[] = [];
  /** Send-to-ack latencies of the current step (the store's share of the send-to-deliver latency). */
  let ackLatencies: number[] = [];
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
      const at = data.indexOf(ACK_ID);
      if (at >= 0) {
        let n = 0;
        for (let i = at + ACK_ID.length; i < data.length; i++) {
          const c = data[i]!;
          if (c < 48 || c > 57) break;
          n = n * 10 + c - 48;
        }
        if (sentAt[n] !== undefined) ackLatencies.push(now - sentAt[n]!);
      }
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
      const ws = await openRawSocket(bases[i % bases.length]!, token, onFrame);
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
      const cpu0 = sum(pids.map(cpuSeconds));
      const wait0 = sum(pids.map(cpuWaitSeconds));
      const own0 = ownCpuSeconds();
      let sent = 0;
      inWindow = 0;
      ackLatencies = [];
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
      const serverCpu = (sum(pids.map(cpuSeconds)) - cpu0) / seconds;
      const serverWait = (sum(pids.map(cpuWaitSeconds)) - wait0) / seconds;
      const ownCpu = (ownCpuSeconds() - own0) / seconds;
      const deliveriesPerSec = inWindow / seconds;
      const acksPerSec = acksInWindow / seconds;
      const drainUntil = performance.now() + DRAIN_MS;
      while (receipts[s]! < sent * tokens.length && performance.now() < drainUntil && closed === 0) await sleep(20);
      const { p50, p99 } = percentiles(latencies[s]!.length ? latencies[s]! : [NaN]);
      const ack = percentiles(ackLatencies.length ? ackLatencies : [NaN]);
      ackLatencies = [];
      latencies[s] = []; // keep memory flat
      const rssMiB = sum(pids.map(rssKiB)) / 1024;
      const r = { rate, sent, acksPerSec, deliveriesPerSec, p50, p99, missing: sent * tokens.length - receipts[s]!, serverCpu, serverWait, ownCpu, rssMiB };
      log(
        `  ${rate.toFixed(1)} msg/s: ${acksPerSec.toFixed(0)} acks/s (p50/p99 ${ack.p50.toFixed(1)}/${ack.p99.toFixed(1)} ms), ${deliveriesPerSec.toFixed(0)} deliveries/s, p50/p99 ${p50.toFixed(1)}/${p99.toFixed(1)} ms, ` +
          `server CPU ${pct(serverCpu)} (waited for it ${pct(serverWait)}), load-gen CPU ${pct(ownCpu)}, server RSS ${rssMiB.toFixed(0)} MiB` +
          `${r.missing ? `, ${r.missing} deliveries missing after ${DRAIN_MS} ms` : ''}`,
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
    const at: Step[] = [];
    for (const rate of rates) {
      await sleep(500);
      at.push(await step(rate, Math.max(STEP_SECONDS, 5)));
    }
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
    return { steps, saturation, half, at, frameBytes, problems };
  } finally {
    closing = true;
    for (const ws of sockets) ws?.terminate();
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** A counter of the servers' /metrics, summed over the nodes and matching label sets. */
async function counter(bases: string[], name: string, labels = ''): Promise<number> {
  let total = 0;
  for (const base of bases) {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(name) || (labels && !line.includes(labels))) continue;
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(v)) total += v;
    }
  }
  return total;
}

/** The servers' warning lines (LOG_LEVEL=warn, JSON on stdout), counted by message. */
function serverWarnings(procs: ServerProcess[]): string {
  const counts = new Map<string, number>();
  for (const p of procs) {
    for (const line of p.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
        counts.set(msg, (counts.get(msg) ?? 0) + 1);
      } catch {
        // a partial line
      }
    }
  }
  return [...counts].map(([m, n]) => `${n} x "${m}"`).join(', ');
}

interface Setup {
  label: string;
  nodes: number;
  run: Run;
  rssMb: number[];
  fills: { node: number; connection: number; reordered: number };
}

/**
 * Sizing from two measurements at their half rates: a node's CPU is a cost per message it handles
 * (each node receives every message of a group with members on it: parse, order, serialize once)
 * plus a cost per socket write. One node: cpu1 = m1*cm + d1*cd. Two nodes: cpu2 = 2*m2*cm + d2*cd.
 * Solved for cm and cd, then projected: with N node processes (one per core) and a group's
 * members spread over all of them, each node pays every message and 1/N of the deliveries.
 */
function projection(one: Step, two: Step): string {
  const [m1, d1, c1] = [one.rate, one.deliveriesPerSec, one.serverCpu];
  const [m2, d2, c2] = [two.rate, two.deliveriesPerSec, two.serverCpu];
  const det = m1 * d2 - 2 * m2 * d1;
  if (Math.abs(det) < 1e-9) return 'projection: the two setups ran at proportional loads; no fit';
  const cm = (c1 * d2 - c2 * d1) / det;
  const cd = (m1 * c2 - 2 * m2 * c1) / det;
  const lines = [`projection (fit of both setups' half-rate steps): ${(cm * 1e6).toFixed(0)} µs of node CPU per message per node, ${(cd * 1e6).toFixed(2)} µs per delivery (socket write)`];
  for (const nodes of [1, 2, 4, 8, 14]) {
    // Messages per second to one group of MEMBERS that N nodes sustain at 100 % of their cores.
    const perMsg = cm + (MEMBERS / nodes) * cd;
    const msgs = 1 / perMsg;
    lines.push(`  ${nodes} node process(es) on ${nodes} core(s): ~${msgs.toFixed(0)} msg/s to a group of ${MEMBERS} online = ~${(msgs * MEMBERS).toFixed(0)} deliveries/s`);
  }
  return lines.join('\n');
}

function row(setup: string, r: Run, half: Step, bare: Step | null, extra: Record<string, string> = {}): Record<string, string | number> {
  const cpuPerDelivery = half.deliveriesPerSec > 0 ? (half.serverCpu / half.deliveriesPerSec) * 1e6 : NaN;
  return {
    setup,
    'deliveries/s at saturation': `${r.saturation.deliveriesPerSec.toFixed(0)} (${r.saturation.rate.toFixed(0)} msg/s sent)`,
    'server / load-gen CPU there': `${pct(r.saturation.serverCpu)} / ${pct(r.saturation.ownCpu)}`,
    'offered msg/s': half.rate.toFixed(1),
    'p50/p99 ms there': `${half.p50.toFixed(1)} / ${half.p99.toFixed(1)}`,
    'p99 vs bare there': bare ? `${(half.p99 / bare.p99).toFixed(2)}x` : '',
    'server CPU µs per delivery there': cpuPerDelivery.toFixed(2),
    ...extra,
  };
}

export const fanoutScenario: Scenario = {
  name: 'fanout',
  describe: `one group of ${MEMBERS} members online, ${SENDERS} senders at rising rates (from ${START_RATE} msg/s, x2 every ${STEP_SECONDS} s); vs a bare ws broadcast server at the same offered rates`,
  async run(ctx) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-fanout-'));
    const restore = pinSelf();
    const servers: ServerProcess[] = [];
    const scratches: Awaited<ReturnType<typeof scratchDatabase>>[] = [];
    let redis: TestRedis | null = null;
    ctx.log(pinningNote());
    const pg = process.env.DATABASE_URL;
    const nodeCounts = pg ? (process.env.BENCH_FANOUT_NODES ?? '1,2').split(',').map(Number) : [1];
    try {
      const setups: Setup[] = [];
      for (const nodes of nodeCounts) {
        const scratch = pg ? await scratchDatabase(pg) : null;
        if (scratch) scratches.push(scratch);
        if (nodes > 1 && !redis) {
          redis = await TestRedis.start();
          const redisPid = redis.pid;
          if (redisPid) pin(redisPid, '0');
        }
        const label = !scratch ? 'Parley on PGlite' : nodes === 1 ? 'Parley on PostgreSQL, one node' : `Parley on PostgreSQL, ${nodes} nodes over Redis`;
        const procs: ServerProcess[] = [];
        for (let n = 0; n < nodes; n++) {
          const dirs = { DATA_DIR: path.join(root, `data-${nodes}-${n}`), UPLOAD_DIR: path.join(root, 'uploads'), LOG_DIR: path.join(root, `logs-${nodes}-${n}`) };
          const env: Record<string, string> = { ...dirs, ...(scratch ? { DATABASE_URL: scratch.url } : {}), ...(nodes > 1 && redis ? { REDIS_URL: redis.url } : {}) };
          const p = spawnPinned([SERVER_ENTRY], env, await freePort());
          servers.push(p);
          procs.push(p);
          // One at a time: the first applies the migrations.
          await waitReady(p);
        }
        const first = procs[0]!;
        const t = performance.now();
        const users = await registerUsers(first, MEMBERS, `fan${nodes}`);
        const owner = users[0]!.token;
        const others = users.slice(1).map((u) => u.user.id);
        const g = await api(first, 'POST', '/groups', { name: 'fan-out', memberIds: others.slice(0, MAX_INITIAL_MEMBERS) }, owner);
        if (g.status !== 201) throw new Error(`POST /groups: ${g.status} ${JSON.stringify(g.json)}`);
        await pool(others.slice(MAX_INITIAL_MEMBERS), 16, async (userId) => {
          const r = await api(first, 'POST', `/groups/${g.json.id}/members`, { userId }, owner);
          if (r.status !== 201 && r.status !== 200) throw new Error(`add member: ${r.status} ${JSON.stringify(r.json)}`);
        });
        ctx.log(`${label}: ${MEMBERS} members registered and in one group in ${((performance.now() - t) / 1000).toFixed(1)} s; connecting and stepping up`);
        const bases = procs.map((p) => p.base);
        const before = {
          node: await counter(bases, 'parley_ws_gap_fills_total', 'by="node"'),
          connection: await counter(bases, 'parley_ws_gap_fills_total', 'by="connection"'),
          reordered: await counter(bases, 'parley_events_reordered_total'),
          unlisted: await counter(bases, 'parley_bus_events_unlisted_total'),
          memberLoads: await counter(bases, 'parley_node_member_loads_total'),
        };
        const run = await measure(bases, procs.map((p) => p.child.pid!), users.map((u) => u.token), g.json.id as string, ctx.log);
        const fills = {
          node: (await counter(bases, 'parley_ws_gap_fills_total', 'by="node"')) - before.node,
          connection: (await counter(bases, 'parley_ws_gap_fills_total', 'by="connection"')) - before.connection,
          reordered: (await counter(bases, 'parley_events_reordered_total')) - before.reordered,
        };
        ctx.log(`${label}: gaps filled by the node ${fills.node}, by single connections ${fills.connection}; events reordered at the node ${fills.reordered}`);
        if (nodes > 1) {
          const unlisted = (await counter(bases, 'parley_bus_events_unlisted_total')) - before.unlisted;
          const loads = (await counter(bases, 'parley_node_member_loads_total')) - before.memberLoads;
          ctx.log(`${label}: events sent over Redis without their member list ${unlisted}; member lists read by the nodes ${loads}`);
        }
        const warnings = serverWarnings(procs);
        if (warnings) ctx.log(`${label}: server warnings: ${warnings}`);
        const rssMb = procs.map((p) => rssKiB(p.child.pid!) / 1024);
        for (const p of procs) await stopProcess(p);
        setups.push({ label, nodes, run, rssMb, fills });
      }

      const frameBytes = setups[0]!.run.frameBytes;
      ctx.log(`bare ws server (frames padded to ${frameBytes} bytes, Parley's message.created): stepping up, then each Parley setup's half rate`);
      const bare = spawnPinned(['bench/bare-ws-server.ts'], { FRAME_BYTES: String(frameBytes) }, await freePort());
      servers.push(bare);
      await waitReady(bare);
      const tokens = Array.from({ length: MEMBERS }, (_, i) => `u${i}`);
      const b = await measure([bare.base], [bare.child.pid!], tokens, 'bare', ctx.log, setups.map((x) => x.run.half.rate));
      await stopProcess(bare);

      for (const x of setups) for (const problem of x.run.problems) ctx.log(`${x.label}: ${problem}`);
      for (const x of b.problems) ctx.log(`bare: ${x}`);
      const rows = [row(`baseline: bare ws broadcast (bench/bare-ws-server.ts), ${frameBytes}-byte frames, at its own half rate`, b, b.half, null)];
      setups.forEach((x, i) => {
        const bareThere = b.at[i]!;
        rows.push(row(`baseline: bare ws at ${x.label}'s half rate`, b, bareThere, null));
        rows.push(
          row(`${x.label}: ${MEMBERS} members online, ${SENDERS} senders`, x.run, x.run.half, bareThere, {
            'vs bare at saturation': `${((x.run.saturation.deliveriesPerSec / b.saturation.deliveriesPerSec) * 100).toFixed(1)} %`,
            'gap reads node / connection': `${x.fills.node} / ${x.fills.connection}`,
            'RSS MiB at half rate / peak / after': `${x.run.half.rssMiB.toFixed(0)} / ${Math.max(...x.run.steps.map((st) => st.rssMiB)).toFixed(0)} / ${x.rssMb.map((m) => m.toFixed(0)).join(' + ')}`,
          }),
        );
      });
      const one = setups.find((x) => x.nodes === 1 && x.label.includes('PostgreSQL'));
      const two = setups.find((x) => x.nodes === 2);
      if (one && two) ctx.log(projection(one.run.half, two.run.half));
      return rows;
    } finally {
      for (const s of servers) await stopProcess(s);
      await redis?.kill();
      for (const s of scratches) await s.drop();
      restore();
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
