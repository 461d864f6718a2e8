/**
 * The embedded database's periodic ANALYZE (PGlite has no autovacuum) analyzes what autovacuum
 * would: a table never analyzed once, then only a table changed by more than 10 % since. ANALYZE blocks the
 * embedded database (seconds at a million messages), so an unchanged table is not analyzed again.
 */
import { sql } from 'drizzle-orm';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { analyzeChangedTables, openDatabase, vacuumChangedTables, type Database } from '../../src/db/database.js';
import { users } from '../../src/db/schema.js';
import { dbKind } from '../helpers/app.js';

let database: Database;
beforeAll(async () => {
  database = await openDatabase({ kind: 'memory' }, createLogger({ level: 'silent', logDir: null }));
});
afterAll(async () => database?.close());

/** Statistics reach pg_stat_user_tables when the session goes idle, at most once a second. */
async function waitForChanges(table: string, atLeast: number, column: 'n_mod_since_analyze' | 'n_ins_since_vacuum' = 'n_mod_since_analyze', on: Database = database): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await on.db.execute(sql`SELECT ${sql.raw(column)} AS n FROM pg_stat_user_tables WHERE relname = ${table}`);
    const n = Number((res as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
    if (n >= atLeast) return;
    if (Date.now() > deadline) throw new Error(`pg_stat_user_tables never showed ${atLeast} changes to ${table} (last: ${n})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(dbKind === 'pglite')('the embedded database\'s periodic ANALYZE', () => {
  it('analyzes a table never analyzed once, then only a table that changed by more than 10 %', async () => {
    // The build's empty database comes analyzed (pglite-setup.ts): nothing is due at the start,
    // where analyzing every table grew PGlite's memory by 25 MiB a minute after each fresh start.
    expect(await analyzeChangedTables(database.db)).toEqual([]);
    // A table never analyzed (as every table of a DATA_DIR made before that) is due once.
    await database.db.execute(sql`CREATE TABLE never_analyzed (id int PRIMARY KEY)`);
    expect(await analyzeChangedTables(database.db)).toEqual(['never_analyzed']);
    // Nothing changed since: nothing to analyze.
    expect(await analyzeChangedTables(database.db)).toEqual([]);
    // 200 new users in a table of none: far more than 10 %.
    await database.db.insert(users).values(Array.from({ length: 200 }, (_, i) => ({ id: newId(), username: `an_${i}_${Date.now()}`, displayName: `分析 ${i}` })));
    await waitForChanges('users', 200);
    expect(await analyzeChangedTables(database.db)).toEqual(['users']);
    expect(await analyzeChangedTables(database.db)).toEqual([]);
  });

  it('after a bulk write, vacuums the tables that took it (their rows\' hint bits set once), and analyzes them', async () => {
    await vacuumChangedTables(database.db);
    // 3,000 new users: past 1,000 rows and a fifth of the table since its last VACUUM.
    await database.db.insert(users).values(Array.from({ length: 3000 }, (_, i) => ({ id: newId(), username: `vac_${i}_${Date.now()}`, displayName: `清理 ${i}` })));
    await waitForChanges('users', 3000, 'n_ins_since_vacuum');
    expect(await vacuumChangedTables(database.db)).toEqual(['users']);
    const res = await database.db.execute(sql`SELECT last_vacuum IS NOT NULL AS vacuumed, n_ins_since_vacuum AS since, n_mod_since_analyze AS mods FROM pg_stat_user_tables WHERE relname = 'users'`);
    const row = (res as unknown as { rows: { vacuumed: boolean; since: number; mods: number }[] }).rows[0]!;
    expect(row).toMatchObject({ vacuumed: true });
    expect(Number(row.since)).toBe(0);
    expect(Number(row.mods)).toBe(0);
    expect(await vacuumChangedTables(database.db)).toEqual([]);
  });

  it('does not analyze everything again after a restart (PGlite starts with empty pg_stat counters)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-analyze-'));
    const logger = createLogger({ level: 'silent', logDir: null });
    try {
      let onDisk = await openDatabase({ kind: 'pglite', dataDir: dir }, logger);
      await onDisk.db.insert(users).values(Array.from({ length: 200 }, (_, i) => ({ id: newId(), username: `re_${i}_${Date.now()}`, displayName: `重启 ${i}` })));
      await waitForChanges('users', 200, 'n_mod_since_analyze', onDisk);
      expect(await analyzeChangedTables(onDisk.db)).toContain('users');
      expect(await analyzeChangedTables(onDisk.db)).toEqual([]);
      await onDisk.close();
      onDisk = await openDatabase({ kind: 'pglite', dataDir: dir }, logger);
      try {
        // A million messages took 3.5 s to analyze, all of it holding the server.
        expect(await analyzeChangedTables(onDisk.db)).toEqual([]);
        // What changes after the start still counts.
        await onDisk.db.insert(users).values(Array.from({ length: 100 }, (_, i) => ({ id: newId(), username: `re2_${i}_${Date.now()}`, displayName: `又 ${i}` })));
        await waitForChanges('users', 100, 'n_mod_since_analyze', onDisk);
        expect(await analyzeChangedTables(onDisk.db)).toEqual(['users']);
      } finally {
        await onDisk.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
