import os from 'node:os';
import v8 from 'node:v8';

/**
 * Keeps a start from waiting on V8's background threads, on the small machines most teams run
 * the embedded database on (BENCHMARKS.md, "Start: the main thread's core kept for it").
 *
 * A start runs two kinds of work at once: the main thread loads the server's code, boots the
 * embedded PostgreSQL and registers the routes, while V8's worker threads compile PGlite's
 * WebAssembly (its ~9 MiB module at the baseline tier, then the hot functions again, optimized).
 * Measured on 2 cores (`perf record -e sched:sched_switch`), two things made the main thread wait:
 *
 * - V8 compiles the WebAssembly with as many tasks as it has worker threads (Node starts 4,
 *   whatever the machine), so on 2 cores the main thread got a share of a core, not a core.
 *   `--wasm-num-compilation-tasks` at the machine's cores less one leaves it a core of its own;
 *   where there are more cores than worker threads, this changes nothing.
 * - While the database opens, nothing the event loop waits on is a libuv handle (a WebAssembly
 *   compilation is not one), so libuv's loop runs out of work and Node drains V8's background
 *   queue before it looks at the loop again: the start then resumes from inside that drain, and
 *   its first file read (a module loaded on demand, as @fastify/cookie does) waited until every
 *   queued compilation had finished (165 ms in one start under strace; 50-230 ms in CPU profiles). A referenced handle held until ready keeps the
 *   loop running, so the read's callback is taken as soon as it is done.
 *
 * The width stays set for the life of the process (later tier-ups leave the main thread a core
 * too); only the hold ends at ready. Together, in 8 alternating starts of the compiled build on
 * the full DATA_DIR: ready in about 1.3 s instead of 1.8 s, and 1.75 s of CPU instead of 2.45 s.
 */
export interface StartPacing {
  /** The start is over (ready, or failed): the loop may empty again. Idempotent. */
  release(): void;
}

/** V8's wasm compilation tasks for this many cores: all but the main thread's one, at least one. */
export function wasmCompilationTasks(cores: number): number {
  return Math.max(1, Math.floor(cores) - 1);
}

/** Sets the compilation width (for the rest of the process) and holds the event loop until release(); call before the embedded database opens. */
export function paceStart(cores: number = os.availableParallelism()): StartPacing {
  v8.setFlagsFromString(`--wasm-num-compilation-tasks=${wasmCompilationTasks(cores)}`);
  // A referenced timer that never fires: what keeps libuv's loop alive while nothing else does.
  let hold: NodeJS.Timeout | null = setInterval(() => {}, 2 ** 31 - 1);
  return {
    release() {
      if (hold) clearInterval(hold);
      hold = null;
    },
  };
}
