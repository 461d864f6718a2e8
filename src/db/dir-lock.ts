import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface DirLock {
  release(): void;
}

/** DATA_DIR is held by another live process. */
export class DirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`DATA_DIR ${dir} is in use by another Parley process (pid ${pid}); stop it first or use another DATA_DIR`);
    this.name = 'DirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `dir/parley.lock` for this process. PGlite takes no lock of its own, and two processes
 * on one folder corrupt it. A lock left by a dead process (kill -9) is taken over.
 */
export function acquireDirLock(dir: string): DirLock {
  const file = path.join(dir, 'parley.lock');
  const content = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, content, { flag: 'wx' });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            fs.unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof holder;
    } catch {
      // Unreadable or half-written: treat as stale.
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : null;
    const sameHost = holder.host === undefined || holder.host === os.hostname();
    if (pid !== null && pid !== process.pid && sameHost && alive(pid)) throw new DirLockedError(dir, pid);
    fs.rmSync(file, { force: true });
  }
  throw new Error(`could not take the lock on ${dir}`);
}
