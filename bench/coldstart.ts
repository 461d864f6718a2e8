/**
 * Cold start, embedded, as production runs it: spawn `node dist/server/main.js` (the compiled
 * build; bench/run.ts brings it up to date first) → first 200 from /readyz (polled every 10 ms),
 * with its CPU seconds and RSS then, and its RSS after IDLE_MS of idling. BENCH_COLDSTART_RUNS (5)
 * times on a fresh DATA_DIR each, then as often on one full DATA_DIR (BENCH_COLDSTART_MESSAGES,
 * 200,000 messages with their events, bulk-loaded while no server runs). Each start on a fresh
 * DATA_DIR then idles for BENCH_COLDSTART_LONG_IDLE_MS (75 s: past V8's return of the young
 * generation and the first maintenance, a minute after the database opens), its RSS every IDLE_MS.
 * Baselines in the same run; `node -e 0` and PGlite alone at its SELECT 1 in rounds with the
 * starts (node, PGlite alone, the server, back to back), the idle baselines after the fresh
 * rounds: spawn → exit of `node -e 0`, and of a child that only opens a DATA_DIR's PGlite (a copy of
 * the build's empty database, and the full one) with the same settings (PGLITE_SHARED_BUFFERS) and
 * runs SELECT 1, with its RSS then (and, idle as long as the server, after; for comparison also
 * with malloc_trim called as the server calls it). Targets (issue 18):
 * ready ≤ 1.5x (PGlite alone + node -e 0) on the full DATA_DIR, ≤ 2x on a fresh one (against PGlite alone opening the build's
 * empty database, what a fresh DATA_DIR starts from); idle RSS ≤
 * 1.3x PGlite alone and ≤ 250 MiB. Always embedded: DATABASE_URL is ignored here.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PGLITE_SHARED_BUFFERS } from '../src/core/config.js';
import { newId } from '../src/core/ids.js';
import { FIRST_TRIM_AFTER_MS } from '../src/core/memory-trim.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { PGLITE_TEMPLATE_DIR } from '../src/db/pglite-setup.js';
import { conversations, members, users } from '../src/db/schema.js';
import { searchTerms } from '../src/db/search-terms.js';
import { freePort, ROOT } from '../tests/helpers/process.js';
import { percentiles, type Scenario } from './lib.js';
import { insertBatches, loadMessages } from './load.js';
import { SERVER_ENTRY } from './loadgen.js';
import { cpuSeconds, rssKiB, sleep } from './procs.js';

const RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 5);
const FULL = Number(process.env.BENCH_COLDSTART_MESSAGES ?? 200_000);
const GROUPS = 100;
const POLL_MS = 10;
const IDLE_MS = 5_000;
/** Rounded up to whole IDLE_MS steps, at least one: the server's RSS is read every IDLE_MS. */
const LONG_IDLE_MS = Math.max(IDLE_MS, Math.ceil(Number(process.env.BENCH_COLDSTART_LONG_IDLE_MS ?? 75_000) / IDLE_MS) * IDLE_MS);
const SHARED_BUFFERS = process.env.PGLITE_SHARED_BUFFERS ?? DEFAULT_PGLITE_SHARED_BUFFERS;

/**
 * PGlite alone, with the server's start parameters; prints its RSS (KiB) once SELECT 1 answered,
 * and, given an idle time (argv[3], ms), its RSS after idling that long. Given argv[4] = 'trim',
 * it also calls glibc's malloc_trim as the server does (src/core/memory-trim.ts) once
 * FIRST_TRIM_AFTER_MS has passed.
 */
const PGLITE_OPEN = `
import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create(process.argv[1], { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=' + process.argv[2]] });
await db.query('SELECT 1');
const rss = () => String(Math.round(process.memoryUsage().rss / 1024));
process.stdout.write(rss());
const idle = Number(process.argv[3] ?? 0);
if (process.argv[4] === 'trim') {
  const { default: koffi } = await import('koffi');
  const trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
  setTimeout(() => trim(0), ${FIRST_TRIM_AFTER_MS}).unref();
}
if (idle > 0) {
  await new Promise((r) => setTimeout(r, idle));
  process.stdout.write(' ' + rss());
}
await db.close();
`;

/** Spawn → exit of a child, in ms, with what it printed; throws when it fails. */
async function timedExit(args: string[]): Promise<{ ms: number; out: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}: ${err}`);
  return { ms: performance.now() - t0, out };
}

interface Start {
  ms: number;
  cpu: number;
  /** KiB at ready, and after IDLE_MS of idling. */
  rssReady: number;
  rssIdle: number;
  /** KiB every IDLE_MS from ready on, for `idleFor` ms. */
  idleSeries: number[];
  /** ms since the process began: modules loaded, database open (the two overlap), app built, listening. */
  split: number[];
}

/**
 * Spawn `node dist/server/main.js` → first 200 from /readyz, in ms; the server's CPU seconds and
 * RSS by then, its RSS after IDLE_MS, and where the time went from its log lines. Stops it after.
 */
async function timedStart(dataDir: string, scratch: string, idleFor = IDLE_MS): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, UPLOAD_DIR: path.join(scratch, 'uploads'), LOG_DIR: path.join(scratch, 'logs') };
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'info', RATE_LIMIT: 'off', PORT: String(port), HOST: '127.0.0.1', PGLITE_SHARED_BUFFERS: SHARED_BUFFERS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  void exit.then(() => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`the server exited before it was ready:\n${out}`);
      if (performance.now() - t0 > 60_000) throw new Error(`not ready within 60 s:\n${out}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(POLL_MS);
    }
    const ms = performance.now() - t0;
    const cpu = cpuSeconds(child.pid!);
    const rssReady = rssKiB(child.pid!);
    const idleSeries: number[] = [];
    for (let idle = 0; idle < idleFor; idle += IDLE_MS) {
      await sleep(IDLE_MS);
      idleSeries.push(rssKiB(child.pid!));
    }
    const rssIdle = idleSeries[0]!;
    // The server's own milestones, in ms since its process began (the "ready" line's startupMs).
    const ready = JSON.parse(out.split('\n').find((l) => l.includes('"msg":"Parley is ready"')) ?? '{}') as { startupMs?: Record<string, number> };
    const m = ready.startupMs ?? {};
    return { ms, cpu, rssReady, rssIdle, idleSeries, split: [m.modulesLoaded ?? NaN, m.databaseOpen ?? NaN, m.appBuilt ?? NaN, m.listening ?? NaN] };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  }
}

/** A DATA_DIR holding FULL messages (and events) in GROUPS groups of one user, loaded with no server running. */
async function fillDataDir(dataDir: string, log: (l: string) => void): Promise<void> {
  const logger = createLogger({ level: 'warn', logDir: null, pretty: false });
  const database = await openDatabase({ kind: 'pglite', dataDir, sharedBuffers: SHARED_BUFFERS }, logger);
  try {
    const db = database.db;
    const userId = newId();
    await insertBatches(db, users, [{ id: userId, username: `cold_${Date.now()}`, displayName: 'Cold 冷启动' }]);
    const convs = Array.from({ length: GROUPS }, (_, g) => ({ id: newId(), kind: 'group' as const, name: `group ${g}`, visibility: 'private' as const, memberCount: 1 }));
    await insertBatches(db, conversations, convs);
    await insertBatches(db, members, convs.map((c) => ({ conversationId: c.id, userId, role: 'owner' as const })));
    const t0 = Date.now() - FULL;
    await loadMessages(
      db,
      FULL,
      (i) => {
        const body = `message ${i} of the cold start 冷启动的消息 ${i % 97}`;
        return { id: newId(), conversationId: convs[i % GROUPS]!.id, seq: Math.floor(i / GROUPS) + 1, senderId: userId, body, searchTerms: searchTerms(body), createdAt: new Date(t0 + i) };
      },
      { events: true, log },
    );
  } finally {
    await database.close();
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(0);

export const coldstartScenario: Scenario = {
  name: 'coldstart',
  describe: `spawn → ready of the compiled build (node ${SERVER_ENTRY}), embedded (shared_buffers ${SHARED_BUFFERS}), on a fresh DATA_DIR and on one holding ${FULL.toLocaleString('en')} messages, ${RUNS} runs each, beside node and PGlite alone`,
  async run(ctx) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-coldstart-'));
    const rows: Record<string, string | number>[] = [];
    const row = (label: string, ms: number[], extra: { rss?: number[]; server?: Start[] } = {}) => {
      const p = percentiles(ms);
      const server = extra.server;
      const med = (xs: number[]) => percentiles(xs).p50;
      rows.push({
        start: label,
        runs: ms.length,
        'median ms': p.p50.toFixed(0),
        'max ms': Math.max(...ms).toFixed(0),
        'CPU s at ready': server ? med(server.map((s) => s.cpu)).toFixed(2) : '',
        'RSS MiB at ready / idle': server ? `${mib(med(server.map((s) => s.rssReady)))} / ${mib(med(server.map((s) => s.rssIdle)))}` : extra.rss ? mib(med(extra.rss)) : '',
        'modules / database / app / listening at ms': server ? [0, 1, 2, 3].map((k) => med(server.map((s) => s.split[k]!)).toFixed(0)).join(' / ') : '',
      });
      ctx.log(`  ${label}: ${ms.map((m) => m.toFixed(0)).join(', ')} ms`);
      return p.p50;
    };
    /** A row of the table with an idle RSS (MiB) only. */
    const idleRow = (label: string, runs: number, idleKiB: number) =>
      rows.push({ start: label, runs, 'median ms': '', 'max ms': '', 'CPU s at ready': '', 'RSS MiB at ready / idle': `/ ${mib(idleKiB)}`, 'modules / database / app / listening at ms': '' });
    const pgliteAlone = (dir: string, idleMs = 0, trim = false) => timedExit(['--input-type=module', '-e', PGLITE_OPEN, dir, SHARED_BUFFERS, String(idleMs), ...(trim ? ['trim'] : [])]);
    const emptyCopy = (name: string) => {
      const dir = path.join(root, name);
      fs.cpSync(path.join(PGLITE_TEMPLATE_DIR, 'pgdata'), dir, { recursive: true });
      return dir;
    };
    try {
      // Rounds of node -e 0, PGlite alone and the server back to back, not one after the other's
      // runs: this shared machine's speed drifts (by half, seen from one quarter hour to the next),
      // and a slow spell then slows a baseline and the server alike.
      // What a fresh DATA_DIR's database is at first start: a copy of the build's empty one.
      const freshNode: number[] = [];
      const emptyAlone: { ms: number; out: string }[] = [];
      const fresh: Start[] = [];
      for (let k = 0; k < RUNS; k++) {
        freshNode.push((await timedExit(['-e', '0'])).ms);
        emptyAlone.push(await pgliteAlone(emptyCopy(`pg-empty-${k}`)));
        fresh.push(await timedStart(path.join(root, `fresh-${k}`), root, LONG_IDLE_MS));
      }
      const freshNodeMs = row('baseline: node -e 0 (to exit), in the fresh rounds', freshNode);
      const freshMs = row('Parley to ready, fresh DATA_DIR', fresh.map((s) => s.ms), { server: fresh });
      const emptyAloneMs = row("baseline: PGlite alone opening a copy of the build's empty database + SELECT 1 (to exit)", emptyAlone.map((r) => r.ms), { rss: emptyAlone.map((r) => Number(r.out)) });
      const emptyAloneRss = percentiles(emptyAlone.map((r) => Number(r.out))).p50;
      // PGlite alone gives memory back once idle too (its WebAssembly compilation's and V8's): the
      // like-for-like baseline of a settled server. RSS only, so the runs idle side by side.
      // Their RSS at SELECT 1 was read while all of them started at once: only the idle figure is reported.
      // The same with malloc_trim as the server calls it: how much of the server's settled RSS
      // against PGlite alone's comes from the trim alone (PGlite's own C heap has such holes too).
      // After the first five, not beside them: how many start at once changes what their starts
      // leave in malloc's arenas, which is what is measured. Only when the idle outlasts the first trim.
      const idleAlone = async (trim: boolean) =>
        (await Promise.all(Array.from({ length: RUNS }, (_, k) => pgliteAlone(emptyCopy(`pg-empty-idle-${trim ? 'trim-' : ''}${k}`), LONG_IDLE_MS, trim)))).map((r) =>
          Number(r.out.split(' ')[1]),
        );
      const aloneIdle = await idleAlone(false);
      const aloneTrimmedIdle = LONG_IDLE_MS > FIRST_TRIM_AFTER_MS ? await idleAlone(true) : null;
      const settledAloneRss = percentiles(aloneIdle).p50;
      const settledAloneTrimmedRss = aloneTrimmedIdle ? percentiles(aloneTrimmedIdle).p50 : NaN;
      idleRow(`baseline: PGlite alone on a copy of the build's empty database, idle ${LONG_IDLE_MS / 1000} s (${RUNS} side by side)`, RUNS, settledAloneRss);
      if (aloneTrimmedIdle) idleRow(`for comparison: the same with malloc_trim ${FIRST_TRIM_AFTER_MS / 1000} s in, as the server (${RUNS} more, after them)`, RUNS, settledAloneTrimmedRss);
      ctx.log(`  PGlite alone's RSS after ${LONG_IDLE_MS / 1000} s idle (MiB): ${aloneIdle.map(mib).join(', ')}${aloneTrimmedIdle ? `; with malloc_trim: ${aloneTrimmedIdle.map(mib).join(', ')}` : ''}`);
      const freshIdleRss = percentiles(fresh.map((s) => s.rssIdle)).p50;

      const full = path.join(root, 'full');
      const t = performance.now();
      await fillDataDir(full, ctx.log);
      ctx.log(`  full DATA_DIR loaded in ${((performance.now() - t) / 1000).toFixed(0)} s`);
      const fullNode: number[] = [];
      const fullAlone: { ms: number; out: string }[] = [];
      const loaded: Start[] = [];
      for (let k = 0; k < RUNS; k++) {
        fullNode.push((await timedExit(['-e', '0'])).ms);
        fullAlone.push(await pgliteAlone(path.join(full, 'pglite')));
        loaded.push(await timedStart(full, root));
      }
      const nodeMs = row('baseline: node -e 0 (to exit), in the full rounds', fullNode);
      const aloneMs = row('baseline: PGlite alone opening the full DATA_DIR + SELECT 1 (to exit)', fullAlone.map((r) => r.ms), { rss: fullAlone.map((r) => Number(r.out)) });
      const aloneRss = percentiles(fullAlone.map((r) => Number(r.out))).p50;
      const fullMs = row(`Parley to ready, full DATA_DIR (${FULL.toLocaleString('en')} messages)`, loaded.map((s) => s.ms), { server: loaded });
      const idleRss = percentiles(loaded.map((s) => s.rssIdle)).p50;
      // The fresh starts' idle RSS once settled. V8 keeps the young generation it grew while the
      // modules loaded (two 16 MiB semi-spaces) until a collection sees the allocation rate low,
      // 10-40 s into an idle start; and what malloc keeps of the start's native allocations varies
      // by ±15 MiB from one start to the next: hence the median of several. A fresh DATA_DIR has
      // nothing for the search backfill to read, which on the full one fills PGlite's
      // shared_buffers (memory PGlite alone, measured at its SELECT 1, has not touched yet).
      for (const [k, s] of fresh.entries()) ctx.log(`  idle RSS of fresh start ${k + 1}, every ${IDLE_MS / 1000} s (MiB): ${s.idleSeries.map(mib).join(', ')}`);
      const settledRss = percentiles(fresh.map((s) => s.idleSeries[s.idleSeries.length - 1]!)).p50;
      idleRow(`Parley idle ${LONG_IDLE_MS / 1000} s on a fresh DATA_DIR (the same ${RUNS} starts)`, RUNS, settledRss);
      const base = aloneMs + nodeMs;
      const freshBase = emptyAloneMs + freshNodeMs;
      const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
      // Round by round too: each start beside the baselines timed just before it.
      const perRound = (starts: Start[], alone: { ms: number }[], node: number[]) => starts.map((st, k) => x(st.ms, alone[k]!.ms + node[k]!)).join(', ');
      ctx.log(
        `  targets (ratios of the medians): full ${x(fullMs, base)} (PGlite alone + node -e 0 = ${base.toFixed(0)} ms; target ≤ 1.5x; round by round ${perRound(loaded, fullAlone, fullNode)}), ` +
          `fresh ${x(freshMs, base)} of the full DATA_DIR's baseline, ${x(freshMs, freshBase)} of the empty database's (target ≤ 2x; ${freshBase.toFixed(0)} ms; round by round ${perRound(fresh, emptyAlone, freshNode)}); ` +
          `idle RSS (target ≤ 1.3x PGlite alone on the same folder, and ≤ 250 MiB): full DATA_DIR ${mib(idleRss)} MiB at ${IDLE_MS / 1000} s = ${x(idleRss, aloneRss)} of ${mib(aloneRss)}; ` +
          `fresh DATA_DIR ${mib(freshIdleRss)} MiB at ${IDLE_MS / 1000} s = ${x(freshIdleRss, emptyAloneRss)} of ${mib(emptyAloneRss)}, ` +
          `${mib(settledRss)} MiB at ${LONG_IDLE_MS / 1000} s = ${x(settledRss, emptyAloneRss)} of PGlite alone at its SELECT 1, ${x(settledRss, settledAloneRss)} of PGlite alone idle as long (${mib(settledAloneRss)}); ` +
          (aloneTrimmedIdle ? `${x(settledRss, settledAloneTrimmedRss)} of PGlite alone idle as long with malloc_trim (${mib(settledAloneTrimmedRss)})` : ''),
      );
      return rows;
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
