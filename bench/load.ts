/**
 * Shared by the in-process scenarios (search, history, coldstart's full DATA_DIR): bulk loading
 * with multi-row INSERTs straight into the tables, and timing a call many times.
 */
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { performance } from 'node:perf_hooks';
import type { Db } from '../src/db/database.js';
import { conversationEvents, messages } from '../src/db/schema.js';
import { percentiles } from './lib.js';

export type NewMessage = typeof messages.$inferInsert & { id: string; conversationId: string; seq: number; createdAt: Date };

/** Deterministic pseudo-random numbers, so every run loads the same corpus. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LoadOptions {
  /** Rows per INSERT (default 5000: under the 65,535 parameters of one statement). */
  batch?: number;
  /** Also write each message's `message.created` event, as a send does (the events feed, sync). */
  events?: boolean;
  /**
   * Afterwards set each conversation's last_seq and last_activity_at to its newest message
   * (default true; off when the caller wrote them with the conversation rows).
   */
  setHeads?: boolean;
  log?: (line: string) => void;
}

/**
 * Inserts `total` messages made by `make(i)`, called with i = 0, 1, … in order. The caller keeps
 * each conversation's seqs gap-free (from 1, or after its last_seq).
 */
export async function loadMessages(db: Db, total: number, make: (i: number) => NewMessage, opts: LoadOptions = {}): Promise<void> {
  const batch = opts.batch ?? 5000;
  const heads = new Map<string, { seq: number; at: Date }>();
  let logged = 0;
  for (let i = 0; i < total; i += batch) {
    const rows: NewMessage[] = [];
    for (let j = i; j < Math.min(total, i + batch); j++) {
      const row = make(j);
      rows.push(row);
      const head = heads.get(row.conversationId);
      if (!head || row.seq > head.seq) heads.set(row.conversationId, { seq: row.seq, at: row.createdAt });
    }
    if (opts.events) {
      const events = rows.map((r) => ({ conversationId: r.conversationId, seq: r.seq, type: 'message.created' as const, messageId: r.id, createdAt: r.createdAt }));
      await db.transaction(async (tx) => {
        await tx.insert(messages).values(rows);
        await tx.insert(conversationEvents).values(events);
      });
    } else {
      await db.insert(messages).values(rows);
    }
    const done = i + rows.length;
    if (opts.log && (done - logged >= 100_000 || done === total)) {
      opts.log(`  inserted ${done.toLocaleString('en')} messages${opts.events ? ' (and their events)' : ''}`);
      logged = done;
    }
  }
  if (opts.setHeads === false) return;
  for (const [id, head] of heads) {
    await db.execute(
      sql`UPDATE conversations SET last_seq = GREATEST(last_seq, ${head.seq}),
          last_activity_at = GREATEST(last_activity_at, ${head.at.toISOString()}::timestamptz) WHERE id = ${id}::uuid`,
    );
  }
}

/** Multi-row INSERTs of `rows` into `table`, `batch` at a time. */
export async function insertBatches<T extends PgTable>(db: Db, table: T, rows: T['$inferInsert'][], batch = 2000): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) await db.insert(table).values(rows.slice(i, i + batch));
}

/** p50/p99 of `runs` calls of fn, after `warmup` calls. */
export async function timeRuns(fn: () => Promise<unknown>, runs: number, warmup = 5): Promise<{ p50: number; p99: number; mean: number }> {
  for (let k = 0; k < warmup; k++) await fn();
  const samples: number[] = [];
  for (let k = 0; k < runs; k++) {
    const s = performance.now();
    await fn();
    samples.push(performance.now() - s);
  }
  return percentiles(samples);
}

/** A call to time, and the bare SQL a naive server would run for the same answer. */
export type TimedCase = [label: string, call: () => Promise<unknown>, baseline: () => Promise<unknown>];

/**
 * Times each case and its baseline `runs` times, then counts the queries one call makes (and
 * their summed time) over 20 more calls: a row per case, as the history and threads tables show.
 */
export async function timeCases(
  database: { observe(o: { queryStarted(): void; queryFinished(seconds: number, failed: boolean, text: string): void }): () => void },
  cases: readonly TimedCase[],
  runs: number,
  extra: (ours: { p50: number }, naive: { p50: number }) => Record<string, string> = () => ({}),
): Promise<Record<string, string | number>[]> {
  const queriesOf = async (call: () => Promise<unknown>, label: string) => {
    let n = 0;
    let s = 0;
    const each = new Map<string, number>();
    const detach = database.observe({
      queryStarted: () => void n++,
      queryFinished: (sec, _failed, text) => {
        s += sec;
        const key = text.replace(/\s+/g, ' ').slice(0, 90);
        each.set(key, (each.get(key) ?? 0) + sec);
      },
    });
    try {
      for (let k = 0; k < 20; k++) await call();
    } finally {
      detach();
    }
    // BENCH_QUERY_DETAIL=1: each statement's mean ms (from its start, so waiting behind another counts).
    if (process.env.BENCH_QUERY_DETAIL) for (const [text, sec] of each) process.stderr.write(`  ${label}: ${((sec * 1000) / 20).toFixed(2)} ms  ${text}\n`);
    return { queries: n / 20, ms: (s * 1000) / 20 };
  };
  const rows: Record<string, string | number>[] = [];
  for (const [label, call, baseline] of cases) {
    const ours = await timeRuns(call, runs);
    const naive = await timeRuns(baseline, runs);
    const q = await queriesOf(call, label);
    rows.push({
      query: label,
      'p50 ms': ours.p50.toFixed(2),
      'p99 ms': ours.p99.toFixed(2),
      'baseline p50 ms': naive.p50.toFixed(2),
      'baseline p99 ms': naive.p99.toFixed(2),
      ...extra(ours, naive),
      'queries (summed ms)': `${q.queries} (${q.ms.toFixed(1)})`,
    });
  }
  return rows;
}
