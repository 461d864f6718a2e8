/**
 * Runs Parley as a real child process, as `npm start` does: scripts/start.mjs runs the compiled
 * build (dist/server), building it first if the sources changed since (npm test builds it up front).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { afterEach } from 'vitest';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The compiled server (npm run build). */
export const SERVER_DIST = path.join(ROOT, 'dist', 'server');

/**
 * The files of dist/server that `entry` loads before anything dynamic (its static imports, and
 * theirs): what the default start runs, without the chunks loaded on first use.
 */
export function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = fs.readFileSync(path.join(SERVER_DIST, file), 'utf8');
    for (const m of src.matchAll(/^import\s(?:[^;]*?\sfrom\s)?"\.\/([^"]+)";?$/gm)) walk(m[1]!);
  };
  walk(entry);
  return [...seen];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  base: string;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * V8 flags for the servers tests start, which live seconds. PGlite's WebAssembly is compiled by
 * V8's baseline compiler and its hot functions recompiled by the optimizing one once each has run
 * through a budget; a server's start alone spends ~2 s of CPU on that, for code a test server
 * rarely runs long enough to use. With a budget 100 times V8's (1,800,000) only what a test works
 * hard tiers up. tests/process on PGlite, system-wide busy CPU (/proc/stat), alternated runs:
 * 183.3 and 217.4 s with V8's budget, 166.6 and 165.7 s with this one (wall 95 and 111 s against 85
 * and 85). Not the product's default: a server restarted under load (a rolling upgrade's reconnect
 * storm) wants its hot paths optimized early, and the benchmarks measure V8's defaults (they pass
 * `nodeFlags: []`). `TEST_SERVER_NODE_FLAGS` replaces these (empty: V8's defaults).
 */
const TEST_SERVER_NODE_FLAGS = (process.env.TEST_SERVER_NODE_FLAGS ?? '--wasm-tiering-budget=180000000').split(' ').filter(Boolean);

export function startServer(env: Record<string, string>, port: number, opts: { nodeFlags?: string[] } = {}): ServerProcess {
  let out = '';
  // Source maps: a stack trace in a failing test's output names the TypeScript lines.
  const child = spawn(process.execPath, ['--enable-source-maps', ...(opts.nodeFlags ?? TEST_SERVER_NODE_FLAGS), 'scripts/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/**
 * `npm run admin -- ...args` as its own process: the compiled admin CLI, as users run it
 * (scripts/start.mjs admin-cli). Resolves with its exit code and what it wrote to each stream.
 */
export function runAdminCli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/start.mjs', 'admin-cli', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdin.end(stdin);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Waits until GET /readyz answers 200, or the process exits, or the timeout passes. */
export async function waitReady(server: ServerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`${server.base}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready (exited: ${exited}); output:\n${server.output()}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field
export async function api(server: ServerProcess, method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.base}/api/v1${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/**
 * Per-test server processes and temp folders, killed and removed after each test (call at the
 * top of a test file): `tempDir()` makes a folder, `start(env)` a server on a free port.
 */
export function processFixture(prefix: string): { tempDir(): string; start(env: Record<string, string>): Promise<ServerProcess> } {
  const running: ServerProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    tempDir() {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    async start(env) {
      const server = startServer(env, await freePort());
      running.push(server);
      return server;
    },
  };
}
