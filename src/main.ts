/**
 * Process entry: config, logger, database, bus, app, listen; SIGTERM/SIGINT drain and exit 0.
 * With WORKERS > 1 this process only supervises that many worker processes (src/cluster.ts).
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import { superviseWorkers } from './cluster.js';
import { newId } from './core/ids.js';
import { LocalBus, type Bus } from './events/bus.js';
import { LocalPresenceStore, RedisPresenceStore, type PresenceStore } from './realtime/presence-store.js';
import { ConfigError, loadConfig, type Config } from './core/config.js';
import { createLogger } from './core/logger.js';
import { startTracing, stopTracing } from './core/tracing.js';
import { SERVER_VERSION } from './core/version.js';
import { RedisRateLimitStore } from './core/redis-rate-limit-store.js';
import { WorkerMetrics } from './core/cluster-metrics.js';
import { openDatabase } from './db/database.js';
import { DirLockedError } from './db/dir-lock.js';
import { isDatabaseUnavailable } from './core/errors.js';
import { startMemoryTrim, type MemoryTrimmer } from './core/memory-trim.js';
import { paceStart } from './core/start-pacing.js';

const SHUTDOWN_DEADLINE_MS = 10_000;
/** What a stop gives the trace collector for the last spans (within SHUTDOWN_DEADLINE_MS). */
const TRACES_FLUSH_MS = 3_000;

function fail(message: string): never {
  process.stderr.write(`parley: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  for (const dir of [config.dataDir, config.uploadDir, config.logDir]) fs.mkdirSync(dir, { recursive: true });
  const workerSlot = cluster.isWorker ? process.env.PARLEY_WORKER ?? String(cluster.worker?.id ?? 0) : null;
  // A server's log files open once it is ready (nothing on its start path waits for them), or
  // after 2 s if it is not ready by then (waiting for its database: those lines reach the files too).
  let started!: () => void;
  const openFilesAfter = new Promise<void>((resolve) => {
    started = resolve;
    setTimeout(resolve, 2_000).unref();
  });
  const logger = createLogger({
    level: config.logLevel,
    logDir: config.logDir,
    openFilesAfter,
    ...(workerSlot ? { fileName: `parley-worker${workerSlot}`, base: { worker: Number(workerSlot) } } : {}),
    ...(config.workers > 1 && cluster.isPrimary ? { fileName: 'parley-supervisor' } : {}),
  });
  if (config.workers > 1 && cluster.isPrimary) {
    started();
    superviseWorkers(config, logger);
    return;
  }

  // postgres.js (3.4.9) drops the promise of the array-types query each new connection runs
  // first (porsager/postgres#1192, #1223): when PostgreSQL goes away during it (a restart under
  // load) that rejection is unhandled, and Node would exit. Nothing waits on it; it is logged.
  // Any other unhandled rejection still ends the process, as Node's default does.
  process.on('unhandledRejection', (reason) => {
    if (isDatabaseUnavailable(reason)) {
      logger.warn({ err: reason }, 'a database connection failed as it started; ignored');
      return;
    }
    logger.fatal({ err: reason }, 'unhandled rejection');
    logger.flush();
    process.stderr.write(`parley: unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}\n`);
    process.exit(1);
  });

  // Embedded: V8 compiles PGlite's WebAssembly on all cores but this thread's one, and until ready
  // the event loop never runs dry (where Node would wait for that compilation): src/core/start-pacing.ts.
  const pacing = config.databaseUrl ? null : paceStart();
  // The database opens (PGlite compiles its WebAssembly off this thread) while the app's modules
  // load: the two longest steps of a start overlap instead of following each other.
  const opening = openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl }
      : { kind: 'pglite', dataDir: config.dataDir, sharedBuffers: config.pgliteSharedBuffers },
    logger,
  );
  opening.catch(() => {}); // awaited below; not unhandled while the modules load
  const [{ buildApp }, { defaultWebClient }] = await Promise.all([import('./app.js'), import('./web/index.js')]);
  // Where a start's time goes, in ms since the process began (in the "ready" line).
  const startup: Record<string, number> = { modulesLoaded: Math.round(performance.now()) };
  let database;
  try {
    database = await opening;
    startup.databaseOpen = Math.round(performance.now());
  } catch (err) {
    if (err instanceof DirLockedError) fail(err.message);
    logger.fatal({ err }, 'could not open the database');
    logger.flush();
    fail(`could not open the database: ${(err as Error).message}`);
  }

  // Several nodes: events and presence travel through Redis. One node: in this process.
  const nodeId = newId();
  // Traces (OTEL_EXPORTER_OTLP_*): the SDK is loaded only then, before anything is served.
  if (config.tracing) {
    await startTracing(config.tracing, { version: SERVER_VERSION, nodeId, ...(workerSlot ? { worker: Number(workerSlot) } : {}) }, logger);
  }
  let bus: Bus = new LocalBus();
  let presenceStore: PresenceStore = new LocalPresenceStore();
  let rateLimitStore: RedisRateLimitStore | undefined;
  if (config.redisUrl) {
    try {
      // Loaded here: a single node never loads ioredis (a faster start).
      const { RedisBus } = await import('./events/redis-bus.js');
      const redisBus = await RedisBus.connect(config.redisUrl, nodeId, logger);
      bus = redisBus;
      presenceStore = await RedisPresenceStore.connect(config.redisUrl, nodeId, redisBus, logger);
      rateLimitStore = new RedisRateLimitStore(redisBus.commands, logger);
    } catch (err) {
      logger.fatal({ err }, 'could not connect to Redis');
      logger.flush();
      await bus.close();
      await database.close();
      fail(`could not connect to Redis at REDIS_URL: ${(err as Error).message}`);
    }
  }

  // Several workers on one port: a scrape of any of them returns all of them.
  const clusterMetrics = workerSlot && config.workers > 1 ? new WorkerMetrics(Number(workerSlot)) : undefined;
  const app = await buildApp({ config, database, logger, bus, presenceStore, rateLimitStore, clusterMetrics, web: defaultWebClient() });
  startup.appBuilt = Math.round(performance.now());
  let stopping = false;
  let memoryTrim: MemoryTrimmer | null = null;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    memoryTrim?.stop();
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    try {
      await app.close();
      await database.close();
      logger.info('stopped');
      logger.flush();
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'error while shutting down');
      process.exitCode = 1;
    }
    // The spans of the requests just finished are exported before the process leaves (never throws).
    await stopTracing(TRACES_FLUSH_MS, logger);
    logger.flush();
    // Log transports run in worker threads; give them a moment to flush, then leave.
    setTimeout(() => process.exit(), 200).unref();
  };
  // `on`, not `once`: a worker gets Ctrl-C twice (from the terminal and from its supervisor).
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  startup.listening = Math.round(performance.now());
  logger.info(
    { url: `http://${config.host}:${config.port}`, database: database.kind, bus: config.redisUrl ? 'redis' : 'local', nodeId, startupMs: startup },
    'Parley is ready',
  );
  started();
  pacing?.release();
  // The start's freed scratch memory back to the system, then every MEMORY_TRIM_SECONDS.
  if (config.memoryTrimSeconds !== null && !stopping) memoryTrim = startMemoryTrim({ everyMs: config.memoryTrimSeconds * 1000, logger });
}

main().catch((err: unknown) => {
  process.stderr.write(`parley: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
