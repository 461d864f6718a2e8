/**
 * Cold start, embedded: spawn `node --import tsx src/main.ts` → first 200 from /readyz (polled
 * every 20 ms), BENCH_COLDSTART_RUNS (5) times on a fresh DATA_DIR each, then as often on one full
 * DATA_DIR (BENCH_COLDSTART_MESSAGES, 200,000 messages with their events, bulk-loaded while no
 * server runs). Baselines in the same run: spawn → exit of `node --import tsx -e 0` (the runtime
 * and tsx alone), and of a child that only opens the same DATA_DIR's PGlite and runs SELECT 1.
 * The web client (dist/web) is brought up to date first, with the server's own ensureWebBuild,
 * so a start only checks its mtimes. Always embedded: DATABASE_URL is ignored here.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { newId } from '../src/core/ids.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { conversations, members, users } from '../src/db/schema.js';
import { searchTerms } from '../src/db/search-terms.js';
import { ensureWebBuild, isStale } from '../src/web/build.js';
import { defaultWebClient } from '../src/web/index.js';
import { WEB_DIST, WEB_SOURCES } from '../src/web/paths.js';
import { freePort, ROOT, startServer } from '../tests/helpers/process.js';
import { percentiles, type Scenario } from './lib.js';
import { insertBatches, loadMessages } from './load.js';
import { cpuSeconds, sleep } from './procs.js';

const RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 5);
const FULL = Number(process.env.BENCH_COLDSTART_MESSAGES ?? 200_000);
const GROUPS = 100;
const POLL_MS = 20;

const PGLITE_OPEN = `
import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create(process.argv[1]);
await db.query('SELECT 1');
await db.close();
`;

/** Spawn → exit of a child, in ms; throws when it fails. */
async function timedExit(args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}: ${err}`);
  return performance.now() - t0;
}

/**
 * Spawn → first 200 from /readyz, in ms; the server's CPU seconds by then, and the database's
 * own opening time (PGlite and migrations) from its `database ready` log line. Stops it after.
 */
async function timedStart(dataDir: string, scratch: string): Promise<{ ms: number; cpu: number; split: number[] }> {
  const port = await freePort();
  const t0 = performance.now();
  const epoch0 = Date.now();
  const server = startServer(
    { DATABASE_URL: '', DATA_DIR: dataDir, UPLOAD_DIR: path.join(scratch, 'uploads'), LOG_DIR: path.join(scratch, 'logs'), LOG_LEVEL: 'info', RATE_LIMIT: 'off' },
    port,
  );
  let exited = false;
  void server.exited.then(() => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`the server exited before it was ready:\n${server.output()}`);
      if (performance.now() - t0 > 60_000) throw new Error(`not ready within 60 s:\n${server.output()}`);
      try {
        const res = await fetch(`${server.base}/readyz`);
        if (res.status === 200) {
          const ms = performance.now() - t0;
          const cpu = cpuSeconds(server.child.pid!);
          // pino's lines carry their time: spawn → opening the database → database ready → listening.
          const line = (msg: string) => JSON.parse(server.output().split('\n').find((l) => l.includes(`"msg":"${msg}"`)) ?? '{}') as { time?: string; ms?: number };
          const db = line('database ready');
          const listening = line('Parley is ready');
          const at = (l: { time?: string }) => (l.time ? Date.parse(l.time) - epoch0 : NaN);
          const split = [at(db) - (db.ms ?? NaN), db.ms ?? NaN, at(listening) - at(db)];
          return { ms, cpu, split };
        }
      } catch {
        // not listening yet
      }
      await sleep(POLL_MS);
    }
  } finally {
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    await server.exited;
    clearTimeout(timer);
  }
}

/** A DATA_DIR holding FULL messages (and events) in GROUPS groups of one user, loaded with no server running. */
async function fillDataDir(dataDir: string, log: (l: string) => void): Promise<void> {
  const logger = createLogger({ level: 'warn', logDir: null, pretty: false });
  const database = await openDatabase({ kind: 'pglite', dataDir }, logger);
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

export const coldstartScenario: Scenario = {
  name: 'coldstart',
  describe: `spawn → ready, embedded, on a fresh DATA_DIR and on one holding ${FULL.toLocaleString('en')} messages, ${RUNS} runs each (target at most 2 s)`,
  async run(ctx) {
    const logger = createLogger({ level: 'warn', logDir: null, pretty: false });
    const freshWeb = async (when: string) => {
      if (!isStale(WEB_DIST, WEB_SOURCES)) return;
      const t = performance.now();
      await ensureWebBuild(WEB_DIST, defaultWebClient().build!, logger);
      ctx.log(`  web client was stale ${when}: rebuilt in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    };
    await freshWeb('before the runs');
    ctx.log('  web client (dist/web) is up to date: a start only checks its mtimes, no build');

    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-coldstart-'));
    const rows: Record<string, string | number>[] = [];
    const row = (label: string, ms: number[], server?: { cpu: number[]; split: number[][] }) => {
      const p = percentiles(ms);
      rows.push({
        start: label,
        runs: ms.length,
        'median ms': p.p50.toFixed(0),
        'max ms': Math.max(...ms).toFixed(0),
        'server CPU s at ready (median)': server ? percentiles(server.cpu).p50.toFixed(2) : '',
        'runtime+imports / database / app ms (median)': server ? [0, 1, 2].map((k) => percentiles(server.split.map((s) => s[k]!)).p50.toFixed(0)).join(' / ') : '',
      });
      ctx.log(`  ${label}: ${ms.map((m) => m.toFixed(0)).join(', ')} ms`);
    };
    const times = async (fn: (k: number) => Promise<number>) => {
      const out: number[] = [];
      for (let k = 0; k < RUNS; k++) out.push(await fn(k));
      return out;
    };
    const starts = async (dirOf: (k: number) => string) => {
      const ms: number[] = [];
      const cpu: number[] = [];
      const split: number[][] = [];
      for (let k = 0; k < RUNS; k++) {
        await freshWeb('between runs');
        const r = await timedStart(dirOf(k), root);
        ms.push(r.ms);
        cpu.push(r.cpu);
        split.push(r.split);
      }
      return { ms, cpu, split };
    };
    try {
      row('baseline: node --import tsx -e 0 (to exit)', await times(() => timedExit(['--import', 'tsx', '-e', '0'])));
      row(
        'baseline: PGlite open + SELECT 1, fresh dir (to exit)',
        await times((k) => timedExit(['--input-type=module', '-e', PGLITE_OPEN, path.join(root, `pg-fresh-${k}`)])),
      );
      const fresh = await starts((k) => path.join(root, `fresh-${k}`));
      row('Parley to ready, fresh DATA_DIR', fresh.ms, fresh);

      const full = path.join(root, 'full');
      const t = performance.now();
      await fillDataDir(full, ctx.log);
      ctx.log(`  full DATA_DIR loaded in ${((performance.now() - t) / 1000).toFixed(0)} s`);
      row(
        `baseline: PGlite open + SELECT 1, full dir (to exit)`,
        await times(() => timedExit(['--input-type=module', '-e', PGLITE_OPEN, path.join(full, 'pglite')])),
      );
      const loaded = await starts(() => full);
      row(`Parley to ready, full DATA_DIR (${FULL.toLocaleString('en')} messages)`, loaded.ms, loaded);
      return rows;
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
