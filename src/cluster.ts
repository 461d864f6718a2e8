/**
 * WORKERS=N: this process supervises N worker processes (node:cluster), each a full Parley node
 * on the same port: the kernel hands connections to them in turn, and Redis carries events
 * between them as between machines. A worker that dies is restarted (backing off when they keep
 * dying); SIGTERM/SIGINT is passed on and the supervisor exits once every worker has drained.
 */
import cluster, { type Worker } from 'node:cluster';
import { serveClusterMetrics } from './core/cluster-metrics.js';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';

/** A worker that dies within this long of starting counts as a crash loop. */
const EARLY_DEATH_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
const SHUTDOWN_DEADLINE_MS = 12_000;

export function superviseWorkers(config: Config, logger: Logger): void {
  let stopping = false;
  /** A worker exited with an error while draining: the supervisor reports it in its exit code. */
  let failedStop = false;
  let delay = 250;
  const started = new Map<number, number>();
  /** Worker slots by cluster worker id, so a restarted worker keeps its number in logs. */
  const slots = new Map<number, number>();

  const fork = (slot: number): void => {
    const worker = cluster.fork({ PARLEY_WORKER: String(slot) });
    started.set(worker.id, Date.now());
    slots.set(worker.id, slot);
  };

  cluster.on('online', (worker: Worker) => logger.info({ worker: slots.get(worker.id), pid: worker.process.pid }, 'worker started'));
  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    const slot = slots.get(worker.id) ?? 0;
    const lived = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    slots.delete(worker.id);
    if (stopping) {
      if (code !== 0) failedStop = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info({ clean: !failedStop }, 'all workers stopped');
        logger.flush();
        setTimeout(() => process.exit(failedStop ? 1 : 0), 200).unref();
      }
      return;
    }
    delay = lived < EARLY_DEATH_MS ? Math.min(delay * 2, MAX_RESTART_DELAY_MS) : 250;
    logger.error({ worker: slot, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; restarting it');
    setTimeout(() => {
      if (!stopping) fork(slot);
    }, delay).unref();
  });

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => {
      logger.error('workers did not stop in time; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  // GET /metrics on any worker returns every worker's: this process collects and merges them.
  serveClusterMetrics();
  logger.info({ workers: config.workers, port: config.port }, 'starting workers');
  for (let slot = 1; slot <= config.workers; slot++) fork(slot);
}
