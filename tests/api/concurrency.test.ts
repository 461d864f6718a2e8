/**
 * Concurrent writers over REST: seqs stay gap-free and unique, clientMsgId stays idempotent,
 * and read state only moves forward when requests race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';

interface Message { id: string; conversationId: string; seq: number; senderId: string; body: string; clientMsgId: string | null }
interface Conversation { id: string; lastSeq: number; lastReadSeq: number; unreadCount: number }
interface ConversationEvent { type: string; seq: number; message?: Message; messageId?: string }

let testApp: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  testApp = await startTestApp();
  app = testApp.app;
});

afterAll(async () => {
  await testApp?.close();
});

const call = apiCaller(() => app);

function users(n: number): Promise<Account[]> {
  return Promise.all(Array.from({ length: n }, () => register(app)));
}

async function createGroup(owner: Account, members: Account[] = []): Promise<Conversation> {
  const res = await call('POST', '/groups', owner, { name: uniqueName('g'), memberIds: members.map((m) => m.user.id) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Conversation;
}

function sendRaw(who: Account, conversationId: string, payload: object): Promise<LightMyRequestResponse> {
  return call('POST', `/conversations/${conversationId}/messages`, who, payload);
}

async function send(who: Account, conversationId: string, body: string): Promise<Message> {
  const res = await sendRaw(who, conversationId, { body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Message;
}

async function allEvents(who: Account, conversationId: string): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
  const res = await call('GET', `/conversations/${conversationId}/events?after=0&limit=100`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { events: ConversationEvent[]; hasMore: boolean };
}

async function historyPage(who: Account, conversationId: string): Promise<Message[]> {
  const res = await call('GET', `/conversations/${conversationId}/messages?after=0&limit=100`, who);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { messages: Message[] }).messages;
}

async function conversation(who: Account, id: string): Promise<Conversation> {
  const res = await call('GET', `/conversations/${id}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Conversation;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sortedNumbers = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe('concurrent writes', () => {
  it('gives 50 parallel sends from 3 senders the seqs 1..50 exactly, with no gap and no duplicate', async () => {
    const senders = await users(3);
    const group = await createGroup(senders[0]!, senders.slice(1));

    const responses = await Promise.all(
      range(1, 50).map((i) =>
        sendRaw(senders[i % 3]!, group.id, { body: `parallel ${i}`, ...(i % 2 === 0 ? { clientMsgId: `k-${i}` } : {}) }),
      ),
    );

    expect(responses.map((r) => r.statusCode)).toEqual(range(1, 50).map(() => 201));
    const messages = responses.map((r) => r.json() as Message);
    expect(sortedNumbers(messages.map((m) => m.seq))).toEqual(range(1, 50));
    expect(new Set(messages.map((m) => m.id)).size).toBe(50);
    const feed = await allEvents(senders[1]!, group.id);
    expect(feed.events.map((e) => e.seq)).toEqual(range(1, 50));
    expect(feed.events.every((e) => e.type === 'message.created')).toBe(true);
    expect(feed.hasMore).toBe(false);
    const bySeq = new Map(messages.map((m) => [m.seq, m]));
    for (const e of feed.events) expect(e.message?.id).toBe(bySeq.get(e.seq)?.id);
    expect((await historyPage(senders[2]!, group.id)).map((m) => m.seq)).toEqual(range(1, 50));
    expect((await conversation(senders[0]!, group.id)).lastSeq).toBe(50);
  });

  it('keeps parallel sends into two conversations apart: each gets its own seqs 1..25', async () => {
    const [a, b] = await users(2);
    const first = await createGroup(a!, [b!]);
    const second = await createGroup(b!, [a!]);

    const sent = await Promise.all(
      range(1, 50).map((i) => send(i % 2 ? a! : b!, i <= 25 ? first.id : second.id, `m${i}`)),
    );

    expect(sortedNumbers(sent.filter((m) => m.conversationId === first.id).map((m) => m.seq))).toEqual(range(1, 25));
    expect(sortedNumbers(sent.filter((m) => m.conversationId === second.id).map((m) => m.seq))).toEqual(range(1, 25));
    expect((await allEvents(a!, first.id)).events.map((e) => e.seq)).toEqual(range(1, 25));
    expect((await allEvents(a!, second.id)).events.map((e) => e.seq)).toEqual(range(1, 25));
  });

  it('creates one message from 20 parallel sends with one clientMsgId: one 201, nineteen 200, all the same message', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);

    const responses = await Promise.all(
      range(1, 20).map((i) => sendRaw(member!, group.id, { body: `attempt ${i}`, clientMsgId: 'retry-me' })),
    );

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const messages = responses.map((r) => r.json() as Message);
    const created = messages[statuses.indexOf(201)]!;
    for (const m of messages) expect(m).toStrictEqual(created);
    expect(created).toMatchObject({ seq: 1, clientMsgId: 'retry-me', senderId: member!.user.id });
    const history = await historyPage(owner!, group.id);
    expect(history.map((m) => m.id)).toEqual([created.id]);
    expect((await allEvents(owner!, group.id)).events.map((e) => e.seq)).toEqual([1]);
    expect((await conversation(owner!, group.id)).lastSeq).toBe(1);
  });

  it('interleaves parallel edits and sends with no seq gap: every edit and send takes one seq', async () => {
    const [owner, b, c] = await users(3);
    const group = await createGroup(owner!, [b!, c!]);
    const originals: Message[] = [];
    for (let i = 1; i <= 5; i += 1) originals.push(await send(owner!, group.id, `original ${i}`));

    const sends = range(1, 15).map((i) => sendRaw([owner!, b!, c!][i % 3]!, group.id, { body: `new ${i}` }));
    const edits = originals.flatMap((m) => [1, 2].map((n) => call('PATCH', `/messages/${m.id}`, owner!, { body: `${m.body} edit ${n}` })));
    const [sendResults, editResults] = await Promise.all([Promise.all(sends), Promise.all(edits)]);

    expect(sendResults.map((r) => r.statusCode)).toEqual(sendResults.map(() => 201));
    expect(editResults.map((r) => r.statusCode)).toEqual(editResults.map(() => 200));
    for (const [i, r] of editResults.entries()) {
      expect((r.json() as Message).seq).toBe(originals[Math.floor(i / 2)]!.seq);
    }
    const sentSeqs = sendResults.map((r) => (r.json() as Message).seq);
    expect(new Set(sentSeqs).size).toBe(15);
    expect(sentSeqs.every((s) => s > 5 && s <= 30)).toBe(true);
    const feed = await allEvents(b!, group.id);
    expect(feed.events.map((e) => e.seq)).toEqual(range(1, 30));
    expect(feed.events.filter((e) => e.type === 'message.created')).toHaveLength(20);
    expect(feed.events.filter((e) => e.type === 'message.updated')).toHaveLength(10);
    expect((await conversation(c!, group.id)).lastSeq).toBe(30);
  });

  it('interleaves parallel deletes, edits and sends with no seq gap', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const originals: Message[] = [];
    for (let i = 1; i <= 10; i += 1) originals.push(await send(i % 2 ? owner! : member!, group.id, `original ${i}`));

    const toEdit = originals.slice(5).filter((m) => m.senderId === member!.user.id);
    const [deletes, edits, sends] = await Promise.all([
      Promise.all(originals.slice(0, 5).map((m) => call('DELETE', `/messages/${m.id}`, owner!))),
      Promise.all(toEdit.map((m) => call('PATCH', `/messages/${m.id}`, member!, { body: 'edited' }))),
      Promise.all(range(1, 10).map((i) => sendRaw(i % 2 ? owner! : member!, group.id, { body: `new ${i}` }))),
    ]);

    expect(deletes.map((r) => r.statusCode)).toEqual([204, 204, 204, 204, 204]);
    expect(edits.map((r) => r.statusCode)).toEqual(toEdit.map(() => 200));
    expect(sends.map((r) => r.statusCode)).toEqual(range(1, 10).map(() => 201));
    const total = 10 + 5 + toEdit.length + 10;
    const feed = await allEvents(member!, group.id);
    expect(feed.events.map((e) => e.seq)).toEqual(range(1, total));
    expect(feed.events.filter((e) => e.type === 'message.deleted').map((e) => e.messageId).sort()).toEqual(
      originals.slice(0, 5).map((m) => m.id).sort(),
    );
    expect((await conversation(owner!, group.id)).lastSeq).toBe(total);
  });

  it('gives member.joined events racing with sends their own seqs with no gap', async () => {
    const [owner, ...joiners] = await users(6);
    const group = await createGroup(owner!);

    const results = await Promise.all([
      ...joiners.map((j) => call('POST', `/groups/${group.id}/members`, owner!, { userId: j.user.id })),
      ...range(1, 10).map((i) => sendRaw(owner!, group.id, { body: `m${i}` })),
    ]);

    expect(results.map((r) => r.statusCode)).toEqual([...joiners.map(() => 201), ...range(1, 10).map(() => 201)]);
    const feed = await allEvents(owner!, group.id);
    expect(feed.events.map((e) => e.seq)).toEqual(range(1, 15));
    expect(feed.events.filter((e) => e.type === 'member.joined')).toHaveLength(5);
  });

  it('keeps the highest lastReadSeq when 20 reads race', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    for (let i = 1; i <= 20; i += 1) await send(owner!, group.id, `m${i}`);

    const seqs = range(1, 20).sort((a, b) => ((a * 7) % 20) - ((b * 7) % 20));
    const results = await Promise.all(seqs.map((seq) => call('POST', `/conversations/${group.id}/read`, member!, { seq })));

    expect(results.map((r) => r.statusCode)).toEqual(seqs.map(() => 204));
    expect(await conversation(member!, group.id)).toMatchObject({ lastReadSeq: 20, unreadCount: 0 });
  });

  it('moves the sender\'s lastReadSeq to its newest message when its sends race', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);

    const sent = await Promise.all(range(1, 20).map((i) => send(member!, group.id, `m${i}`)));

    expect(Math.max(...sent.map((m) => m.seq))).toBe(20);
    expect(await conversation(member!, group.id)).toMatchObject({ lastReadSeq: 20, unreadCount: 0 });
    expect(await conversation(owner!, group.id)).toMatchObject({ lastReadSeq: 0, unreadCount: 20 });
  });
});
