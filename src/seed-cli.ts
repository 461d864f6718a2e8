/** `npm run seed`: replaces all data in the configured database with demo data. */
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './core/config.js';
import { createLogger } from './core/logger.js';
import { openDatabase } from './db/database.js';
import { DEMO_PASSWORD, seed } from './cli/seed.js';

async function run(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, logDir: config.logDir });
  const database = await openDatabase(
    config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir, sharedBuffers: config.pgliteSharedBuffers },
    logger,
  );
  try {
    const app = await buildApp({ config, database, logger });
    await seed(database, app.services, logger);
    await app.close();
    logger.info(`seed: done; sign in as alice, bob, zhangwei, lina or carol with the password "${DEMO_PASSWORD}"`);
  } finally {
    await database.close();
    logger.flush();
  }
}

run().then(
  () => setTimeout(() => process.exit(0), 200),
  (err: unknown) => {
    const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`parley seed: ${message}\n`);
    process.exit(1);
  },
);
