/**
 * Shared by the scenarios that run real server processes (connections, catchup, coldstart): a
 * server on a scratch database, CPU pinning, /proc figures, sockets, bounded concurrency.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import WebSocket from 'ws';
import { api, freePort, startServer, waitReady, type ServerProcess } from '../tests/helpers/process.js';

export type Frame = Record<string, unknown> & { type: string };

/** Creates a database on the server of `adminUrl`; returns its URL and a drop function. */
export async function scratchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface BenchServer {
  server: ServerProcess;
  pid: number;
  /** Stops the process and starts a new one on the same data (a fresh process: no memory of the setup). */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s; drops the scratch database and removes the temp folder. */
  stop(): Promise<void>;
}

/** SIGTERM, then SIGKILL after 15 s; resolves when it has exited. */
async function stopProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await server.exited;
  clearTimeout(timer);
}

/** BENCH_SERVER_NODE_FLAGS="--max-semi-space-size=4 …": Node or V8 flags for the benchmarked server alone (an experiment). */
export function benchServerNodeFlags(): string[] {
  return (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * One Parley process with RATE_LIMIT=off on a fresh DATA_DIR, or on a scratch database of the
 * PostgreSQL server of DATABASE_URL when it is set. Ready when it returns.
 */
export async function benchServer(name: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-bench-${name}-`));
  const db = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL) : null;
  const serverEnv = {
    DATABASE_URL: db?.url ?? '',
    DATA_DIR: path.join(dir, 'data'),
    UPLOAD_DIR: path.join(dir, 'uploads'),
    LOG_DIR: path.join(dir, 'logs'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT: 'off',
    ...env,
  };
  const kill = () => handle.server.child.kill('SIGKILL');
  const start = async () => {
    // V8's own flags, as a user's server runs (not the short-lived test servers' ones), unless an
    // experiment gives some.
    handle.server = startServer(serverEnv, await freePort(), { nodeFlags: benchServerNodeFlags() });
    handle.pid = handle.server.child.pid!;
    await waitReady(handle.server);
  };
  const handle: BenchServer = {
    server: null as unknown as ServerProcess,
    pid: 0,
    async restart() {
      await stopProcess(handle.server);
      await start();
    },
    async stop() {
      process.off('exit', kill);
      if (handle.server) await stopProcess(handle.server);
      await db?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  process.on('exit', kill);
  try {
    await start();
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/** Pins every thread of `pid` to `cpus` (e.g. "0"); false when taskset is missing or fails. */
export function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** All the machine's CPUs, to undo a pin. */
export const ALL_CPUS = `0-${os.cpus().length - 1}`;

/** The figures of a process from /proc: resident memory and CPU time used so far. */
export function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of `pid`, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime 14 and stime 15 (1-based), so 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * Waits until `pid` is idle (under 5 % of a CPU for two seconds in a row), at most `maxMs`;
 * returns the seconds waited.
 */
export async function waitIdle(pid: number, maxMs = 180_000): Promise<number> {
  const t0 = performance.now();
  let quiet = 0;
  let last = cpuSeconds(pid);
  while (quiet < 4 && performance.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuSeconds(pid);
    quiet = now - last < 0.025 ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - t0) / 1000;
}

/** Database queries a server has run so far, and their summed seconds (from its GET /metrics). */
export async function dbQueries(base: string): Promise<{ count: number; seconds: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { count: value('parley_db_query_duration_seconds_count'), seconds: value('parley_db_query_duration_seconds_sum') };
}

/** This process's CPU time so far, in seconds. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The open-file limits of `pid` (soft, hard). */
export function fileLimits(pid: number | 'self'): { soft: number; hard: number } {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/);
  const n = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(soft), hard: n(hard) };
}

export interface SocketOptions {
  /** The client's source address (127.0.0.2, …): each has its own ~28k ephemeral ports. */
  localAddress?: string;
  /** Sent in `auth`: the client's last seq per conversation. */
  cursors?: Record<string, number>;
  /** Every frame, `ready` included. */
  onFrame?(ws: WebSocket, frame: Frame): void;
  timeoutMs?: number;
  /** Resolves once the socket is open (before `auth`): where a caller paces the handshakes. */
  onOpen?(): void;
}

/** Opens a socket and authenticates; resolves at `ready`, rejects on an error, a close or the timeout. */
export function openSocket(base: string, token: string, opts: SocketOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws`, {
    perMessageDeflate: false,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  });
  return new Promise<WebSocket>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.onOpen?.();
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('no ready within the timeout')), opts.timeoutMs ?? 30_000);
    ws.on('error', fail);
    ws.once('close', (code) => fail(new Error(`closed with ${code} before ready`)));
    ws.once('open', () => {
      opts.onOpen?.();
      ws.send(JSON.stringify({ type: 'auth', token, ...(opts.cursors ? { cursors: opts.cursors } : {}) }));
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'ready' && !settled) {
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners('close');
        resolve(ws);
      }
      opts.onFrame?.(ws, frame);
    });
  });
}

/** Runs fn over items with at most `limit` in flight; the first rejection stops new starts and is thrown. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== null) throw failed;
  return out;
}

export interface BenchUser {
  token: string;
  user: { id: string };
}

/** Registers `n` users through the API, `concurrency` at a time (argon2 makes each ~15 ms of CPU). */
export async function registerUsers(server: ServerProcess, n: number, prefix: string, concurrency = 16): Promise<BenchUser[]> {
  return pool(Array.from({ length: n }, (_, i) => i), concurrency, async (i) => {
    const r = await api(server, 'POST', '/auth/register', { username: `${prefix}${i}`, password: 'bench-password' });
    if (r.status !== 201) throw new Error(`register ${prefix}${i}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as BenchUser;
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const seconds = (since: number) => (performance.now() - since) / 1000;
