/**
 * DB_SLOW_QUERY_MS: a statement that takes the threshold or longer is logged with its time and
 * SQL (never its parameters' values); quicker ones are not.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { SlowQueryLog } from '../../src/db/query-observers.js';

describe('the slow statement log', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ kind: 'memory' }, createLogger({ level: 'silent', logDir: null, pretty: false }));
  });
  afterAll(async () => {
    await database?.close();
  });

  it('logs a statement at or past its threshold with its SQL and time, not its values, and nothing quicker', async () => {
    const lines: { fields: { ms: number; failed: boolean; sql: string }; msg: string }[] = [];
    const detach = database.observe(new SlowQueryLog(40, (fields, msg) => lines.push({ fields, msg })));
    try {
      await database.db.execute(sql`SELECT ${'secret value'}::text AS quick`);
      await database.db.execute(sql`SELECT pg_sleep(0.06), ${'another secret'}::text AS slow_probe`);
      await database.db.execute(sql`SELECT pg_sleep(0.06)::text::int AS fails`).catch(() => undefined);
    } finally {
      detach();
    }
    expect(lines).toEqual([
      { msg: 'slow database statement', fields: { ms: expect.any(Number), failed: false, sql: 'SELECT pg_sleep(0.06), $1::text AS slow_probe' } },
      { msg: 'slow database statement', fields: { ms: expect.any(Number), failed: true, sql: 'SELECT pg_sleep(0.06)::text::int AS fails' } },
    ]);
    for (const line of lines) expect(line.fields.ms).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify(lines)).not.toContain('secret');
  });
});
