/**
 * The inbox's unread counts read the (conversation, seq) index, whatever the statistics say. Once
 * ANALYZE had seen one group holding nearly every message, the planner expected a capped count
 * of a small conversation's unread messages to find them early in a sequential scan, and read
 * the whole messages table for every conversation of every inbox page (17 ms each at 100,000
 * messages on the embedded database, and growing with the table).
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { conversations, messages } from '../../src/db/schema.js';
import { queryRows } from '../../src/db/sql.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';

const BIG = 20_000;

let t: TestApp;
const call = apiCaller(() => t.app);
let owner: Account;
let reader: Account;
let small: string;

beforeAll(async () => {
  t = await startTestApp();
  [owner, reader] = await Promise.all([register(t.app), register(t.app)]);
  const big = (await call('POST', '/groups', owner, { name: uniqueName('big') })).json().id as string;
  const t0 = Date.now() - BIG;
  for (let from = 0; from < BIG; from += 2000) {
    const rows = Array.from({ length: 2000 }, (_, k) => ({ id: newId(), conversationId: big, seq: from + k + 1, senderId: owner.user.id, body: `bulk ${from + k}`, createdAt: new Date(t0 + from + k) }));
    await t.database.db.insert(messages).values(rows);
  }
  await t.database.db.update(conversations).set({ lastSeq: BIG }).where(eq(conversations.id, big));
  const res = await call('POST', '/groups', owner, { name: uniqueName('small'), memberIds: [reader.user.id] });
  small = res.json().id as string;
  for (let i = 0; i < 5; i++) expect((await call('POST', `/conversations/${small}/messages`, owner, { body: `unread ${i}`, clientMsgId: newId() })).statusCode).toBe(201);
  // What autovacuum (or the embedded database's maintenance) does once the table has grown.
  await t.database.db.execute(sql`ANALYZE messages`);
}, 120_000);
afterAll(async () => t?.close());

/**
 * Sequential and index scans of the messages table so far, as the statistics collector has them.
 * A PostgreSQL backend that flushed its counts less than a second ago holds the next ones for up
 * to 10 s (PGSTAT_IDLE_INTERVAL), so readings that agree for a while prove nothing. A backend
 * reports what it holds when it exits, and one asked to (pg_stat_force_next_flush) when its
 * transaction ends, before it answers the commit. So on one connection (a transaction pins it)
 * the pool's other connections of this database are ended, each waited for (the pool opens new
 * ones when next needed), and this one flushes at its commit. On the embedded database there is
 * one connection: its own flush.
 */
async function scans(): Promise<{ seq: number; idx: number }> {
  await t.database.db.transaction(async (tx) => {
    await tx.execute(
      sql`SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    await tx.execute(sql`SELECT pg_stat_force_next_flush()`);
  });
  const [row] = await queryRows<{ seq: string; idx: string }>(t.database.db, sql`SELECT seq_scan AS seq, idx_scan AS idx FROM pg_stat_user_tables WHERE relname = 'messages'`);
  return { seq: Number(row!.seq), idx: Number(row!.idx) };
}

describe('the inbox after ANALYZE of a skewed messages table', () => {
  it('counts unread messages through the index, never by scanning the table', async () => {
    const before = await scans();
    for (let i = 0; i < 5; i++) {
      const res = await call('GET', '/conversations', reader);
      expect(res.statusCode).toBe(200);
      const conv = (res.json().conversations as { id: string; unreadCount: number }[]).find((c) => c.id === small);
      expect(conv?.unreadCount).toBe(5);
    }
    const after = await scans();
    expect(after.idx, 'the counts did not reach the statistics').toBeGreaterThan(before.idx);
    expect(after.seq - before.seq, 'sequential scans of messages while reading the inbox').toBe(0);
  }, 60_000);
});
