import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import postgres from 'postgres';
import type { Logger } from '../core/logger.js';
import { localLocks, tryAdvisoryLocks, type LockAttempt } from './advisory-locks.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { IdleWatch, observePglite, observePostgres, QueryObservers, type QueryObserver } from './query-observers.js';
import { preparePostgresQueries } from './postgres-prepare.js';
import { preparePgliteQueries } from './pglite-prepare.js';
import { queryRows } from './sql.js';
import { MIGRATIONS_DIR, pgliteStartParams, pgliteTemplate, type PgliteSettings } from './pglite-setup.js';
import * as schema from './schema.js';

import type { Db } from './db.js';

export type { Db, Schema } from './db.js';

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Connections the pool may open (1 for the embedded database). */
  readonly poolSize: number;
  /** Reports every query on this handle from now on (whichever app runs it) to `observer`; returns its detach. */
  observe(observer: QueryObserver): () => void;
  /**
   * Takes the locks of `keys` (under `namespace`) for every node on this database, all or none,
   * without waiting; held until the lease is released or the process dies. Embedded: always
   * granted (one process; the caller keeps its own count).
   */
  tryLocks(namespace: number, keys: readonly string[]): Promise<LockAttempt>;
  /**
   * For background reads (exports): resolves once no statement is running or waiting, or after
   * `maxWaitMs`. On the embedded database every statement runs in the server's own thread, one at
   * a time, so a request's statements queue behind whatever runs; a page of background work that
   * starts only when the database is idle lets the request's next statement go first. At once on
   * PostgreSQL, where statements run on a pool of connections.
   */
  quiet(maxWaitMs: number): Promise<void>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Held around migrations so nodes starting together do not race (any constant will do). */
const MIGRATION_LOCK_KEY = 0x70_61_72_6c; // "parl"

/** How long a PostgreSQL connection may wait for an answer before it is dropped (its query fails: 503). */
export const DEFAULT_STALL_TIMEOUT_MS = 15_000;
/** Connecting, TCP and start-up included. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** `ping` (GET /readyz) gives up sooner than a request's query. */
const PING_TIMEOUT_MS = 3_000;

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolSize?: number; stallTimeoutMs?: number; connectTimeoutMs?: number }
  | ({ kind: 'pglite'; dataDir: string; checkpointIntervalMs?: number } & PgliteSettings)
  | ({ kind: 'memory'; checkpointIntervalMs?: number } & PgliteSettings);

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(opts: DatabaseOptions, logger: Logger): Promise<Database> {
  if (opts.kind === 'postgres') {
    const timeouts = { stallMs: opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, connectMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS };
    return openPostgres(opts.url, opts.poolSize ?? 10, timeouts, logger);
  }
  return openPglite(opts.kind === 'memory' ? null : opts.dataDir, logger, opts, opts.checkpointIntervalMs);
}

async function openPostgres(url: string, poolSize: number, timeouts: { stallMs: number; connectMs: number }, logger: Logger): Promise<Database> {
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: timeouts.connectMs / 1000,
    // Seconds before a connection tries again after failing. The driver's default grows to 20 s
    // during an outage, and a request waits that long before its query even tries: keep it short
    // so requests fail fast (503) while the database is away and work as soon as it is back.
    backoff: (retries: number) => Math.min(0.05 * retries, 0.5),
    // A server that stops answering (hung, or a network that drops packets) would leave queries
    // waiting for ever: each connection is dropped once it has waited this long for an answer.
    // (The option exists since postgres.js 3.3 but is missing from its types.)
    ...({ socket: stallGuardedSocket(timeouts.stallMs) } as object),
    // Timestamps are parsed by drizzle; keep bigints as strings at the driver level.
  });
  // drizzle's queries as prepared statements: one round trip each, plans reused.
  preparePostgresQueries(client);
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  // Migrations on connections of their own, without the stall guard: building an index on a big
  // table, or waiting for the lock while another node migrates, may rightly take minutes.
  const migrator = postgres(url, { max: 2, onnotice: () => {}, connect_timeout: timeouts.connectMs / 1000 });
  try {
    const reserved = await migrator.reserve();
    try {
      await reserved`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      await migratePostgres(drizzlePostgres(migrator, { schema }), { migrationsFolder: MIGRATIONS_DIR });
      await reserved`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    } finally {
      reserved.release();
    }
  } catch (err) {
    await client.end({ timeout: 1 });
    throw err;
  } finally {
    await migrator.end({ timeout: 5 });
  }
  logger.info({ database: 'postgres' }, 'database ready');
  const observers = new QueryObservers();
  observePostgres(client, observers);
  return {
    kind: 'postgres',
    db,
    poolSize,
    observe: (observer) => observers.add(observer),
    tryLocks: (namespace, keys) => tryAdvisoryLocks(client, namespace, keys, logger),
    quiet: () => Promise.resolve(),
    async ping() {
      await withTimeout(client`SELECT 1`.execute(), PING_TIMEOUT_MS);
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/** The error of a database that did not answer in time: isDatabaseUnavailable knows its code (a 503). */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(`the database did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * postgres.js's `socket` option: the driver's own TCP connection (or Unix socket), plus a guard.
 * A connection that wrote something (a query, the start-up) and has heard nothing back for
 * `stallMs` is destroyed: its queries fail with ETIMEDOUT (503 to clients) and the pool opens a
 * new connection for the next ones, so a hung server or a black-holed network costs a bounded
 * wait, and the pool recovers when the server answers again. An idle connection is left alone.
 * The driver writes its start-up message as soon as this returns; the socket buffers it until
 * connected, and connect_timeout covers both.
 */
function stallGuardedSocket(stallMs: number): (o: { host: string[]; port: number[]; path?: string | false }) => net.Socket {
  let next = 0;
  return (o) => {
    let socket: net.Socket;
    if (o.path) {
      socket = net.connect(o.path);
    } else {
      const i = next++ % o.host.length;
      socket = net.connect(o.port[i] ?? o.port[0]!, o.host[i]);
      Object.assign(socket, { host: o.host[i], port: o.port[i] ?? o.port[0] });
    }
    // Since when something written has had no answer (0: nothing waits). Pipelined queries count
    // as answered once bytes come back: a server that stops mid-way through a pipeline is left
    // to TCP keepalive.
    let waitingSince = 0;
    let timer: NodeJS.Timeout | null = null;
    const check = () => {
      timer = null;
      if (waitingSince === 0 || socket.destroyed) return;
      const waited = performance.now() - waitingSince;
      if (waited >= stallMs) socket.destroy(timeoutError(`PostgreSQL did not answer within ${stallMs} ms`));
      else timer = setTimeout(check, stallMs - waited);
    };
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      if (waitingSince === 0) waitingSince = performance.now();
      timer ??= setTimeout(check, stallMs);
      return write(...args);
    }) as typeof socket.write;
    let answered = false;
    socket.on('data', () => {
      waitingSince = 0;
      answered = true;
    });
    // Closed before a word (a TCP proxy or pooler in front of a server that is down): postgres.js
    // would take a clean close during start-up as a reason to reconnect, for ever, and the query
    // waiting for the connection would never end. As an error it fails the query (a 503).
    socket.on('end', () => {
      if (!answered) socket.destroy(Object.assign(new Error('the database closed the connection before answering'), { code: 'ECONNRESET' }));
    });
    socket.on('close', () => {
      if (timer) clearTimeout(timer);
      timer = null;
    });
    return socket;
  };
}

/** How often the embedded database checkpoints (PostgreSQL's default checkpoint_timeout). */
export const PGLITE_CHECKPOINT_INTERVAL_MS = 5 * 60_000;

/**
 * Makes the embedded database's folder on first start. PGlite makes a new database elsewhere and
 * copies it into the folder file by file, PG_VERSION before the rest: a kill -9 during that copy
 * left a folder PGlite takes for a database and can never open. Here the new database is made in
 * a staging folder, closed, and renamed into place, which a kill cannot leave half done.
 */
async function createPgliteDir(pgdata: string, startParams: string[], logger: Logger): Promise<void> {
  if (fs.existsSync(path.join(pgdata, 'PG_VERSION'))) return;
  if (fs.existsSync(pgdata)) {
    if (fs.readdirSync(pgdata).length > 0) {
      // No PG_VERSION: no database, only what an interrupted start left. Kept aside, not deleted.
      const aside = `${pgdata}.incomplete-${Date.now()}`;
      logger.warn({ dir: pgdata, movedTo: aside }, 'the embedded database folder holds no database; moved aside');
      fs.renameSync(pgdata, aside);
    } else {
      fs.rmdirSync(pgdata);
    }
  }
  const staging = `${pgdata}.new`;
  fs.rmSync(staging, { recursive: true, force: true });
  const t0 = performance.now();
  const template = pgliteTemplate(logger);
  let copied = false;
  if (template) {
    // A copy of the build's empty database (a reflink where the file system has them): files
    // only, no PGlite start. A build swapping it meanwhile fails the copy: then initdb.
    try {
      fs.cpSync(template.dir, staging, { recursive: true, mode: fs.constants.COPYFILE_FICLONE });
      copied = true;
    } catch (err) {
      logger.warn({ err }, 'could not copy the empty database of the build; creating one');
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  if (!copied) {
    const fresh = await PGlite.create(staging, { startParams });
    await fresh.close();
  }
  fs.renameSync(staging, pgdata);
  logger.info({ dir: pgdata, ms: Math.round(performance.now() - t0), from: copied ? 'the build' : 'initdb' }, 'created the embedded database');
}

/**
 * ANALYZE of the tables autovacuum would analyze: never analyzed, or changed by more than 10 %
 * (and 50 rows) since their last ANALYZE. Returns their names.
 *
 * "Never analyzed" is read from what a restart keeps: PGlite does not keep the cumulative
 * statistics (pg_stat_user_tables' last_analyze and change counts start empty at every start),
 * so going by last_analyze analyzed every table again a minute after each start, a 3.5 s stall
 * of the whole server at a million messages (bench export). A table is new when its row
 * estimate was never set (reltuples -1: no VACUUM or ANALYZE ever), or when it has rows but no
 * planner statistics; the changes counted since this start decide the rest.
 */
export async function analyzeChangedTables(db: Db): Promise<string[]> {
  const due = await queryRows<{ relname: string }>(
    db,
    sql`SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname = 'public'
          AND (c.reltuples < 0
               OR (c.reltuples > 0 AND NOT EXISTS (SELECT 1 FROM pg_statistic st WHERE st.starelid = c.oid))
               OR s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0))
        ORDER BY s.relname`,
  );
  for (const { relname } of due) await db.execute(sql.raw(`ANALYZE "${relname.replace(/"/g, '""')}"`));
  return due.map((r) => r.relname);
}

/**
 * VACUUM of the tables autovacuum would vacuum: more than 1,000 rows (and a fifth of the table)
 * inserted, or as many dead, since their last VACUUM, or rows old enough to need freezing (an
 * oldest transaction id over 100 million old); then ANALYZE as `analyzeChangedTables`. PGlite has
 * no autovacuum, and without VACUUM nothing there reclaims the rows edits, deletes and retention
 * leave dead, nor freezes old rows before transaction ids wrap around (at two billion, where
 * PostgreSQL stops taking writes). After a bulk write it also sets the rows' hint bits at once:
 * their first read sets them otherwise, which with data checksums on (PGlite's default) writes an
 * image of every page it passes to the WAL; an export of never-read imported history paid that
 * on every page (BENCHMARKS.md, "export"). Returns the tables vacuumed.
 */
export async function vacuumChangedTables(db: Db): Promise<string[]> {
  // This session's counts reach pg_stat_user_tables when it goes idle, at most once a second:
  // right after a bulk write they may not be there yet.
  await db.execute(sql`SELECT pg_stat_force_next_flush()`);
  const due = await queryRows<{ relname: string }>(
    db,
    sql`SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname = 'public'
          AND (s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0)
               OR s.n_dead_tup > 1000 + 0.2 * greatest(c.reltuples, 0)
               OR age(c.relfrozenxid) > 100000000)
        ORDER BY s.relname`,
  );
  for (const { relname } of due) await db.execute(sql.raw(`VACUUM "${relname.replace(/"/g, '""')}"`));
  await analyzeChangedTables(db);
  return due.map((r) => r.relname);
}

async function openPglite(
  dataDir: string | null,
  logger: Logger,
  settings: PgliteSettings,
  checkpointIntervalMs = PGLITE_CHECKPOINT_INTERVAL_MS,
): Promise<Database> {
  let lock: DirLock | null = null;
  let client: PGlite;
  const started = performance.now();
  const startParams = pgliteStartParams(settings);
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    lock = acquireDirLock(dataDir);
    try {
      await createPgliteDir(path.join(dataDir, 'pglite'), startParams, logger);
      client = await PGlite.create(path.join(dataDir, 'pglite'), { startParams });
    } catch (err) {
      lock.release();
      throw err;
    }
  } else {
    const template = pgliteTemplate(logger);
    client = await PGlite.create('memory://', { startParams, ...(template ? { loadDataDir: template.tarball() } : {}) });
  }
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR });
  logger.info({ database: 'pglite', dataDir, ms: Math.round(performance.now() - started) }, 'database ready');
  // PGlite has no autovacuum, so nothing refreshes the planner's statistics (without them a grown
  // database gets plans made for an empty one), reclaims dead rows or freezes old ones. Soon
  // after start, the tables autovacuum would analyze: never analyzed (in this process's
  // statistics), or changed by more than 10 % (and 50 rows) since. Then hourly, the tables it
  // would vacuum, and analyze. Both block the embedded database while they run (ANALYZE: 3.6 s
  // for a million messages, whose search terms sample 300,000 rows: migration 0016; VACUUM reads
  // only the pages changed since the last one), so a table that has not changed is left alone.
  const maintain = async (vacuum: boolean) => {
    const t0 = performance.now();
    try {
      const vacuumed = vacuum ? await vacuumChangedTables(db as unknown as Db) : [];
      const analyzed = vacuum ? [] : await analyzeChangedTables(db as unknown as Db);
      const ms = Math.round(performance.now() - t0);
      const line = { ms, vacuumed, analyzed };
      if (vacuumed.length > 0) logger.info(line, 'vacuumed the embedded database');
      else logger.debug(line, 'analyzed the embedded database');
    } catch (err) {
      logger.warn({ err }, vacuum ? 'VACUUM failed' : 'ANALYZE failed');
    }
  };
  const first = setTimeout(() => void maintain(false), 60_000);
  const hourly = setInterval(() => void maintain(true), 60 * 60_000);
  first.unref();
  hourly.unref();
  // PGlite runs PostgreSQL in single-user mode, where nothing checkpoints while it runs: the WAL
  // written since the start would grow without bound, all of it replayed after a kill -9 (and
  // kept on disk). Checkpoint as PostgreSQL's checkpointer does (checkpoint_timeout, 5 minutes).
  const checkpoint = async () => {
    const t0 = performance.now();
    try {
      await db.execute(sql`CHECKPOINT`);
      logger.debug({ ms: Math.round(performance.now() - t0) }, 'checkpointed the embedded database');
    } catch (err) {
      logger.warn({ err }, 'CHECKPOINT failed');
    }
  };
  const checkpoints = setInterval(() => void checkpoint(), checkpointIntervalMs);
  checkpoints.unref();
  // After the migrations: statements are prepared against the schema they left.
  preparePgliteQueries(client);
  const observers = new QueryObservers();
  observePglite(client, observers);
  const idle = new IdleWatch();
  observers.add(idle);
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    poolSize: 1,
    observe: (observer) => observers.add(observer),
    tryLocks: localLocks,
    quiet: (maxWaitMs) => idle.wait(maxWaitMs),
    async ping() {
      await db.execute(sql`SELECT 1`);
    },
    async close() {
      clearTimeout(first);
      clearInterval(hourly);
      clearInterval(checkpoints);
      await client.close();
      lock?.release();
    },
  };
}
