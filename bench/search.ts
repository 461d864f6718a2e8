/**
 * Search over 1M messages: p50/p99 of GET /search/messages' service path for a rare Chinese
 * two-character word, a rare English word, a common word and word prefixes (rare, common, two of
 * middling frequency together), against the baseline a naive implementation would use (an
 * unindexed substring scan, LIKE '%…%') in the same run. Also logs the sizes of the table and of
 * the search index, and the plans of the prefix queries (EXPLAIN of the repository's query).
 */
import { sql } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import type { ParleyApp } from '../src/app.js';
import { newId } from '../src/core/ids.js';
import { searchTerms } from '../src/db/search-terms.js';
import { queryRows } from '../src/db/sql.js';
import type { Actor } from '../src/services/identity/identity.js';
import { percentiles, type Scenario } from './lib.js';
import { loadMessages, rng } from './load.js';

const TOTAL = Number(process.env.BENCH_SEARCH_MESSAGES ?? 1_000_000);
const CONVERSATIONS = 100;
const BATCH = 5000;
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 200);

const ZH = ['今天', '我们', '项目', '进度', '会议', '时间', '客户', '需求', '测试', '上线', '问题', '方案', '文档', '设计', '数据'];
const EN = ['the', 'team', 'ships', 'a', 'build', 'today', 'review', 'meeting', 'notes', 'plan', 'status', 'update', 'fix', 'bug'];

function body(r: () => number, i: number): string {
  const pick = (list: string[]) => list[Math.floor(r() * list.length)]!;
  const zh = Array.from({ length: 4 + Math.floor(r() * 6) }, () => pick(ZH)).join('');
  const en = Array.from({ length: 4 + Math.floor(r() * 8) }, () => pick(EN)).join(' ');
  // One message in a thousand holds each rare term.
  const rare = i % 1000 === 7 ? ' 讨论' : i % 1000 === 501 ? ' deploy' : '';
  return r() < 0.5 ? `${zh}，${en}${rare}` : `${en} ${zh}${rare}`;
}

export const searchScenario: Scenario = {
  name: 'search',
  describe: `message search over ${TOTAL.toLocaleString('en')} messages in ${CONVERSATIONS} conversations`,
  async run(ctx) {
    const app: ParleyApp = ctx.app;
    const { user, token } = await app.services.accounts.register({ username: `bench_${Date.now()}`, password: 'bench-password' });
    const actor = (await app.services.accounts.authenticate(token)) as Actor;
    const convIds: string[] = [];
    for (let c = 0; c < CONVERSATIONS; c++) convIds.push((await app.services.conversations.createGroup(actor, { name: `g${c}` })).id);

    const db = ctx.database.db;
    const r = rng(42);
    const started = performance.now();
    const seqs = new Map(convIds.map((id) => [id, 0]));
    const t0 = Date.now() - TOTAL; // one message a millisecond, oldest first
    await loadMessages(
      db,
      TOTAL,
      (j) => {
        const conversationId = convIds[j % CONVERSATIONS]!;
        const seq = seqs.get(conversationId)! + 1;
        seqs.set(conversationId, seq);
        const text = body(r, j);
        return { id: newId(), conversationId, seq, senderId: user.id, body: text, searchTerms: searchTerms(text), createdAt: new Date(t0 + j) };
      },
      { batch: BATCH, log: ctx.log },
    );
    ctx.log(`  loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const analyzing = performance.now();
    await db.execute(sql`ANALYZE`);
    ctx.log(`  ANALYZE took ${((performance.now() - analyzing) / 1000).toFixed(1)} s`);
    const [size] = await queryRows<{ heap: string; idx: string }>(
      db,
      sql`SELECT pg_size_pretty(pg_relation_size('messages')) AS heap, pg_size_pretty(pg_relation_size('messages_search_terms_idx')) AS idx`,
    );
    ctx.log(`  messages heap ${size?.heap}, messages_search_terms_idx ${size?.idx}`);
    // The plan of the repository's search query (messages.repository.ts search(), with its
    // random_page_cost) for each word-prefix query: a word of 3-10 characters is the word itself
    // or itself as a prefix.
    for (const [word, pattern] of [['dep', 'dep*'], ['deploy', 'deploy*'], ['meet', 'meet*']] as const) {
      const plan = await db.transaction(async (tx) => {
        await tx.execute(sql`SET LOCAL random_page_cost = 1.1`);
        return queryRows<{ 'QUERY PLAN': string }>(
        tx as unknown as typeof db,
        sql`EXPLAIN SELECT m.* FROM messages m
              JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ${user.id}::uuid
              JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL
             WHERE m.search_terms && ARRAY[${word}, ${pattern}]::text[] AND m.deleted_at IS NULL
             ORDER BY m.created_at DESC, m.id DESC LIMIT 51`,
        );
      });
      ctx.log(`  EXPLAIN (q=${word}):\n${plan.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);
    }

    const time = async (fn: () => Promise<unknown>) => {
      const samples: number[] = [];
      await fn(); // warm-up
      for (let k = 0; k < RUNS; k++) {
        const s = performance.now();
        await fn();
        samples.push(performance.now() - s);
      }
      return percentiles(samples);
    };
    const query = (q: string) => () => app.services.search.messages(actor, { q });
    const scan = (pattern: string) => () =>
      queryRows(
        db,
        sql`SELECT m.id FROM messages m JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ${user.id}::uuid
            WHERE m.deleted_at IS NULL AND lower(m.body) LIKE ${pattern}
            ORDER BY m.created_at DESC, m.id DESC LIMIT 51`,
      );
    const hits = async (q: string) => (await app.services.search.messages(actor, { q, limit: 100 })).messages.length;

    const rows: Record<string, string | number>[] = [];
    for (const [label, q, pattern] of [
      ['rare Chinese word 讨论 (0.1%)', '讨论', '%讨论%'],
      ['rare English word deploy (0.1%)', 'deploy', '%deploy%'],
      ['common word 会议 (~40%)', '会议', '%会议%'],
      ['rare prefix dep (deploy, 0.1%)', 'dep', '%dep%'],
      ['common prefix meet (meeting, ~43%)', 'meet', '%meet%'],
      ['two prefixes stat upd (~18%)', 'stat upd', '%stat%upd%'],
    ] as const) {
      const indexed = await time(query(q));
      const baseline = await time(scan(pattern));
      rows.push({
        query: label,
        'first page hits': await hits(q),
        'p50 ms': indexed.p50.toFixed(2),
        'p99 ms': indexed.p99.toFixed(2),
        'baseline p50 ms': baseline.p50.toFixed(2),
        'baseline p99 ms': baseline.p99.toFixed(2),
        'speed-up (p50)': `${(baseline.p50 / indexed.p50).toFixed(1)}x`,
      });
    }
    return rows;
  },
};
