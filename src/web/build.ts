/**
 * Keeps a built folder (dist/web, dist/server) up to date with its sources: a cheap mtime check,
 * then (only when stale) one build at a time across processes, written beside the folder and
 * swapped in whole, so a reader never sees half a build and a build killed midway leaves the old
 * one in place.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/logger.js';

/** Builds the client into `outDir` (an empty folder that does not exist yet). */
export type WebBuilder = (outDir: string, logger: Logger) => Promise<void>;

export interface WebBuildOptions {
  /** Files and folders the build reads; any of them newer than the build makes it stale. */
  sources: string[];
  run: WebBuilder;
  /** How long to wait for another process's build before building anyway (ms). */
  lockWaitMs?: number;
  /** The file in the folder whose age is the build's (default index.html); a build must write it. */
  marker?: string;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);

/** The newest modification time under `p` (a file or a folder), or 0 when it does not exist. */
export function newestMtime(p: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIP_DIRS.has(entry.name)) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

/** True when `distDir` has no `marker` file (index.html) or one older than a source. */
export function isStale(distDir: string, sources: string[], marker = 'index.html'): boolean {
  let built: number;
  try {
    built = fs.statSync(path.join(distDir, marker)).mtimeMs;
  } catch {
    return true;
  }
  return sources.some((s) => newestMtime(s) > built);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the build lock, or returns false when a live process holds it. A dead holder's lock is taken over. */
function tryLock(lockPath: string): boolean {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(fs.readFileSync(lockPath, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder)) return false;
    fs.rmSync(lockPath, { force: true });
  }
  return false;
}

/** Leftovers of builds that were killed midway (their process is gone). */
function removeLeftovers(distDir: string): void {
  const parent = path.dirname(distDir);
  const prefix = `${path.basename(distDir)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(?:tmp|old)-(\d+)-/.exec(name.slice(prefix.length)) : null;
    if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function swapIn(built: string, distDir: string): void {
  const old = `${distDir}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(distDir)) fs.renameSync(distDir, old);
  fs.renameSync(built, distDir);
  fs.rmSync(old, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds in progress in this process, by folder: a second app in the same process shares the first's build. */
const inProcess = new Map<string, Promise<boolean>>();

/**
 * Builds `distDir` when it is missing or stale. Resolves whether a build ran. Another app in this
 * process, or another process, building the same folder is waited for rather than raced.
 */
export function ensureWebBuild(distDir: string, opts: WebBuildOptions, logger: Logger): Promise<boolean> {
  const running = inProcess.get(distDir);
  if (running) return running.then(() => false);
  const build = buildUnlessFresh(distDir, opts, logger).finally(() => inProcess.delete(distDir));
  inProcess.set(distDir, build);
  return build;
}

async function buildUnlessFresh(distDir: string, opts: WebBuildOptions, logger: Logger): Promise<boolean> {
  const lockPath = `${distDir}.lock`;
  const deadline = Date.now() + (opts.lockWaitMs ?? 180_000);
  let waiting = false;
  for (;;) {
    if (!isStale(distDir, opts.sources, opts.marker)) return false;
    if (tryLock(lockPath)) break;
    if (Date.now() > deadline) {
      logger.warn({ lockPath }, 'another process has been building this for too long; building here');
      fs.rmSync(lockPath, { force: true });
      continue;
    }
    if (!waiting) logger.info({ dir: distDir }, 'another process is building this; waiting for it');
    waiting = true;
    await sleep(250);
  }
  try {
    removeLeftovers(distDir);
    if (!isStale(distDir, opts.sources, opts.marker)) return false;
    const tmp = `${distDir}.tmp-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const name = path.relative(process.cwd(), distDir) || distDir;
    logger.info({ dir: name }, 'building (missing or older than its sources)');
    try {
      await opts.run(tmp, logger);
      const marker = opts.marker ?? 'index.html';
      if (!fs.existsSync(path.join(tmp, marker))) throw new Error(`the build wrote no ${marker}`);
      swapIn(tmp, distDir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    logger.info({ dir: name, ms: Date.now() - started }, 'built');
    return true;
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}
