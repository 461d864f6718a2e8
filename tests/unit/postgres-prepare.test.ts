/**
 * drizzle's queries on postgres.js run as prepared statements (drizzle-orm's driver asks for
 * unprepared ones: two round trips per query, parsed and planned each time). On PostgreSQL the
 * statements a connection prepared are in pg_prepared_statements; a long IN list stays unnamed.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { MAX_PREPARED_PARAMS } from '../../src/db/postgres-prepare.js';
import { queryRows } from '../../src/db/sql.js';
import { createTestPostgresDatabase, dbKind } from '../helpers/app.js';

const logger = createLogger({ level: 'silent', logDir: null, pretty: false });

describe.runIf(dbKind === 'postgres')('PostgreSQL: drizzle queries are prepared statements', () => {
  let scratch: Awaited<ReturnType<typeof createTestPostgresDatabase>>;
  let database: Database;
  beforeAll(async () => {
    scratch = await createTestPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 }, logger);
  });
  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });

  it('a query with parameters is prepared once per connection and reused; a long list is not', async () => {
    const found = await database.db.transaction(async (tx) => {
      // One connection for the whole transaction: what it prepared is in its own view.
      for (let i = 0; i < 3; i++) await queryRows(tx, sql`SELECT ${i}::int AS parley_prepare_probe`);
      const long = Array.from({ length: MAX_PREPARED_PARAMS + 1 }, (_, i) => i);
      await queryRows(tx, sql`SELECT 1 AS parley_prepare_long_probe WHERE 0 IN (${sql.join(long.map((n) => sql`${n}::int`), sql`, `)})`);
      return queryRows<{ statement: string }>(tx, sql`SELECT statement FROM pg_prepared_statements WHERE statement LIKE ${'%parley_prepare_%probe%'} AND statement NOT LIKE ${'%pg_prepared_statements%'}`);
    });
    expect(found.map((r) => r.statement)).toEqual([expect.stringContaining('parley_prepare_probe')]);
  });
});
