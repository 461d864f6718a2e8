/**
 * Database.quiet, what an export's pages wait for on the embedded database: it resolves once no
 * statement is running or waiting (judged after a turn of the event loop, so a caller that sends
 * its next statement at once keeps its place), or after its longest wait.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, type Database } from '../../src/db/database.js';

describe('Database.quiet on the embedded database', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ kind: 'memory' }, createLogger({ level: 'silent', logDir: null, pretty: false }));
  });
  afterAll(async () => {
    await database?.close();
  });

  it('waits for the statements running and queued, and for the next one their caller sends at once', async () => {
    const order: string[] = [];
    const caller = (async () => {
      await database.db.execute(sql`SELECT pg_sleep(0.05)`);
      order.push('first');
      // Sent at once after the first answer: still ahead of the background work.
      await database.db.execute(sql`SELECT pg_sleep(0.05)`);
      order.push('second');
    })();
    const queued = database.db.execute(sql`SELECT 1`).then(() => order.push('queued'));
    const t0 = performance.now();
    await database.quiet(5_000);
    order.push('quiet');
    expect(order).toHaveLength(4);
    expect(order.at(-1)).toBe('quiet');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    await Promise.all([caller, queued]);
  });

  it('goes at once when nothing runs; waits for a statement held up behind a transaction, at most its longest wait', async () => {
    let t0 = performance.now();
    await database.quiet(5_000);
    expect(performance.now() - t0).toBeLessThan(1_000);
    // A transaction that awaits other work between its statements holds the database; a
    // statement sent meanwhile waits for it.
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const holder = database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT 1`);
      opened();
      // The other work the transaction awaits (what the statement below waits behind).
      await new Promise((r) => setTimeout(r, 400));
    });
    await open;
    const held = database.db.execute(sql`SELECT 2`).then(() => undefined);
    t0 = performance.now();
    await database.quiet(100);
    const capped = performance.now() - t0;
    expect(capped).toBeGreaterThanOrEqual(95);
    expect(capped).toBeLessThan(350);
    await database.quiet(5_000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    await Promise.all([holder, held]);
  });
});
