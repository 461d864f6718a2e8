/**
 * Group commit of sends (MessageStoreQueue, parley_store_messages): concurrent sends share
 * statements, and what one item of a batch does (refused, repeated, odd text) never touches the
 * others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { MessageStoreQueue } from '../../src/db/repositories/message-store-queue.js';
import type { Db } from '../../src/db/database.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
});
afterAll(async () => t?.close());

const call = apiCaller(() => app);

async function groupOf(owner: Account, others: Account[], visibility: 'public' | 'private' = 'private'): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: `batch ${Date.now()}`, visibility });
  expect(res.statusCode).toBe(201);
  const id = res.json().id as string;
  for (const o of others) expect((await call('POST', `/groups/${id}/members`, owner, { userId: o.user.id })).statusCode).toBeLessThan(300);
  return id;
}

/** True for the statement of a group commit (the queue's only SQL). */
const isBatch = (query: unknown): boolean =>
  ((query as { queryChunks?: { value?: unknown }[] }).queryChunks ?? []).some(
    (c) => Array.isArray(c.value) && c.value.some((v) => typeof v === 'string' && v.includes('parley_store_messages')),
  );

/** Counts the group-commit statements run while `run` runs. */
async function countBatches<T>(run: () => Promise<T>): Promise<{ result: T; batches: number }> {
  const db = t.database.db as unknown as { execute(q: unknown): Promise<unknown> };
  const execute = db.execute;
  let batches = 0;
  db.execute = function (this: unknown, q: unknown) {
    if (isBatch(q)) batches++;
    return execute.call(this, q);
  };
  try {
    return { result: await run(), batches };
  } finally {
    db.execute = execute;
  }
}

describe('group commit', () => {
  it('stores concurrent sends in fewer statements than sends, each acked once with gap-free seqs', async () => {
    const [owner, ...members] = await Promise.all(Array.from({ length: 6 }, () => register(app)));
    const group = await groupOf(owner!, members);
    const senders = [owner!, ...members];
    const { result: results, batches } = await countBatches(() =>
      Promise.all(Array.from({ length: 60 }, (_, i) => call('POST', `/conversations/${group}/messages`, senders[i % senders.length]!, { body: `burst ${i} 你好`, clientMsgId: `burst-${i}` }))),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 201));
    const seqs = results.map((r) => r.json().seq as number).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(60);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(60);
    // Each alone would be sixty statements; sends that arrive while one is stored share the next.
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(30);
    const history = (await call('GET', `/conversations/${group}/messages?limit=100`, owner!)).json().messages as { clientMsgId: string }[];
    expect(history.filter((m) => m.clientMsgId?.startsWith('burst-')).length).toBe(60);
  });

  it('refuses an outsider and a muted member inside a batch without failing the members sent with them', async () => {
    const [owner, member, muted, outsider] = await Promise.all(Array.from({ length: 4 }, () => register(app)));
    const group = await groupOf(owner!, [member!, muted!]);
    expect((await call('PUT', `/groups/${group}/mutes/${muted!.user.id}`, owner!, { until: new Date(Date.now() + 3_600_000).toISOString() })).statusCode).toBe(204);
    const sends = Array.from({ length: 30 }, (_, i) => {
      const who = [member!, muted!, outsider!][i % 3]!;
      return call('POST', `/conversations/${group}/messages`, who, { body: `mixed ${i}` }).then((r) => ({ who, r }));
    });
    const results = await Promise.all(sends);
    for (const { who, r } of results) {
      if (who === member) expect(r.statusCode).toBe(201);
      if (who === muted) expect([r.statusCode, r.json().error.code]).toEqual([403, 'muted']);
      if (who === outsider) expect([r.statusCode, r.json().error.code]).toEqual([404, 'not_found']);
    }
    const seqs = results.filter(({ who }) => who === member).map(({ r }) => r.json().seq as number).sort((a, b) => a - b);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
  });

  it('answers a repeated clientMsgId in the same batch with the one stored message', async () => {
    const [owner, peer] = await Promise.all([register(app), register(app)]);
    const direct = (await call('POST', '/conversations/direct', owner!, { userId: peer!.user.id })).json().id as string;
    const results = await Promise.all(Array.from({ length: 12 }, () => call('POST', `/conversations/${direct}/messages`, owner!, { body: 'once', clientMsgId: 'same-id' })));
    const ids = new Set(results.map((r) => r.json().id as string));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.statusCode === 201 || r.statusCode === 200)).toBe(true);
    const history = (await call('GET', `/conversations/${direct}/messages`, owner!)).json().messages as unknown[];
    expect(history).toHaveLength(1);
  });

  it('stores a body with a lone surrogate beside others in its batch', async () => {
    const [owner, peer] = await Promise.all([register(app), register(app)]);
    const direct = (await call('POST', '/conversations/direct', owner!, { userId: peer!.user.id })).json().id as string;
    const bodies = ['plain', 'half \ud83d of an emoji', '\udc00 low first', 'emoji 👋 whole', '中文 正常'];
    const results = await Promise.all(bodies.map((body) => call('POST', `/conversations/${direct}/messages`, owner!, { body })));
    expect(results.map((r) => r.statusCode)).toEqual(bodies.map(() => 201));
    // The ack shows what was stored: UTF-8 has no lone surrogate, U+FFFD stands for it.
    expect(results[1]!.json().body).toBe('half \ufffd of an emoji');
    expect(results[2]!.json().body).toBe('\ufffd low first');
    const stored = ((await call('GET', `/conversations/${direct}/messages`, owner!)).json().messages as { body: string }[]).map((m) => m.body);
    expect(stored).toContain('plain');
    expect(stored).toContain('emoji 👋 whole');
    expect(stored).toContain('中文 正常');
    expect(stored).toContain('half \ufffd of an emoji');
  });
});

describe('MessageStoreQueue', () => {
  const row = (i: number) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    conversationId: '00000000-0000-4000-8000-00000000000c',
    senderId: '00000000-0000-4000-8000-000000000005',
    clientMsgId: null,
    body: `b${i}`,
    replyToId: null,
    mentions: [],
    createdAt: new Date(),
  });

  it('batches what arrives while a batch is stored, and retries each item alone when a whole batch fails', async () => {
    const calls: number[] = [];
    let release: () => void = () => {};
    const firstHeld = new Promise<void>((r) => (release = r));
    let failNextBig = true;
    const db = {
      async execute(query: { queryChunks?: unknown[] }) {
        const json = JSON.stringify(query);
        const items = (json.match(/\\"id\\":/g) ?? []).length;
        calls.push(items);
        if (calls.length === 1) await firstHeld;
        if (items > 1 && failNextBig) {
          failNextBig = false;
          throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        }
        return { rows: Array.from({ length: items }, (_, k) => ({ o_seq: String(100 + calls.length * 10 + k), o_code: null, o_detail: null, o_kind: 'group', o_members: ['u1', 'u2'] })) };
      },
    } as unknown as Db;
    const queue = new MessageStoreQueue(db, { concurrency: 1 });
    const first = queue.store(row(1));
    // The first batch starts on the next turn of the event loop, and is held there.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const rest = [2, 3, 4].map((i) => queue.store(row(i)));
    release();
    const outcomes = await Promise.all([first, ...rest]);
    // One alone, then the three that waited as one batch, which failed: then each alone.
    expect(calls).toEqual([1, 3, 1, 1, 1]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    for (const o of outcomes) if (o.ok) expect(o.memberIds).toEqual(['u1', 'u2']);
  });

  it('rejects only the item whose statement fails alone', async () => {
    const db = {
      async execute(query: unknown) {
        if (JSON.stringify(query).includes('poison')) throw new Error('boom');
        return { rows: [{ o_seq: '7', o_code: null, o_detail: null, o_kind: 'direct', o_members: '{a,b}' }] };
      },
    } as unknown as Db;
    const queue = new MessageStoreQueue(db, { concurrency: 1 });
    const good = queue.store(row(1));
    const bad = queue.store({ ...row(2), body: 'poison' });
    await expect(bad).rejects.toThrow('boom');
    const ok = await good;
    expect(ok.ok && ok.memberIds).toEqual(['a', 'b']);
  });

  it('refuses sends past its backlog with 503 unavailable and a retry hint, and stores the ones it took', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const db = {
      async execute(query: unknown) {
        await held;
        const items = (JSON.stringify(query).match(/\\"id\\":/g) ?? []).length;
        return { rows: Array.from({ length: items }, (_, k) => ({ o_seq: String(k + 1), o_code: null, o_detail: null, o_kind: 'group', o_members: ['u1'] })) };
      },
    } as unknown as Db;
    const queue = new MessageStoreQueue(db, { concurrency: 1, maxWaiting: 3 });
    const taken = [1, 2, 3].map((i) => queue.store(row(i)));
    const refused = queue.store(row(4));
    await expect(refused).rejects.toMatchObject({ code: 'unavailable', status: 503, details: { retryAfter: 1 } });
    expect(queue.refused).toBe(1);
    release();
    expect((await Promise.all(taken)).every((o) => o.ok)).toBe(true);
    // Once the backlog is stored, sends are taken again.
    await expect(queue.store(row(5))).resolves.toMatchObject({ ok: true });
  });
});
