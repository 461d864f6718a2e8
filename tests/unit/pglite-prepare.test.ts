/**
 * On the embedded database drizzle's queries run as named prepared statements, one call into
 * PGlite each (src/db/pglite-prepare.ts). What the app gets back must be exactly what PGlite's own
 * query gives: rows in both row modes, the parsers drizzle passes, counts, errors with their
 * SQLSTATE; and the statements kept stay bounded and follow schema changes.
 */
import { PGlite, types, type Results } from '@electric-sql/pglite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase } from '../../src/db/database.js';
import { preparePgliteQueries } from '../../src/db/pglite-prepare.js';
import { pgliteTemplate } from '../../src/db/pglite-setup.js';
import { queryRows } from '../../src/db/sql.js';

describe('PGlite: statements prepared once, run in one call', () => {
  let plain: PGlite;
  let fast: PGlite;

  beforeAll(async () => {
    // From the build's empty database, as the tests' apps open theirs: initdb took 3-5 s each here.
    const template = pgliteTemplate(createLogger({ level: 'silent', logDir: null }));
    const open = () => PGlite.create('memory://', template ? { loadDataDir: template.tarball() } : {});
    [plain, fast] = await Promise.all([open(), open()]);
    preparePgliteQueries(fast, 5);
  });
  afterAll(async () => {
    await Promise.all([plain.close(), fast.close()]);
  });
  // A fresh table for each test (statements prepared by the ones before stay, as in a server).
  beforeEach(async () => {
    const schema = `DROP TABLE IF EXISTS t; CREATE TABLE t (id int PRIMARY KEY, name text, at timestamptz, tags text[], doc jsonb, n bigint, ok boolean);
      INSERT INTO t VALUES (1, '你好 world', '2026-12-04T10:00:00Z', ARRAY['a','b'], '{"k":[1,2]}', 9007199254740993, true), (2, NULL, NULL, NULL, NULL, NULL, NULL);`;
    await Promise.all([plain.exec(schema), fast.exec(schema)]);
  });

  const prepared = async (db: PGlite) => (await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name', [])).rows.map((r) => r.name);

  it('gives the rows, fields and counts PGlite itself gives, in both row modes and with custom parsers', async () => {
    const parsers = { [types.TIMESTAMPTZ]: (v: string) => `ts:${v}` };
    const cases: [string, unknown[], object | undefined][] = [
      ['SELECT * FROM t WHERE id >= $1 ORDER BY id', [1], undefined],
      ['SELECT * FROM t WHERE id >= $1 ORDER BY id', [1], { rowMode: 'array' }],
      ['SELECT id, at FROM t WHERE id = $1', [1], { rowMode: 'array', parsers }],
      ['SELECT $1::text AS echo, $2::jsonb AS j, $3::int[] AS arr, $4::timestamptz AS d', ['x', JSON.stringify({ a: 1 }), [1, 2], new Date('2026-12-04T00:00:00Z')], undefined],
      ['SELECT count(*)::int AS c FROM t', [], undefined],
      ['UPDATE t SET ok = $1 WHERE id > $2', [false, 0], undefined],
      ['INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id, name', [3, 'три'], undefined],
      ['DELETE FROM t WHERE id = $1', [3], undefined],
      // The rows are read from the backend's bytes here: every width of UTF-8, empty and NULL texts, many rows.
      ["SELECT $1::text AS a, ''::text AS empty, NULL::text AS nothing, $2::text AS b", ['é 你好 😀 \u0000'.replace('\u0000', ''), 'x'.repeat(70_000)], undefined],
      ['SELECT g AS n, repeat(chr(20320 + g % 50), g % 7) AS s FROM generate_series(1, $1::int) g', [2000], undefined],
      ['SELECT id FROM t WHERE name = ANY($1::text[]) ORDER BY id', ['{"你好 world","none"}'], undefined],
    ];
    // Twice through: the first run of each prepares it, the second reuses it.
    for (let run = 0; run < 2; run++) {
      for (const [text, params, options] of cases) {
        const want: Results = await plain.query(text, params, options);
        const got: Results = await fast.query(text, params, options);
        expect(got, `${text} (run ${run + 1})`).toEqual(want);
      }
    }
    // Each text was prepared once, under one name, and reused.
    const texts = (await fast.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements', [])).rows.map((r) => r.statement);
    expect(texts.filter((t) => t === 'DELETE FROM t WHERE id = $1')).toHaveLength(1);
    expect((await plain.query('SELECT statement FROM pg_prepared_statements', [])).rows).toEqual([]);
  });

  it('runs inside transactions, and a rolled back transaction leaves the statements usable', async () => {
    await expect(
      fast.transaction(async (tx) => {
        await tx.query('UPDATE t SET name = $1 WHERE id = $2', ['changed', 1]);
        expect((await tx.query<{ name: string }>('SELECT name FROM t WHERE id = $1', [1])).rows).toEqual([{ name: 'changed' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await fast.query<{ name: string }>('SELECT name FROM t WHERE id = $1', [1])).rows).toEqual([{ name: '你好 world' }]);
    const committed = await fast.transaction(async (tx) => (await tx.query('UPDATE t SET name = $1 WHERE id = $2', ['kept', 2])).affectedRows);
    expect(committed).toBe(1);
    expect((await fast.query<{ name: string }>('SELECT name FROM t WHERE id = $1', [2])).rows).toEqual([{ name: 'kept' }]);
  });

  it('fails as PGlite fails: the SQLSTATE and the statement on the error, and the next query works', async () => {
    const err = await fast.query('INSERT INTO t (id) VALUES ($1)', [1]).catch((e: unknown) => e as { code: string; query: string });
    expect(err).toMatchObject({ code: '23505', query: 'INSERT INTO t (id) VALUES ($1)' });
    const syntax = await fast.query('SELEC 1 WHERE $1', [true]).catch((e: unknown) => e as { code: string });
    expect(syntax).toMatchObject({ code: '42601' });
    const inTx = await fast
      .transaction(async (tx) => {
        await tx.query('SELECT 1/$1::int', [0]);
      })
      .catch((e: unknown) => e as { code: string });
    expect(inTx).toMatchObject({ code: '22012' });
    expect((await fast.query('SELECT id FROM t WHERE id = $1', [1])).rows).toEqual([{ id: 1 }]);
  });

  it('reads errors and notices as PGlite does: the same error object, each notice told, the rows after it', async () => {
    const failure = async (db: PGlite): Promise<Error> =>
      db.query('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'dup']).then(
        () => new Error('no error'),
        (e: unknown) => e as Error,
      );
    const [want, got] = [await failure(plain), await failure(fast)];
    expect(got).toBeInstanceOf(want.constructor);
    expect({ ...got, message: got.message }).toEqual({ ...want, message: want.message });
    const fn = `CREATE OR REPLACE FUNCTION noisy(v int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'saw % 你好', v; RETURN v * 2; END $$`;
    await Promise.all([plain.exec(fn), fast.exec(fn)]);
    const heard = async (db: PGlite) => {
      const notices: string[] = [];
      const result = await db.query('SELECT noisy($1) AS v', [21], { onNotice: (n) => notices.push(n.message ?? '') });
      return { rows: result.rows, notices };
    };
    for (let run = 0; run < 2; run++) expect(await heard(fast)).toEqual(await heard(plain));
    expect((await heard(fast)).notices).toEqual(['saw 21 你好']);
  });

  it('keeps at most its cap of statements, closing the least recently used', async () => {
    for (let i = 0; i < 12; i++) await fast.query(`SELECT $1::int + ${i} AS v`, [1]);
    // The cap (5) plus the one just evicted, closed with the next statement prepared.
    expect((await prepared(fast)).length).toBeGreaterThanOrEqual(5);
    expect((await prepared(fast)).length).toBeLessThanOrEqual(6);
    expect((await fast.query<{ v: number }>('SELECT $1::int + 11 AS v', [1])).rows).toEqual([{ v: 12 }]);
  });

  it('follows a schema change: a statement whose result changed is prepared again', async () => {
    expect((await fast.query('SELECT * FROM t WHERE id = $1', [2])).fields.map((f) => f.name)).toEqual(['id', 'name', 'at', 'tags', 'doc', 'n', 'ok']);
    await fast.exec('ALTER TABLE t ADD COLUMN extra text DEFAULT $$x$$');
    const after = await fast.query('SELECT * FROM t WHERE id = $1', [2]);
    expect(after.fields.map((f) => f.name)).toEqual(['id', 'name', 'at', 'tags', 'doc', 'n', 'ok', 'extra']);
    expect(after.rows).toEqual([expect.objectContaining({ id: 2, extra: 'x' })]);
  });

  it('takes PGlite\'s own path past 32 parameters', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => i);
    const res = await fast.query(`SELECT count(*)::int AS c FROM t WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})`, ids);
    expect(res.rows).toEqual([{ c: 2 }]);
    const texts = (await fast.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements', [])).rows.map((r) => r.statement);
    expect(texts.filter((t) => t.includes(' IN ('))).toEqual([]);
  });
});

describe('the embedded database the server opens', () => {
  it('plans each run of a prepared statement for its values (generic plans made the big inbox 1.5x slower)', async () => {
    const database = await openDatabase({ kind: 'memory' }, createLogger({ level: 'silent', logDir: null, pretty: false }));
    try {
      const rows = await queryRows<{ plan_cache_mode: string }>(database.db, sql`SHOW plan_cache_mode`);
      expect(rows).toEqual([{ plan_cache_mode: 'force_custom_plan' }]);
    } finally {
      await database.close();
    }
  });
});
