import type { Logger } from './logger.js';

/**
 * Hands the C heap's free pages back to the system: glibc's `malloc_trim(0)`, once shortly after
 * the server is ready and then every MEMORY_TRIM_SECONDS.
 *
 * Why: glibc gives memory back on free() only from the top of each arena. A start compiles the
 * embedded database's WebAssembly and the server's code on background threads, whose scratch
 * memory is freed in between blocks that stay, so tens of MiB of free pages stay resident for the
 * life of the process (about 30-50 MiB of an idle server's 230-250 MiB RSS, measured with gdb
 * calling malloc_trim in a running server: BENCHMARKS.md, "Idle memory: the C heap's free pages
 * handed back"). `malloc_trim(0)` walks every arena and returns the whole free pages inside them
 * (madvise), which is what reaches that memory; later bursts (an export, an import, a reconnect
 * storm) leave the same kind of holes, hence the period.
 *
 * The call goes through koffi (a C FFI with prebuilt binaries; Node has no binding of its own),
 * an optional dependency loaded at the first trim, after the start. Where glibc is not the C
 * library (macOS, Alpine's musl), or koffi is not installed or cannot load, trimming is off and
 * that is logged once at debug level.
 */

/** One call of malloc_trim(0): 1 when memory was returned, 0 when none was. */
export type TrimCall = () => number;

/** The first trim waits this long after ready: past the start's background compilation and V8's first idle collections. */
export const FIRST_TRIM_AFTER_MS = 10_000;

/**
 * glibc's malloc_trim through koffi, or null where there is none: not Linux, koffi missing, or a C
 * library that is not glibc (musl has no gnu_get_libc_version).
 */
export async function loadMallocTrim(): Promise<TrimCall | null> {
  if (process.platform !== 'linux') return null;
  let koffi: (typeof import('koffi'))['default'];
  try {
    koffi = (await import('koffi')).default;
  } catch {
    // An optional dependency: not installed (npm ci --omit=optional, a platform without a prebuilt binary).
    return null;
  }
  try {
    const libc = koffi.load('libc.so.6');
    libc.func('const char *gnu_get_libc_version()');
    const trim = libc.func('int malloc_trim(size_t pad)') as (pad: number) => number;
    return () => trim(0);
  } catch {
    return null;
  }
}

export interface MemoryTrimmer {
  /** Cancels the next trim; one running finishes. */
  stop(): void;
}

export interface MemoryTrimOptions {
  /** ms between two trims. */
  everyMs: number;
  /** ms from now to the first (default FIRST_TRIM_AFTER_MS, at most everyMs). */
  firstAfterMs?: number;
  logger: Logger;
  /** How the trim is reached (default loadMallocTrim); for tests. */
  load?: () => Promise<TrimCall | null>;
}

/**
 * Trims after `firstAfterMs`, then every `everyMs`. The timers never keep the process alive. Each
 * trim is logged at debug level with the RSS it returned and how long it took (about 5 ms on an
 * idle server, longer with more to walk: it runs on this thread, between two turns of the event loop).
 */
export function startMemoryTrim(opts: MemoryTrimOptions): MemoryTrimmer {
  const { everyMs, logger } = opts;
  const load = opts.load ?? loadMallocTrim;
  let call: TrimCall | null | undefined;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void run(), ms);
    timer.unref();
  };
  const run = async (): Promise<void> => {
    timer = null;
    try {
      if (call === undefined) {
        call = await load();
        if (call === null) {
          logger.debug('malloc_trim is not available here (not glibc, or koffi is not installed): the C heap is not trimmed');
          return;
        }
      }
      if (stopped || call === null) return;
      const before = process.memoryUsage.rss();
      const t0 = performance.now();
      const returned = call();
      const ms = performance.now() - t0;
      const after = process.memoryUsage.rss();
      logger.debug({ returned: returned === 1, rssBeforeMiB: mib(before), rssAfterMiB: mib(after), ms: Math.round(ms * 100) / 100 }, 'C heap trimmed');
    } catch (err) {
      // Never again in this process: a failure here would only repeat.
      logger.warn({ err }, 'could not trim the C heap; memory trimming is off');
      call = null;
      return;
    }
    schedule(everyMs);
  };

  schedule(Math.min(opts.firstAfterMs ?? FIRST_TRIM_AFTER_MS, everyMs));
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
