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

/** Creates an empty database on the test PostgreSQL server; returns its URL and a drop function. */
export async function createTestPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export async function startTestApp(env: Record<string, string> = {}, opts: Pick<AppDeps, 'gateway' | 'presenceGraceMs' | 'bus' | 'presenceStore' | 'rateLimitStore' | 'web' | 'webhooks' | 'retention' | 'notifications' | 'searchBackfill' | 'linkPreviews' | 'commandTimeoutMs'> = {}): Promise<TestApp> {
  const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-uploads-'));
  const config = parseConfig({ LOG_LEVEL: 'silent', RATE_LIMIT: 'off', UPLOAD_DIR: uploadDir, ...env });
  const logger = createLogger({ level: config.logLevel, logDir: null });
  let dropDb: (() => Promise<void>) | null = null;
  let database: Database;
  if (dbKind === 'postgres') {
    const created = await createTestPostgresDatabase();
    dropDb = created.drop;
    database = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 10 }, logger);
  } else {
    database = await openDatabase({ kind: 'memory' }, logger);
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
