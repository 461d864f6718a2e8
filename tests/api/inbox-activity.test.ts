/**
 * The inbox reads a user's conversations by activity from an index (issue 18): a conversation of
 * at most 64 members has its last_activity_at copied per member into member_activity by the
 * database (migration 0029's triggers), a larger group keeps none there and is read apart. What must hold:
 * the copy follows every send and membership change (a group growing past 64 and shrinking back),
 * the pages are exactly the naive query's (every conversation once, newest activity first, by
 * cursor), deleted conversations stay out, and at scale the statement reads the indexes instead
 * of sorting every membership.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { ConversationsRepository } from '../../src/db/repositories/conversations.repository.js';
import { conversations, members } from '../../src/db/schema.js';
import { queryRows } from '../../src/db/sql.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
const call = apiCaller(() => t.app);
let reader: Account;
let others: Account[];

beforeAll(async () => {
  t = await startTestApp();
  reader = await register(t.app);
  others = await Promise.all(Array.from({ length: 66 }, () => register(t.app)));
}, 120_000);
afterAll(async () => t?.close());

const send = async (conversationId: string, who: Account, body: string) =>
  expect((await call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: newId() })).statusCode).toBe(201);

/** Every page of the reader's inbox, 2 at a time, by cursor. */
async function inboxIds(who: Account): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res = await call('GET', `/conversations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, who);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { conversations: { id: string }[]; nextCursor: string | null };
    ids.push(...body.conversations.map((c) => c.id));
    cursor = body.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('the inbox did not end');
}

/** What the naive query says: every live membership, sorted. */
async function naiveIds(who: Account): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    t.database.db,
    sql`SELECT c.id FROM members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = ${who.user.id}::uuid AND c.deleted_at IS NULL ORDER BY c.last_activity_at DESC, c.id DESC`,
  );
  return rows.map((r) => r.id);
}

/** Memberships whose member_activity row is missing or disagrees with their conversation, and rows of no membership (should be none). */
async function strayCopies(): Promise<unknown[]> {
  return queryRows(
    t.database.db,
    sql`SELECT m.conversation_id, m.user_id, a.activity_at, c.last_activity_at, c.member_count
        FROM members m JOIN conversations c ON c.id = m.conversation_id
        LEFT JOIN member_activity a ON a.conversation_id = m.conversation_id AND a.user_id = m.user_id
        WHERE a.user_id IS NULL OR a.activity_at IS DISTINCT FROM (CASE WHEN c.member_count <= 64 THEN c.last_activity_at END)
        UNION ALL
        SELECT a.conversation_id, a.user_id, a.activity_at, NULL, NULL FROM member_activity a
        WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = a.conversation_id AND m.user_id = a.user_id)`,
  );
}

describe('the inbox by activity', () => {
  it('follows sends and a group growing past 64 members and back, page for page as the naive query', async () => {
    const small = (await call('POST', '/groups', reader, { name: uniqueName('small'), memberIds: [others[0]!.user.id] })).json().id as string;
    const direct = (await call('POST', '/conversations/direct', reader, { userId: others[1]!.user.id })).json().id as string;
    // 64 members: the reader and 63 others.
    const big = (await call('POST', '/groups', reader, { name: uniqueName('big'), memberIds: others.slice(0, 63).map((a) => a.user.id) })).json().id as string;
    const gone = (await call('POST', '/groups', reader, { name: uniqueName('gone'), memberIds: [others[2]!.user.id] })).json().id as string;
    expect(big && small && direct && gone).toBeTruthy();
    await send(small, others[0]!, 'one');
    await send(direct, others[1]!, 'two');
    await send(big, others[5]!, 'three');
    expect(await strayCopies()).toEqual([]);
    expect(await inboxIds(reader)).toEqual(await naiveIds(reader));
    expect((await inboxIds(reader)).slice(0, 3)).toEqual([big, direct, small]);

    // The 65th member: the group's members keep no copy; it still sorts by its activity.
    expect((await call('POST', `/groups/${big}/members`, reader, { userId: others[63]!.user.id })).statusCode).toBe(201);
    expect(await strayCopies()).toEqual([]);
    await send(small, others[0]!, 'four');
    expect((await inboxIds(reader)).slice(0, 2)).toEqual([small, big]);
    await send(big, others[63]!, 'five');
    expect((await inboxIds(reader)).slice(0, 2)).toEqual([big, small]);
    expect(await inboxIds(reader)).toEqual(await naiveIds(reader));
    // And back to 64: the copies return, current.
    expect((await call('DELETE', `/groups/${big}/members/${others[63]!.user.id}`, reader)).statusCode).toBe(204);
    expect(await strayCopies()).toEqual([]);
    await send(direct, reader, 'six');
    expect((await inboxIds(reader)).slice(0, 2)).toEqual([direct, big]);
    expect(await inboxIds(reader)).toEqual(await naiveIds(reader));

    // A deleted group leaves the inbox, whichever part it was read from.
    expect((await call('DELETE', `/groups/${gone}`, reader)).statusCode).toBe(204);
    const after = await inboxIds(reader);
    expect(after).not.toContain(gone);
    expect(after).toEqual(await naiveIds(reader));
    // The 63 others see the same group from their side.
    expect(await inboxIds(others[10]!)).toEqual(await naiveIds(others[10]!));
  });

  it('drops the rows of a member who leaves or is erased with the membership', async () => {
    const [a, b] = await Promise.all([register(t.app), register(t.app)]);
    const g = (await call('POST', '/groups', a, { name: uniqueName('leave'), memberIds: [b.user.id] })).json().id as string;
    expect((await call('DELETE', `/groups/${g}/members/${b.user.id}`, b)).statusCode).toBe(204);
    const left = await queryRows(t.database.db, sql`SELECT 1 FROM member_activity WHERE conversation_id = ${g}::uuid AND user_id = ${b.user.id}::uuid`);
    expect(left).toEqual([]);
    expect(await strayCopies()).toEqual([]);
  });

  it('reads the indexes, not every membership, for a user in 3,000 conversations', async () => {
    const user = await register(t.app);
    const base = Date.now() - 10_000_000;
    const convs = Array.from({ length: 3000 }, (_, k) => ({
      id: newId(), kind: 'group' as const, name: `g${k}`, visibility: 'private' as const, memberCount: 1, lastSeq: 0,
      createdAt: new Date(base), lastActivityAt: new Date(base + k * 1000),
    }));
    for (let i = 0; i < convs.length; i += 500) await t.database.db.insert(conversations).values(convs.slice(i, i + 500));
    const rows = convs.map((c) => ({ conversationId: c.id, userId: user.user.id, role: 'owner' as const }));
    for (let i = 0; i < rows.length; i += 500) await t.database.db.insert(members).values(rows.slice(i, i + 500));
    await t.database.db.execute(sql`ANALYZE members`);
    await t.database.db.execute(sql`ANALYZE member_activity`);
    await t.database.db.execute(sql`ANALYZE conversations`);
    expect(await strayCopies()).toEqual([]);

    const repo = new ConversationsRepository(t.database.db);
    for (const after of [null, { at: convs[1500]!.lastActivityAt, id: convs[1500]!.id }]) {
      const plan = (await queryRows<{ 'QUERY PLAN': string }>(t.database.db, sql`EXPLAIN ${repo.inboxQuery(user.user.id, after, 51)}`)).map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index (Only )?Scan( Backward)? using member_activity_recent_idx/);
      expect(plan).toMatch(/member_activity_large_idx/);
      expect(plan).not.toMatch(/Seq Scan/);
      const page = await repo.listForUser(user.user.id, after, 51);
      const start = after ? 1499 : 2999;
      expect(page.map((c) => c.id)).toEqual(Array.from({ length: 51 }, (_, k) => convs[start - k]!.id));
    }
  });
});
