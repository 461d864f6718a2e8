/**
 * The group commit's lanes: a conversation always falls in the same lane, batches of different
 * lanes never share a conversation (so they never queue behind each other's row locks), and a
 * lane runs at most two batches at once (a busy conversation still overlaps one commit with the
 * next). A fake database holds each batch until the test lets it go.
 */
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { MessageStoreQueue } from '../../src/db/repositories/message-store-queue.js';
import { waitFor } from '../helpers/kit.js';

interface Held {
  conversations: string[];
  release: () => void;
}

function fakeDb(): { db: Db; held: Held[] } {
  const held: Held[] = [];
  const db = {
    execute(query: { queryChunks: unknown[] }) {
      const json = query.queryChunks.find((c): c is string => typeof c === 'string' && c.startsWith('[{'))!;
      const items = JSON.parse(json) as { c: string }[];
      return new Promise((resolve) => {
        held.push({
          conversations: items.map((i) => i.c),
          release: () => resolve(items.map((_, k) => ({ o_seq: k + 1, o_code: null, o_detail: null, o_kind: 'group', o_members: [] }))),
        });
      });
    },
  } as unknown as Db;
  return { db, held };
}

const conv = (lane: number, n: number) => `00000000-0000-4000-8000-${String(n).padStart(8, '0')}${lane.toString(16).padStart(4, '0')}`;
const row = (conversationId: string, k: number) => ({
  id: `10000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
  conversationId,
  senderId: '20000000-0000-4000-8000-000000000001',
  clientMsgId: `c${k}`,
  body: `message ${k}`,
  replyToId: null,
  mentions: [],
  createdAt: new Date(),
});

const until = (pred: () => boolean): Promise<number> => waitFor(pred, 'the batches held', 2_000, 0);

describe('MessageStoreQueue lanes', () => {
  it('runs lanes side by side, never mixing them, and at most two batches of a lane at once', async () => {
    const { db, held } = fakeDb();
    const queue = new MessageStoreQueue(db, { concurrency: 4 });
    const a = conv(0, 1);
    const a2 = conv(4, 2); // same lane as a (4 % 4 = 0)
    const b = conv(1, 3);
    const done: Promise<unknown>[] = [];
    let k = 0;
    done.push(queue.store(row(a, k++)), queue.store(row(a2, k++)), queue.store(row(b, k++)));
    await until(() => held.length === 2);
    // One batch per lane, each with only its lane's conversations.
    expect(held.map((h) => h.conversations.sort())).toEqual(expect.arrayContaining([[a, a2].sort(), [b]]));
    // A second batch of lane 0 may run beside the first; a third waits.
    done.push(queue.store(row(a, k++)));
    await until(() => held.length === 3);
    done.push(queue.store(row(a, k++)));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(held.length).toBe(3);
    expect(queue.backlog).toBe(1);
    // When a lane-0 batch commits, the waiting one starts.
    held[0]!.release();
    await until(() => held.length === 4);
    expect(held[3]!.conversations).toEqual([a]);
    for (const h of held) h.release();
    const outcomes = (await Promise.all(done)) as { ok: boolean }[];
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });
});
