/**
 * History and the inbox at scale: BENCH_MESSAGES (1,000,000) messages, with their events, in one
 * conversation, and BENCH_CONVERSATIONS (10,000) conversations for the same user (9 in 10 groups,
 * 1 in 10 direct, two messages each, a third of them unread). p50/p99 of the service calls the
 * REST routes make (newest page, a deep page, an events catch-up page, the inbox's first page
 * and a page ~100 in), beside the bare SQL a naive server would run through the same driver.
 */
import { sql } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { newId } from '../src/core/ids.js';
import { conversations, members, users } from '../src/db/schema.js';
import { queryRows } from '../src/db/sql.js';
import type { Actor } from '../src/services/identity/identity.js';
import type { Scenario } from './lib.js';
import { insertBatches, loadMessages, rng, timeCases, type TimedCase } from './load.js';

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const INBOX_DEPTH = 100;

const WORDS = ['the', 'team', 'ships', 'a', 'build', 'today', 'review', 'meeting', 'notes', 'plan', '今天', '我们', '项目', '进度', '会议', '上线'];

export const historyScenario: Scenario = {
  name: 'history',
  describe: `${TOTAL.toLocaleString('en')} messages in one conversation, ${CONVERSATIONS.toLocaleString('en')} conversations for one user: history pages, events, inbox (target: history p99 at most 5 ms)`,
  async run(ctx) {
    const { app } = ctx;
    const db = ctx.database.db;
    const stamp = Date.now();
    const { user, token } = await app.services.accounts.register({ username: `hist_${stamp}`, password: 'bench-password' });
    const actor = (await app.services.accounts.authenticate(token)) as Actor;
    const big = await app.services.conversations.createGroup(actor, { name: 'one million' });

    // Peers: the other side of each direct conversation, and the other senders of the big one.
    const directs = Math.floor(CONVERSATIONS / 10);
    const peers = Array.from({ length: Math.max(directs, 5) }, (_, k) => ({ id: newId(), username: `hist_${stamp}_p${k}`, displayName: `Peer ${k} 同事` }));
    await insertBatches(db, users, peers);
    await insertBatches(db, members, peers.slice(0, 5).map((p) => ({ conversationId: big.id, userId: p.id, role: 'member' as const })));

    const r = rng(7);
    const text = () => Array.from({ length: 3 + Math.floor(r() * 12) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
    const senders = [user.id, ...peers.slice(0, 5).map((p) => p.id)];
    let started = performance.now();
    const t0 = Date.now() - TOTAL - 10_000; // one message a millisecond, oldest first, all before the small ones
    await loadMessages(
      db,
      TOTAL,
      (i) => ({ id: newId(), conversationId: big.id, seq: i + 1, senderId: senders[i % senders.length]!, body: text(), createdAt: new Date(t0 + i) }),
      { events: true, log: ctx.log },
    );
    ctx.log(`  ${TOTAL.toLocaleString('en')} messages and events loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The inbox: CONVERSATIONS conversations of two messages each, a millisecond of activity apart.
    started = performance.now();
    const base = Date.now() - 2 * CONVERSATIONS;
    const convs = Array.from({ length: CONVERSATIONS }, (_, k) => {
      const direct = k < directs;
      const peer = peers[k % peers.length]!;
      const at = new Date(base + 2 * k + 1);
      return {
        id: newId(),
        kind: direct ? ('direct' as const) : ('group' as const),
        name: direct ? null : `group ${k} 小组`,
        visibility: direct ? null : ('private' as const),
        directKey: direct ? [user.id, peer.id].sort().join(':') : null,
        memberCount: direct ? 2 : 1,
        lastSeq: 2,
        createdAt: new Date(base),
        lastActivityAt: at,
      };
    });
    await insertBatches(db, conversations, convs);
    const memberRows = convs.flatMap((c, k) => {
      const mine = { conversationId: c.id, userId: user.id, role: c.kind === 'direct' ? ('member' as const) : ('owner' as const), lastReadSeq: k % 3 === 0 ? 0 : 2 };
      return c.kind === 'direct' ? [mine, { conversationId: c.id, userId: peers[k % peers.length]!.id, role: 'member' as const, lastReadSeq: 2 }] : [mine];
    });
    await insertBatches(db, members, memberRows);
    await loadMessages(
      db,
      2 * CONVERSATIONS,
      (i) => {
        const k = Math.floor(i / 2);
        const c = convs[k]!;
        const sender = c.kind === 'direct' || i % 2 === 1 ? peers[k % peers.length]!.id : user.id;
        return { id: newId(), conversationId: c.id, seq: (i % 2) + 1, senderId: sender, body: text(), createdAt: new Date(base + 2 * k + (i % 2)) };
      },
      { events: true, setHeads: false },
    );
    // The big group is the newest activity, with more than the unread cap (1000) unread.
    await db.execute(sql`UPDATE conversations SET last_activity_at = now() WHERE id = ${big.id}::uuid`);
    await db.execute(sql`UPDATE members SET last_read_seq = ${Math.max(0, TOTAL - 5000)} WHERE conversation_id = ${big.id}::uuid AND user_id = ${user.id}::uuid`);
    await db.execute(sql`ANALYZE`);
    ctx.log(`  ${CONVERSATIONS.toLocaleString('en')} conversations loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The cursor ~100 pages into the inbox, and checks that the pages are what they should be.
    const depth = Math.min(INBOX_DEPTH, Math.floor(CONVERSATIONS / 50) - 1);
    let cursor: string | undefined;
    for (let p = 0; p < depth && (p === 0 || cursor); p++) cursor = (await app.services.conversations.inbox(actor, cursor, undefined)).nextCursor ?? undefined;
    const first = await app.services.conversations.inbox(actor, undefined, undefined);
    if (first.conversations[0]?.id !== big.id) throw new Error('the big group is not first in the inbox');
    const newest = await app.services.messages.history(actor, big.id, {});
    if (newest.messages.at(-1)?.seq !== TOTAL || !newest.hasMore) throw new Error('the newest page does not end at the last message');
    const deepSeq = Math.ceil(TOTAL / 2);
    const deep = await app.services.messages.history(actor, big.id, { before: deepSeq });
    if (deep.messages.at(-1)?.seq !== deepSeq - 1) throw new Error('the deep page does not end before its cursor');
    const after = Math.max(0, TOTAL - 1000);
    const deepAt = cursor ? ((await app.services.conversations.inbox(actor, cursor, undefined)).conversations[0] ?? null) : null;
    const deepRow = deepAt ? convs.find((c) => c.id === deepAt.id) : undefined;

    const bare = (q: ReturnType<typeof sql>) => () => queryRows(db, q);
    const inboxSql = (page: ReturnType<typeof sql>) => sql`
      SELECT c.* FROM members m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.user_id = ${user.id}::uuid AND c.deleted_at IS NULL ${page}
      ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 51`;
    const cases: TimedCase[] = [
      [
        'history, newest page',
        () => app.services.messages.history(actor, big.id, {}),
        bare(sql`SELECT * FROM messages WHERE conversation_id = ${big.id}::uuid ORDER BY seq DESC LIMIT 51`),
      ],
      [
        `history, deep page (before ${deepSeq})`,
        () => app.services.messages.history(actor, big.id, { before: deepSeq }),
        bare(sql`SELECT * FROM messages WHERE conversation_id = ${big.id}::uuid AND seq < ${deepSeq} ORDER BY seq DESC LIMIT 51`),
      ],
      [
        `events catch-up page (after ${after})`,
        () => app.services.messages.events(actor, big.id, { after }),
        bare(sql`SELECT * FROM conversation_events WHERE conversation_id = ${big.id}::uuid AND seq > ${after} ORDER BY seq LIMIT 51`),
      ],
      ['inbox, first page', () => app.services.conversations.inbox(actor, undefined, undefined), bare(inboxSql(sql``))],
    ];
    if (cursor && deepRow) {
      cases.push([
        `inbox, page ${depth + 1}`,
        () => app.services.conversations.inbox(actor, cursor, undefined),
        bare(inboxSql(sql`AND (c.last_activity_at, c.id) <= (${deepRow.lastActivityAt.toISOString()}::timestamptz, ${deepRow.id}::uuid)`)),
      ]);
    }

    // Where the time goes: the queries a call makes, and their summed time (20 calls, after the timing).
    return timeCases(ctx.database, cases, RUNS, (ours, naive) => ({ 'cost over bare SQL (p50)': `${(ours.p50 - naive.p50).toFixed(2)} ms` }));
  },
};
