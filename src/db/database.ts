import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Logger } from '../core/logger.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { observePglite, observePostgres, QueryObservers, type QueryObserver } from './query-observers.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A database handle or an open transaction: repositories accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Connections the pool may open (1 for the embedded database). */
  readonly poolSize: number;
  /** Reports every query on this handle from now on (whichever app runs it) to `observer`; returns its detach. */
  observe(observer: QueryObserver): () => void;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
/** Held around migrations so nodes starting together do not race (any constant will do). */
const MIGRATION_LOCK_KEY = 0x70_61_72_6c; // "parl"

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'memory' };

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(opts: DatabaseOptions, logger: Logger): Promise<Database> {
  if (opts.kind === 'postgres') return openPostgres(opts.url, opts.poolSize ?? 10, logger);
  return openPglite(opts.kind === 'memory' ? null : opts.dataDir, logger);
}

async function openPostgres(url: string, poolSize: number, logger: Logger): Promise<Database> {
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 10,
    // Timestamps are parsed by drizzle; keep bigints as strings at the driver level.
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  const reserved = await client.reserve();
  try {
    await reserved`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzlePostgres(client, { schema }), { migrationsFolder: MIGRATIONS });
    await reserved`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    reserved.release();
  }
  logger.info({ database: 'postgres' }, 'database ready');
  const observers = new QueryObservers();
  observePostgres(client, observers);
  return {
    kind: 'postgres',
    db,
    poolSize,
    observe: (observer) => observers.add(observer),
    async ping() {
      await client`SELECT 1`;
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

async function openPglite(dataDir: string | null, logger: Logger): Promise<Database> {
  let lock: DirLock | null = null;
  let client: PGlite;
  const started = performance.now();
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    lock = acquireDirLock(dataDir);
    try {
      client = await PGlite.create(path.join(dataDir, 'pglite'));
    } catch (err) {
      lock.release();
      throw err;
    }
  } else {
    client = await PGlite.create('memory://');
  }
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS });
  logger.info({ database: 'pglite', dataDir, ms: Math.round(performance.now() - started) }, 'database ready');
  // PGlite has no autovacuum, so nothing refreshes the planner's statistics: without them a
  // grown database gets plans made for an empty one. Analyze soon after start, then hourly.
  const analyze = async () => {
    const t0 = performance.now();
    try {
      await db.execute(sql`ANALYZE`);
      logger.debug({ ms: Math.round(performance.now() - t0) }, 'analyzed the embedded database');
    } catch (err) {
      logger.warn({ err }, 'ANALYZE failed');
    }
  };
  const first = setTimeout(() => void analyze(), 60_000);
  const hourly = setInterval(() => void analyze(), 60 * 60_000);
  first.unref();
  hourly.unref();
  const observers = new QueryObservers();
  observePglite(client, observers);
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    poolSize: 1,
    observe: (observer) => observers.add(observer),
    async ping() {
      await db.execute(sql`SELECT 1`);
    },
    async close() {
      clearTimeout(first);
      clearInterval(hourly);
      await client.close();
      lock?.release();
    },
  };
}
