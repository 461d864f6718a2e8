/**
 * Threads at scale (issue 20's targets): BENCH_MESSAGES (1,000,000) messages in one group, of
 * which BENCH_THREADS (1,000) are roots the user follows, each with a few replies, and one root
 * with BENCH_BIG_THREAD (10,000) replies spread over the whole history. A tenth of the followed
 * threads have replies the user has not read, some of them mentioning the user. p50/p99 of the
 * service calls the REST routes make: the newest page of the big thread (target ≤ 50 ms), the
 * Threads view's first page and a page further in (target p99 ≤ 20 ms), one thread's state;
 * beside the bare SQL a naive server would run for the same page.
 */
import { sql } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { newId } from '../src/core/ids.js';
import { members, messageMentions, threadFollowers, threads, users } from '../src/db/schema.js';
import { queryRows } from '../src/db/sql.js';
import type { Actor } from '../src/services/identity/identity.js';
import { ThreadsRepository } from '../src/db/repositories/threads.repository.js';
import type { Scenario } from './lib.js';
import { insertBatches, loadMessages, rng, timeCases, type TimedCase } from './load.js';

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const FOLLOWED = Number(process.env.BENCH_THREADS ?? 1_000);
const BIG = Number(process.env.BENCH_BIG_THREAD ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
/** Replies of each followed thread (besides the big one), right after its root. */
const REPLIES = 5;

const WORDS = ['the', 'team', 'ships', 'a', 'build', 'today', 'review', 'meeting', 'notes', 'plan', '今天', '我们', '项目', '进度', '会议', '上线'];

export const threadsScenario: Scenario = {
  name: 'threads',
  describe: `${TOTAL.toLocaleString('en')} messages in one group, ${FOLLOWED.toLocaleString('en')} followed threads and one of ${BIG.toLocaleString('en')} replies: thread pages and the Threads view (targets: newest page of the big thread ≤ 50 ms, Threads view p99 ≤ 20 ms)`,
  async run(ctx) {
    const { app } = ctx;
    const db = ctx.database.db;
    const stamp = Date.now();
    const { user, token } = await app.services.accounts.register({ username: `thr_${stamp}`, password: 'bench-password' });
    const actor = (await app.services.accounts.authenticate(token)) as Actor;
    const group = await app.services.conversations.createGroup(actor, { name: 'threads at scale' });
    const peers = Array.from({ length: 5 }, (_, k) => ({ id: newId(), username: `thr_${stamp}_p${k}`, displayName: `Peer ${k} 同事` }));
    await insertBatches(db, users, peers);
    await insertBatches(db, members, peers.map((p) => ({ conversationId: group.id, userId: p.id, role: 'member' as const })));

    // Layout by seq (i = seq - 1): roots of the followed threads every `stride` messages, each
    // followed by REPLIES replies; the big thread's root first, its replies spread evenly.
    const stride = Math.floor(TOTAL / FOLLOWED);
    const bigEvery = Math.floor((TOTAL - 1) / BIG);
    const ids: string[] = Array.from({ length: TOTAL }, () => newId());
    const rootOf = (i: number): number | null => {
      if (i % stride === 0) return null; // a root (the big thread's is message 0)
      if (i % bigEvery === 0 && i / bigEvery <= BIG) return 0;
      const base = Math.floor(i / stride) * stride;
      const off = i - base;
      return base > 0 && off <= REPLIES ? base : null;
    };
    const r = rng(11);
    const text = () => Array.from({ length: 3 + Math.floor(r() * 12) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
    const senders = [user.id, ...peers.map((p) => p.id)];
    const t0 = Date.now() - TOTAL - 10_000;
    let started = performance.now();
    // The summaries as the send keeps them, gathered while loading.
    const summary = new Map<number, { count: number; lastSeq: number; lastAt: Date; participants: string[] }>();
    const mentionRows: (typeof messageMentions.$inferInsert)[] = [];
    const unreadRoots = new Set<number>();
    for (let k = 1; k < FOLLOWED; k++) if (k % 10 === 0) unreadRoots.add(k * stride);
    await loadMessages(
      db,
      TOTAL,
      (i) => {
        const root = rootOf(i);
        const id = ids[i]!;
        const at = new Date(t0 + i);
        let senderId = senders[i % senders.length]!;
        let mentions: string[] = [];
        if (root !== null) {
          // The user's own reply last in read threads; others' (one mentioning the user) in unread ones.
          const last = i - root === REPLIES;
          if (root !== 0 && last) senderId = unreadRoots.has(root) ? peers[0]!.id : user.id;
          if (root !== 0 && last && unreadRoots.has(root) && (root / stride) % 20 === 0) {
            mentions = [user.id];
            mentionRows.push({ userId: user.id, conversationId: group.id, seq: i + 1, messageId: id, threadId: ids[root]!, threadOnly: true });
          }
          const s = summary.get(root) ?? { count: 0, lastSeq: 0, lastAt: at, participants: [] };
          s.count++;
          s.lastSeq = i + 1;
          s.lastAt = at;
          s.participants = [senderId, ...s.participants.filter((p) => p !== senderId)].slice(0, 10);
          summary.set(root, s);
        }
        return { id, conversationId: group.id, seq: i + 1, senderId, body: text(), createdAt: at, threadId: root === null ? null : ids[root]!, mentions };
      },
      { events: true, log: ctx.log },
    );
    ctx.log(`  ${TOTAL.toLocaleString('en')} messages loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    await insertBatches(
      db,
      threads,
      [...summary].map(([root, s]) => ({
        rootId: ids[root]!,
        conversationId: group.id,
        replyCount: s.count,
        lastReplyAt: s.lastAt,
        lastReplySeq: s.lastSeq,
        participantIds: s.participants,
      })),
    );
    await insertBatches(db, messageMentions, mentionRows);
    // The user follows every root (the big one too); read up to the last reply except in the unread tenth.
    const followed = [0, ...Array.from({ length: FOLLOWED - 1 }, (_, k) => (k + 1) * stride)];
    await insertBatches(
      db,
      threadFollowers,
      followed.map((root) => {
        const s = summary.get(root)!;
        return { rootId: ids[root]!, userId: user.id, conversationId: group.id, following: true, lastReadSeq: unreadRoots.has(root) ? root + 1 : s.lastSeq };
      }),
    );
    await db.execute(sql`ANALYZE`);
    ctx.log(`  ${summary.size.toLocaleString('en')} threads, ${followed.length.toLocaleString('en')} followed, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The pages are what they should be.
    const bigRoot = ids[0]!;
    const newest = await app.services.threads.replies(actor, bigRoot, {});
    if (newest.messages.length !== 50 || !newest.hasMore || newest.messages.some((m) => m.threadId !== bigRoot)) throw new Error('the big thread page is wrong');
    const first = await app.services.threads.list(actor, {});
    if (first.unreadThreads !== unreadRoots.size || first.threads.length !== 50 || first.threads[0]!.unreadCount === 0) {
      throw new Error(`the Threads view is wrong: ${first.unreadThreads} unread, ${first.threads.length} listed`);
    }
    // The cursor of page 6, or of the last page when there are fewer.
    let deepCursor = first.nextCursor;
    let pageNo = 2;
    for (let next = deepCursor; next && pageNo < 6; pageNo++) {
      next = (await app.services.threads.list(actor, { cursor: next })).nextCursor;
      if (next) deepCursor = next;
      else break;
    }
    if (!deepCursor) throw new Error('the Threads view has one page only');

    if (process.env.BENCH_EXPLAIN) {
      // The plans of the Threads view's statement: the repository run over a handle that logs its plan instead.
      const explaining = {
        execute: async (q: ReturnType<typeof sql>) => {
          const plan = await queryRows<Record<string, string>>(db, sql`EXPLAIN (ANALYZE, BUFFERS) ${q}`);
          for (const line of plan) ctx.log(`    ${Object.values(line)[0]}`);
          return [];
        },
      } as unknown as typeof db;
      for (const c of [null, deepCursor]) {
        const after = c ? (JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as [number, string, string]) : null;
        ctx.log(`  plan of the Threads view, ${c ? 'a deeper page' : 'first page'}:`);
        await new ThreadsRepository(explaining).listFollowed(user.id, after ? { unread: after[0] === 1, at: new Date(after[1]), rootId: after[2] } : null, 50);
      }
    }
    const bare = (q: ReturnType<typeof sql>) => () => queryRows(db, q);
    const cases: TimedCase[] = [
      [
        `thread of ${BIG.toLocaleString('en')} replies, newest page`,
        () => app.services.threads.replies(actor, bigRoot, {}),
        bare(sql`SELECT * FROM messages WHERE thread_id = ${bigRoot}::uuid ORDER BY seq DESC LIMIT 51`),
      ],
      [
        `thread of ${BIG.toLocaleString('en')} replies, a page in the middle`,
        () => app.services.threads.replies(actor, bigRoot, { before: Math.floor(TOTAL / 2) }),
        bare(sql`SELECT * FROM messages WHERE thread_id = ${bigRoot}::uuid AND seq < ${Math.floor(TOTAL / 2)} ORDER BY seq DESC LIMIT 51`),
      ],
      [
        'one thread as the user sees it (GET /threads/{id})',
        () => app.services.threads.get(actor, ids[unreadRoots.values().next().value!]!),
        bare(sql`SELECT * FROM thread_followers WHERE root_id = ${ids[unreadRoots.values().next().value!]!}::uuid AND user_id = ${user.id}::uuid`),
      ],
      [
        `Threads view, first page (${followed.length.toLocaleString('en')} followed)`,
        () => app.services.threads.list(actor, {}),
        // A naive server: the user's followed threads by last reply, no unread-first order, no counts.
        bare(sql`SELECT f.*, t.* FROM thread_followers f JOIN threads t ON t.root_id = f.root_id
                  WHERE f.user_id = ${user.id}::uuid AND f.following ORDER BY t.last_reply_at DESC LIMIT 51`),
      ],
      [
        `Threads view, page ${pageNo}`,
        () => app.services.threads.list(actor, { cursor: deepCursor }),
        bare(sql`SELECT f.*, t.* FROM thread_followers f JOIN threads t ON t.root_id = f.root_id
                  WHERE f.user_id = ${user.id}::uuid AND f.following ORDER BY t.last_reply_at DESC OFFSET ${(pageNo - 1) * 50} LIMIT 51`),
      ],
    ];
    return timeCases(ctx.database, cases, RUNS);
  },
};
