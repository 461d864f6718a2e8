/**
 * Shared by the load-generator scenarios (sends, fanout): children started under
 * `taskset -c CPU`, this process pinned apart from them, sockets whose frames reach the hot path
 * as raw Buffers (checked by prefix, not parsed), and the bare-INSERT baselines.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import WebSocket from 'ws';
import { ROOT, type ServerProcess } from '../tests/helpers/process.js';
import { ALL_CPUS, benchServerNodeFlags, ownCpuSeconds, pin } from './procs.js';

/** The CPU of the measured child (server, bare ws server, PGlite baseline) and of this generator. */
/** The compiled server, as production runs it (bench/run.ts builds it first when stale). */
export const SERVER_ENTRY = 'dist/server/main.js';
export const SERVER_CPU = 0;
export const LOADGEN_CPU = 1;

let tasksetFound: boolean | undefined;
export function canPin(): boolean {
  if (tasksetFound === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetFound = true;
    } catch {
      tasksetFound = false;
    }
  }
  return tasksetFound;
}

export function pinningNote(): string {
  return canPin()
    ? `pinned: measured process on CPU ${SERVER_CPU}, load generator on CPU ${LOADGEN_CPU} (taskset); a PostgreSQL server is not pinned`
    : 'taskset not found: NOT pinned, the measured process and the load generator share the CPUs';
}

/** Pins this process (every thread) to the load generator's CPU; returns the undo. */
export function pinSelf(): () => void {
  if (!canPin() || !pin(process.pid, String(LOADGEN_CPU))) return () => {};
  return () => void pin(process.pid, ALL_CPUS);
}

/**
 * `node --import tsx ARGS` in the repository, under `taskset -c cpu` when taskset exists. With
 * BENCH_CPU_PROF=DIR the child writes a V8 CPU profile there when it stops (open it in Chrome's
 * DevTools or speedscope): how the causes of a miss are found. BENCH_SERVER_LOG=FILE writes the
 * child's output to FILE.PID as well.
 */
export function spawnPinned(args: string[], env: Record<string, string>, port = 0, cpu = SERVER_CPU): ServerProcess {
  let out = '';
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const flags = args[0] === SERVER_ENTRY ? benchServerNodeFlags() : [];
  // The compiled build runs as is; anything else (a TypeScript load generator) through tsx.
  const node = [process.execPath, ...profile, ...flags, ...(args[0]?.endsWith('.js') ? [] : ['--import', 'tsx']), ...args];
  const [cmd, ...rest] = canPin() ? ['taskset', '-c', String(cpu), ...node] : node;
  // taskset execs node, so the child's pid is node's.
  const child = spawn(cmd!, rest, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', RATE_LIMIT: 'off', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  // BENCH_SERVER_LOG=FILE: the child's output is also written there (e.g. V8's --trace-gc lines).
  const logFile = process.env.BENCH_SERVER_LOG;
  if (logFile) {
    const sink = fs.createWriteStream(`${logFile}.${child.pid}`);
    child.stdout!.pipe(sink);
    child.stderr!.pipe(sink);
  }
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.off('exit', kill));
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/**
 * Seconds the main thread of `pid` (where Parley's JavaScript and PGlite run) has spent runnable
 * but waiting for a CPU (schedstat): when this grows during a measurement, other processes on
 * its CPU took time from it.
 */
export function cpuWaitSeconds(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopProcess(p: ServerProcess, graceMs = 15_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/**
 * An authenticated socket: `auth` (Parley's protocol, which the bare ws server imitates), resolved
 * at `ready`; every later frame goes to `onFrame` as the raw Buffer.
 */
export async function openRawSocket(base: string, token: string, onFrame: (data: Buffer) => void, timeoutMs = 30_000): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    let ready = false;
    const fail = (err: Error) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('no ready within the timeout')), timeoutMs);
    ws.on('error', fail);
    ws.once('close', (code) => fail(new Error(`closed with ${code} before ready`)));
    ws.on('message', (data: Buffer) => {
      if (ready) return onFrame(data);
      if (data.includes('"type":"ready"')) {
        ready = true;
        clearTimeout(timer);
        ws.removeAllListeners('close');
        resolve();
      }
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
  });
  return ws;
}

/** Whether `data` begins with `prefix`: a frame-type check without decoding or parsing. */
export function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** How Parley's `ack` and `error` frames begin (`{type, id, …}`, serialized in that order). */
export const ACK_PREFIX = Buffer.from('{"type":"ack"');
export const ERROR_PREFIX = Buffer.from('{"type":"error"');

/** The rows of the bare-INSERT baselines: a message's size and main columns. */
export const BARE_TABLE =
  'CREATE TABLE bare (id bigserial PRIMARY KEY, conv int NOT NULL, sender int NOT NULL, client_msg_id text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())';
export const BARE_BODY = 'load c123-45, a message body of a typical length, 你好 👋';

/** Bare INSERTs through postgres.js (`poolSize` connections), `concurrency` in flight, for `seconds`. */
export async function barePostgresInserts(url: string, concurrency: number, poolSize: number, seconds: number): Promise<{ perSec: number; ownCpu: number }> {
  const sql = postgres(url, { max: poolSize, onnotice: () => {} });
  try {
    await sql.unsafe(BARE_TABLE);
    let n = 0;
    const cpu0 = ownCpuSeconds();
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) {
          await sql`INSERT INTO bare (conv, sender, client_msg_id, body) VALUES (${w >> 1}, ${w}, ${`c${w}-${i}`}, ${BARE_BODY})`;
          if (performance.now() <= until) n++;
        }
      }),
    );
    return { perSec: n / seconds, ownCpu: ownCpuSeconds() - cpu0 };
  } finally {
    await sql.end();
  }
}
