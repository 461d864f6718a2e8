/** Process entry: config, logger, database, app, listen; SIGTERM/SIGINT drain and exit 0. */
import fs from 'node:fs';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './core/config.js';
import { createLogger } from './core/logger.js';
import { openDatabase } from './db/database.js';
import { DirLockedError } from './db/dir-lock.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

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
  if (config.redisUrl) {
    // Several nodes need the Redis bus, which is not built yet: refuse rather than run nodes
    // that cannot see each other's events.
    fail('Invalid REDIS_URL: running several nodes over Redis is not supported yet; unset REDIS_URL');
  }
  for (const dir of [config.dataDir, config.uploadDir, config.logDir]) fs.mkdirSync(dir, { recursive: true });
  const logger = createLogger({ level: config.logLevel, logDir: config.logDir });

  let database;
  try {
    database = await openDatabase(
      config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
      logger,
    );
  } catch (err) {
    if (err instanceof DirLockedError) fail(err.message);
    logger.fatal({ err }, 'could not open the database');
    logger.flush();
    fail(`could not open the database: ${(err as Error).message}`);
  }

  const app = await buildApp({ config, database, logger });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
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
    // Log transports run in worker threads; give them a moment to flush, then leave.
    setTimeout(() => process.exit(), 200).unref();
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  logger.info({ url: `http://${config.host}:${config.port}`, database: database.kind }, 'Parley is ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`parley: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
