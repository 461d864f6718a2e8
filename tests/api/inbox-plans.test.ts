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

/** Sequential and index scans of the messages table so far, as the statistics collector has them. */
async function scans(): Promise<{ seq: number; idx: number }> {
  await t.database.db.execute(sql`SELECT pg_stat_force_next_flush()`);
  const [row] = await queryRows<{ seq: string; idx: string }>(t.database.db, sql`SELECT seq_scan AS seq, idx_scan AS idx FROM pg_stat_user_tables WHERE relname = 'messages'`);
  return { seq: Number(row!.seq), idx: Number(row!.idx) };
}

describe('the inbox after ANALYZE of a skewed messages table', () => {
  it('counts unread messages through the index, never by scanning the table', async () => {
    // The pool's other connections report their counts when idle (on PostgreSQL, within a second
    // or so): wait until two readings agree before and after.
    const settle = async (): Promise<{ seq: number; idx: number }> => {
      let last = await scans();
      for (let k = 0; k < 50; k++) {
        await new Promise((r) => setTimeout(r, 200));
        const now = await scans();
        if (now.seq === last.seq && now.idx === last.idx) return now;
        last = now;
      }
      return last;
    };
    const before = await settle();
    for (let i = 0; i < 5; i++) {
      const res = await call('GET', '/conversations', reader);
      expect(res.statusCode).toBe(200);
      const conv = (res.json().conversations as { id: string; unreadCount: number }[]).find((c) => c.id === small);
      expect(conv?.unreadCount).toBe(5);
    }
    const after = await settle();
    expect(after.idx, 'the counts did not reach the statistics').toBeGreaterThan(before.idx);
    expect(after.seq - before.seq, 'sequential scans of messages while reading the inbox').toBe(0);
  }, 60_000);
});
