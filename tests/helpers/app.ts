/**
 * Starts the real app for integration tests: PGlite in memory by default, or a fresh database on
 * the PostgreSQL server named by TEST_DATABASE_URL (scripts/with-postgres.sh sets it).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { buildApp, type AppDeps, type ParleyApp } from '../../src/app.js';
import { parseConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrationsFingerprint } from '../../src/db/pglite-setup.js';
import { queryRows } from '../../src/db/sql.js';
import { waitFor } from './kit.js';

export interface TestApp {
  app: ParleyApp;
  database: Database;
  config: Config;
  close(): Promise<void>;
}

/** The database kind this run uses: "postgres" when TEST_DATABASE_URL is set. */
export const dbKind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

/**
 * Creates a database on the test PostgreSQL server; returns its URL and a drop function. Empty, or
 * with `migrated`, a copy of a database with every migration applied (made once per set of
 * migrations on the server, shared by all workers): running the migrations took most of the half
 * second a test app on PostgreSQL took to open, and the tests open about 150.
 */
export async function createTestPostgresDatabase(opts: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const template = opts.migrated ? await migratedTemplate(serverUrl) : null;
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const admin = adminClient(serverUrl);
  await admin.unsafe(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}${await copyStrategy(admin)}` : ''}`);
  return {
    url: databaseUrl(serverUrl, name),
    async drop() {
      await adminClient(serverUrl).unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

const adminClients = new Map<string, postgres.Sql>();

/**
 * One connection per process for creating and dropping the tests' databases, closed by itself
 * after a few idle seconds: a connection of its own for each cost the server a backend start
 * (33 ms of its CPU, measured against 8 for a DROP DATABASE), two per test database.
 */
function adminClient(serverUrl: string): postgres.Sql {
  let client = adminClients.get(serverUrl);
  if (!client) {
    client = postgres(serverUrl, { max: 1, idle_timeout: 5, onnotice: () => {} });
    adminClients.set(serverUrl, client);
  }
  return client;
}

let strategyClause: Promise<string> | null = null;

/**
 * How CREATE DATABASE copies the template: by files (what PostgreSQL did before 15), not block by
 * block through the WAL (15's default, meant for large templates). For the 9 MB template 110 ms
 * less of the server's CPU per database (282-295 -> 175-183 ms, 20 creates each way, alternately),
 * and the tests make a few hundred. The two checkpoints it takes cost little with fsync off.
 */
function copyStrategy(admin: postgres.Sql): Promise<string> {
  strategyClause ??= admin`SHOW server_version_num`.then(([row]) => (Number(row?.server_version_num) >= 150000 ? ' STRATEGY FILE_COPY' : ''));
  strategyClause.catch(() => (strategyClause = null));
  return strategyClause;
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

let templateMade: Promise<string> | null = null;

/**
 * The name of the migrated template database on the test server, made when missing. Workers
 * take turns under an advisory lock; the template is migrated under a name of its own and renamed
 * when complete, so a half-made one is never copied. Named by the migrations' fingerprint (as the
 * embedded template is): a change of migrations makes a new one.
 */
function migratedTemplate(serverUrl: string): Promise<string> {
  templateMade ??= (async () => {
    const name = `parley_template_${migrationsFingerprint().slice(0, 16)}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      const reserved = await admin.reserve();
      try {
        await reserved`SELECT pg_advisory_lock(${TEMPLATE_LOCK_KEY})`;
        const [found] = await reserved`SELECT 1 FROM pg_database WHERE datname = ${name}`;
        if (!found) {
          const making = `${name}_making`;
          await reserved.unsafe(`DROP DATABASE IF EXISTS ${making} WITH (FORCE)`);
          await reserved.unsafe(`CREATE DATABASE ${making}`);
          const database = await openDatabase({ kind: 'postgres', url: databaseUrl(serverUrl, making), poolSize: 1 }, createLogger({ level: 'silent', logDir: null }));
          await database.close();
          await reserved.unsafe(`ALTER DATABASE ${making} RENAME TO ${name}`);
        }
        await reserved`SELECT pg_advisory_unlock(${TEMPLATE_LOCK_KEY})`;
      } finally {
        reserved.release();
      }
    } finally {
      await admin.end();
    }
    return name;
  })();
  // A failure is the caller's; the next caller tries again.
  templateMade.catch(() => (templateMade = null));
  return templateMade;
}

/** Advisory lock key for making the template ("ptpl"). */
const TEMPLATE_LOCK_KEY = 0x70_74_70_6c;

/**
 * PGlite's shared_buffers in the tests' in-memory databases: 1,024 pages, more than any test's data,
 * instead of the server's 32MB. PGlite zeroes them at every open, and the tests open hundreds
 * (75 ms of CPU less each).
 */
const TEST_SHARED_BUFFERS = '8MB';

export async function startTestApp(env: Record<string, string> = {}, opts: Pick<AppDeps, 'gateway' | 'presenceGraceMs' | 'bus' | 'presenceStore' | 'rateLimitStore' | 'web' | 'webhooks' | 'retention' | 'notifications' | 'searchBackfill' | 'linkPreviews' | 'commandTimeoutMs'> = {}): Promise<TestApp> {
  const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-uploads-'));
  const config = parseConfig({ LOG_LEVEL: 'silent', RATE_LIMIT: 'off', UPLOAD_DIR: uploadDir, ...env });
  const logger = createLogger({ level: config.logLevel, logDir: null });
  let dropDb: (() => Promise<void>) | null = null;
  let database: Database;
  if (dbKind === 'postgres') {
    const created = await createTestPostgresDatabase({ migrated: true });
    dropDb = created.drop;
    database = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 10 }, logger);
  } else {
    database = await openDatabase({ kind: 'memory', sharedBuffers: TEST_SHARED_BUFFERS }, logger);
  }
  // The search prefix backfill runs when a test asks (services.searchBackfill.run()), not on a timer.
  const app = await buildApp({ config, database, logger, ...opts, searchBackfill: { startDelayMs: null, ...opts.searchBackfill } });
  await app.ready();
  return {
    app,
    database,
    config,
    async close() {
      await app.close();
      await database.close();
      if (dropDb) await dropDb();
      fs.rmSync(uploadDir, { recursive: true, force: true });
    },
  };
}

export interface Account {
  user: { id: string; username: string; displayName: string };
  token: string;
}

let counter = 0;
/** A unique, valid username for this test run. */
export function uniqueName(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${counter}_${randomBytes(3).toString('hex')}`;
}

/** Registers a new user through the API and returns it with its token. */
export async function register(app: FastifyInstance, username = uniqueName(), password = 'correct horse'): Promise<Account> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password } });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return res.json() as Account;
}

/** Authorization header for a token. */
export function auth(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * `call(method, '/groups', who, body?)`: a request under /api/v1 to the app `getApp()` returns, as
 * `who` (an account, a bare token, or null: anonymous).
 */
export function apiCaller(getApp: () => FastifyInstance) {
  return (method: Method, url: string, who: Account | string | null = null, payload?: unknown) => {
    const token = typeof who === 'string' ? who : who?.token;
    return getApp().inject({
      method,
      url: `/api/v1${url}`,
      headers: token ? auth(token) : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  };
}

/** Until a notification channel's queue ('email' or 'push') holds no delivery: all sent, or retried away. */
export async function notificationQueueDrained(t: TestApp, channel: 'email' | 'push'): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await queryRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM notification_deliveries WHERE channel = ${channel}`);
      return Number(row?.n) === 0;
    },
    `the ${channel} queue to drain`,
    20_000,
    25,
  );
}
