/**
 * `npm run bench` runs every scenario; `npm run bench -- NAME` runs one. Each prints its figures
 * beside its baseline from the same run, with the command, machine and date that made them.
 * Set DATABASE_URL to run against a PostgreSQL server instead of embedded PGlite. Servers run as
 * separate processes run the compiled build (dist/server), brought up to date first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type ParleyApp } from '../src/app.js';
import { parseConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { table, type Scenario } from './lib.js';
import { clusterScenario } from './cluster.js';
import { searchScenario } from './search.js';
import { fanoutScenario } from './fanout.js';
import { sendsScenario } from './sends.js';
import { connectionsScenario } from './connections.js';
import { historyScenario } from './history.js';
import { threadsScenario } from './threads.js';
import { hookSendsScenario } from './hook-sends.js';
import { catchupScenario } from './catchup.js';
import { coldstartScenario } from './coldstart.js';
import { replayScenario } from './replay.js';
import { exportScenario } from './export.js';
import { linkSendsScenario } from './link-sends.js';
import { importScenario } from './import.js';
import { timelineScenario } from './timeline.js';
import { requestsScenario } from './requests.js';

const SCENARIOS: Scenario[] = [searchScenario, clusterScenario, sendsScenario, fanoutScenario, connectionsScenario, historyScenario, threadsScenario, catchupScenario, replayScenario, coldstartScenario, exportScenario, linkSendsScenario, hookSendsScenario, importScenario, timelineScenario, requestsScenario];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length) {
    process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
  const chosen = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
  // The servers the scenarios spawn are the compiled build, as production runs it.
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status ?? build.signal})`);
  const cpus = os.cpus();
  console.log(`# Parley benchmarks, ${new Date().toISOString()}`);
  console.log(`command: npm run bench${wanted.length ? ` -- ${wanted.join(' ')}` : ''}${process.env.DATABASE_URL ? ' (DATABASE_URL set: PostgreSQL)' : ' (embedded PGlite)'}`);
  if (!process.env.DATABASE_URL) console.log(`embedded database: PGLITE_SHARED_BUFFERS=${process.env.PGLITE_SHARED_BUFFERS ?? '(default)'}`);
  console.log(`machine: ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`);

  for (const scenario of chosen) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `parley-bench-${scenario.name}-`));
    const config = parseConfig({
      LOG_LEVEL: 'warn',
      RATE_LIMIT: 'off',
      DATA_DIR: path.join(root, 'data'),
      UPLOAD_DIR: path.join(root, 'uploads'),
      PGLITE_SHARED_BUFFERS: process.env.PGLITE_SHARED_BUFFERS,
      // The scenarios' bulk loads run on the same database handle: slow by design, not news.
      DB_SLOW_QUERY_MS: process.env.DB_SLOW_QUERY_MS ?? '0',
    });
    const logger = createLogger({ level: 'warn', logDir: null, pretty: false });
    const database = await openDatabase(
      process.env.DATABASE_URL
        ? { kind: 'postgres', url: process.env.DATABASE_URL }
        : { kind: 'pglite', dataDir: config.dataDir, sharedBuffers: config.pgliteSharedBuffers },
      logger,
    );
    let app: ParleyApp | null = null;
    try {
      // Scenarios load rows with their search terms complete: the prefix backfill would only add load.
      app = await buildApp({ config, database, logger, searchBackfill: { startDelayMs: null } });
      console.log(`\n## ${scenario.name}: ${scenario.describe}`);
      const started = Date.now();
      const rows = await scenario.run({ app, database, log: (l) => console.log(l) });
      console.log(table(rows));
      console.log(`(${scenario.name} took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    } finally {
      await app?.close();
      await database.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
