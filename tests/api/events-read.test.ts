/**
 * The events feed (GET /conversations/{id}/events) and read state (POST /conversations/{id}/read,
 * lastReadSeq, unreadCount, mentionCount, lastMessage, lastSeq) over REST.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/kit.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const PER_VIEWER_KEYS = ['unreadCount', 'mentionCount', 'lastReadSeq', 'peer', 'me'];

interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  attachments: unknown[];
  reactions: unknown[];
}
interface Conversation {
  id: string;
  lastSeq: number;
  lastReadSeq: number;
  unreadCount: number;
  mentionCount: number;
  lastMessage: Message | null;
}
interface ConversationEvent {
  type: string;
  conversationId: string;
  seq: number;
  createdAt: string;
  message?: Message;
  messageId?: string;
  member?: { user: { id: string }; role: string };
  conversation?: Record<string, unknown>;
}
interface EventPage { events: ConversationEvent[]; hasMore: boolean }

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

async function createGroup(
  owner: Account,
  members: Account[] = [],
  visibility: 'private' | 'public' = 'private',
): Promise<Conversation> {
  const res = await call('POST', '/groups', owner, {
    name: uniqueName('g'),
    visibility,
    memberIds: members.map((m) => m.user.id),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Conversation;
}

async function createDirect(a: Account, b: Account): Promise<Conversation> {
  const res = await call('POST', '/conversations/direct', a, { userId: b.user.id });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Conversation;
}

async function send(who: Account, conversationId: string, body: string): Promise<Message> {
  const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Message;
}

/** Sends `count` messages, `batch` at a time. */
async function sendMany(who: Account, conversationId: string, count: number, batch = 1): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 1; i <= count; i += batch) {
    const n = Math.min(batch, count - i + 1);
    out.push(...(await Promise.all(Array.from({ length: n }, (_, k) => send(who, conversationId, `m${i + k}`)))));
  }
  return out;
}

async function edit(who: Account, id: string, body: string): Promise<Message> {
  const res = await call('PATCH', `/messages/${id}`, who, { body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Message;
}

async function remove(who: Account, id: string): Promise<void> {
  const res = await call('DELETE', `/messages/${id}`, who);
  expect(res.statusCode, res.body).toBe(204);
}

async function addMember(admin: Account, groupId: string, who: Account): Promise<void> {
  const res = await call('POST', `/groups/${groupId}/members`, admin, { userId: who.user.id });
  expect(res.statusCode, res.body).toBe(201);
}

async function events(who: Account, conversationId: string, query = '?after=0&limit=100'): Promise<EventPage> {
  const res = await call('GET', `/conversations/${conversationId}/events${query}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as EventPage;
}

async function conversation(who: Account, id: string): Promise<Conversation> {
  const res = await call('GET', `/conversations/${id}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Conversation;
}

async function read(who: Account, conversationId: string, seq: number): Promise<void> {
  const res = await call('POST', `/conversations/${conversationId}/read`, who, { seq });
  expect(res.statusCode, res.body).toBe(204);
}

async function listed(who: Account, id: string): Promise<Conversation | undefined> {
  const res = await call('GET', '/conversations', who);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { conversations: Conversation[] }).conversations.find((c) => c.id === id);
}

/** Every key path in `value` whose last key is one of `keys`. */
function findKeys(value: unknown, keys: string[], path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => findKeys(v, keys, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(keys.includes(k) ? [`${path}.${k}`] : []),
    ...findKeys(v, keys, `${path}.${k}`),
  ]);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /conversations/{id}/events', () => {
  it('lists message.created events in ascending seq, each carrying its message', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const sent = [await send(owner!, group.id, 'a'), await send(member!, group.id, 'b'), await send(owner!, group.id, 'c')];

    const page = await events(member!, group.id);

    expect(page.hasMore).toBe(false);
    expect(page.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    page.events.forEach((e, i) => {
      expect(e).toMatchObject({ type: 'message.created', conversationId: group.id, seq: i + 1 });
      expect(e.createdAt).toMatch(ISO);
      expect(e.message).toStrictEqual(sent[i]);
    });
  });

  it('pages with after and limit, setting hasMore until the last event', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    await sendMany(owner!, group.id, 5);

    const first = await events(owner!, group.id, '?after=0&limit=2');
    const second = await events(owner!, group.id, '?after=2&limit=2');
    const last = await events(owner!, group.id, '?after=4&limit=2');
    const beyond = await events(owner!, group.id, '?after=5&limit=2');

    expect([first, second, last, beyond].map((p) => p.events.map((e) => e.seq))).toEqual([[1, 2], [3, 4], [5], []]);
    expect([first, second, last, beyond].map((p) => p.hasMore)).toEqual([true, true, false, false]);
  });

  it('gives member.joined its own seq between messages', async () => {
    const [owner, joiner] = await users(2);
    const group = await createGroup(owner!);
    await send(owner!, group.id, 'before');
    await addMember(owner!, group.id, joiner!);
    await send(joiner!, group.id, 'after');

    const page = await events(joiner!, group.id);

    expect(page.events.map((e) => [e.seq, e.type])).toEqual([[1, 'message.created'], [2, 'member.joined'], [3, 'message.created']]);
    expect(page.events[1]!.member?.user.id).toBe(joiner!.user.id);
  });

  it('replays an edited message with its new text and editedAt, never the old text, and gives message.updated its own seq', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'old wording 旧');
    const edited = await edit(owner!, sent.id, 'new wording 新');
    await send(owner!, group.id, 'later');

    const res = await call('GET', `/conversations/${group.id}/events?after=0`, owner!);
    const page = res.json() as EventPage;

    expect(res.statusCode).toBe(200);
    expect(page.events.map((e) => [e.seq, e.type])).toEqual([[1, 'message.created'], [2, 'message.updated'], [3, 'message.created']]);
    expect(page.events[0]!.message).toMatchObject({ id: sent.id, seq: 1, body: 'new wording 新', editedAt: edited.editedAt });
    expect(page.events[0]!.message!.editedAt).toMatch(ISO);
    expect(page.events[1]!.message).toMatchObject({ id: sent.id, seq: 1, body: 'new wording 新' });
    expect(res.body).not.toContain('old wording');
  });

  it('replays a deleted message with body "" and deletedAt, never its text, and gives message.deleted {messageId} its own seq', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const sent = await send(member!, group.id, 'secret first draft');
    await edit(member!, sent.id, 'secret second draft');
    await remove(member!, sent.id);

    const res = await call('GET', `/conversations/${group.id}/events?after=0`, owner!);
    const page = res.json() as EventPage;

    expect(res.statusCode).toBe(200);
    expect(page.events.map((e) => [e.seq, e.type])).toEqual([[1, 'message.created'], [2, 'message.updated'], [3, 'message.deleted']]);
    expect(page.events[0]!.message).toMatchObject({ id: sent.id, body: '', attachments: [], reactions: [] });
    expect(page.events[0]!.message!.deletedAt).toMatch(ISO);
    expect(page.events[2]).toMatchObject({ type: 'message.deleted', conversationId: group.id, seq: 3, messageId: sent.id });
    expect(res.body).not.toContain('secret');
    expect((await conversation(owner!, group.id)).lastSeq).toBe(3);
  });

  it('carries no per-viewer fields: every member sees the same events, without unreadCount, lastReadSeq, mentionCount, peer or me', async () => {
    const [owner, member, joiner] = await users(3);
    const group = await createGroup(owner!, [member!]);
    await send(owner!, group.id, 'hello');
    await read(member!, group.id, 1);
    await addMember(owner!, group.id, joiner!);
    const renamed = await call('PATCH', `/groups/${group.id}`, owner!, { name: uniqueName('renamed') });
    expect(renamed.statusCode, renamed.body).toBe(200);
    await send(member!, group.id, 'world');

    const asOwner = await events(owner!, group.id);
    const asMember = await events(member!, group.id);

    expect(asOwner.events.map((e) => e.type)).toEqual(['message.created', 'member.joined', 'conversation.updated', 'message.created']);
    expect(findKeys(asOwner, PER_VIEWER_KEYS)).toEqual([]);
    expect(asMember).toStrictEqual(asOwner);
  });

  it('carries no per-viewer fields in a direct conversation either', async () => {
    const [a, b] = await users(2);
    const direct = await createDirect(a!, b!);
    await send(a!, direct.id, 'hi b');
    await send(b!, direct.id, 'hi a');

    const asA = await events(a!, direct.id);
    const asB = await events(b!, direct.id);

    expect(asA.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(findKeys(asA, PER_VIEWER_KEYS)).toEqual([]);
    expect(asB).toStrictEqual(asA);
  });

  it('rejects limit=0, a negative or non-numeric after and an unknown parameter with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    for (const query of ['limit=0', 'limit=abc', 'after=-1', 'after=abc', 'since=1']) {
      expectError(await call('GET', `/conversations/${group.id}/events?${query}`, owner!), 400, 'validation_failed');
    }
  });

  it('returns 404 to a non-member of a private group or a direct conversation, and for an unknown id', async () => {
    const [a, b, outsider] = await users(3);
    const group = await createGroup(a!, [b!]);
    const direct = await createDirect(a!, b!);

    expectError(await call('GET', `/conversations/${group.id}/events`, outsider!), 404, 'not_found');
    expectError(await call('GET', `/conversations/${direct.id}/events`, outsider!), 404, 'not_found');
    expectError(await call('GET', `/conversations/${randomUUID()}/events`, a!), 404, 'not_found');
    expectError(await call('GET', '/conversations/nope/events', a!), 404, 'not_found');
  });
});

describe('POST /conversations/{id}/read and read state', () => {
  it('answers 204 and moves lastReadSeq forward, lowering unreadCount', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    await sendMany(owner!, group.id, 3);

    const before = await conversation(member!, group.id);
    const res = await call('POST', `/conversations/${group.id}/read`, member!, { seq: 2 });
    const after = await conversation(member!, group.id);

    expect(before).toMatchObject({ lastReadSeq: 0, unreadCount: 3, lastSeq: 3 });
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    expect(after).toMatchObject({ lastReadSeq: 2, unreadCount: 1, lastSeq: 3 });
  });

  it('never moves lastReadSeq backwards', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    await sendMany(owner!, group.id, 3);
    await read(member!, group.id, 3);

    await read(member!, group.id, 1);
    await read(member!, group.id, 0);

    expect(await conversation(member!, group.id)).toMatchObject({ lastReadSeq: 3, unreadCount: 0 });
  });

  it('clamps lastReadSeq to lastSeq, so later messages still count as unread', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    await sendMany(owner!, group.id, 2);

    await read(member!, group.id, 1000);
    expect(await conversation(member!, group.id)).toMatchObject({ lastReadSeq: 2, unreadCount: 0 });
    await send(owner!, group.id, 'new one');

    expect(await conversation(member!, group.id)).toMatchObject({ lastReadSeq: 2, unreadCount: 1, lastSeq: 3 });
  });

  it('moves the sender\'s own lastReadSeq to the message it sends', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    await sendMany(member!, group.id, 2);
    expect(await conversation(owner!, group.id)).toMatchObject({ lastReadSeq: 0, unreadCount: 2 });

    const mine = await send(owner!, group.id, 'my reply');

    expect(mine.seq).toBe(3);
    expect(await conversation(owner!, group.id)).toMatchObject({ lastReadSeq: 3, unreadCount: 0 });
    expect(await conversation(member!, group.id)).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
  });

  it('counts only messages as unread, not member.joined, conversation.updated or message.updated events', async () => {
    const [owner, member, joiner] = await users(3);
    const group = await createGroup(owner!, [member!]);
    const [first] = await sendMany(owner!, group.id, 2);
    await addMember(owner!, group.id, joiner!);
    const renamed = await call('PATCH', `/groups/${group.id}`, owner!, { name: uniqueName('renamed') });
    expect(renamed.statusCode, renamed.body).toBe(200);
    await edit(owner!, first!.id, 'edited');

    expect(await conversation(member!, group.id)).toMatchObject({ lastSeq: 5, lastReadSeq: 0, unreadCount: 2 });
    await read(member!, group.id, 2);
    expect(await conversation(member!, group.id)).toMatchObject({ lastReadSeq: 2, unreadCount: 0 });
  });

  it('lowers unreadCount when an unread message is deleted', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const sent = await sendMany(owner!, group.id, 3);
    expect((await conversation(member!, group.id)).unreadCount).toBe(3);

    await remove(owner!, sent[1]!.id);

    expect(await conversation(member!, group.id)).toMatchObject({ unreadCount: 2, lastSeq: 4 });
    expect((await listed(member!, group.id))?.unreadCount).toBe(2);
  });

  it('reports mentionCount 0 and the same read state in GET /conversations', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    await sendMany(owner!, group.id, 3);
    await read(member!, group.id, 1);

    const one = await conversation(member!, group.id);
    const inList = await listed(member!, group.id);

    expect(one).toMatchObject({ mentionCount: 0, unreadCount: 2, lastReadSeq: 1, lastSeq: 3 });
    expect(inList).toMatchObject({ mentionCount: 0, unreadCount: 2, lastReadSeq: 1, lastSeq: 3 });
  });

  it('rejects a negative, non-integer or missing seq and unknown fields with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    await send(owner!, group.id, 'x');
    await send(owner!, group.id, 'y');
    const before = await conversation(owner!, group.id);

    for (const payload of [{ seq: -1 }, { seq: 'abc' }, { seq: 1.5 }, {}, { seq: 2, extra: true }]) {
      expectError(await call('POST', `/conversations/${group.id}/read`, owner!, payload), 400, 'validation_failed');
    }
    expect((await conversation(owner!, group.id)).lastReadSeq).toBe(before.lastReadSeq);
  });

  it('returns 404 to a non-member of a private group or a direct conversation, and for an unknown id', async () => {
    const [a, b, outsider] = await users(3);
    const group = await createGroup(a!, [b!]);
    const direct = await createDirect(a!, b!);

    expectError(await call('POST', `/conversations/${group.id}/read`, outsider!, { seq: 0 }), 404, 'not_found');
    expectError(await call('POST', `/conversations/${direct.id}/read`, outsider!, { seq: 0 }), 404, 'not_found');
    expectError(await call('POST', `/conversations/${randomUUID()}/read`, a!, { seq: 0 }), 404, 'not_found');
  });
});

describe('lastMessage and lastSeq', () => {
  it('starts with lastMessage null and lastSeq 0 for a new conversation', async () => {
    const [a, b] = await users(2);
    const group = await createGroup(a!, [b!]);
    const direct = await createDirect(a!, b!);

    for (const c of [group, direct, await conversation(b!, group.id), await conversation(b!, direct.id)]) {
      expect(c).toMatchObject({ lastMessage: null, lastSeq: 0, lastReadSeq: 0, unreadCount: 0, mentionCount: 0 });
    }
  });

  it('shows the newest non-deleted message as lastMessage in GET /conversations/{id} and GET /conversations', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const first = await send(owner!, group.id, 'first');
    const second = await send(member!, group.id, 'second');

    expect((await conversation(owner!, group.id)).lastMessage).toMatchObject({ id: second.id, body: 'second' });
    expect((await listed(owner!, group.id))?.lastMessage).toMatchObject({ id: second.id, body: 'second' });

    await remove(member!, second.id);

    expect((await conversation(owner!, group.id)).lastMessage).toMatchObject({ id: first.id, body: 'first', deletedAt: null });
    expect((await listed(member!, group.id))?.lastMessage).toMatchObject({ id: first.id, body: 'first', deletedAt: null });

    await remove(owner!, first.id);

    expect((await conversation(owner!, group.id)).lastMessage).toBeNull();
    expect((await listed(member!, group.id))?.lastMessage).toBeNull();
  });

  it('shows the edited text in lastMessage', async () => {
    const [a, b] = await users(2);
    const direct = await createDirect(a!, b!);
    const sent = await send(a!, direct.id, 'draft');

    await edit(a!, sent.id, 'final 最终');

    expect((await conversation(b!, direct.id)).lastMessage).toMatchObject({ id: sent.id, body: 'final 最终' });
    expect((await listed(b!, direct.id))?.lastMessage).toMatchObject({ id: sent.id, body: 'final 最终' });
  });

  it('counts every event in lastSeq: messages, member.joined, edits and deletes', async () => {
    const [owner, joiner] = await users(2);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'one');
    expect((await conversation(owner!, group.id)).lastSeq).toBe(1);

    await addMember(owner!, group.id, joiner!);
    expect((await conversation(owner!, group.id)).lastSeq).toBe(2);
    await edit(owner!, sent.id, 'one, edited');
    expect((await conversation(owner!, group.id)).lastSeq).toBe(3);
    await remove(owner!, sent.id);

    expect((await conversation(owner!, group.id)).lastSeq).toBe(4);
    expect((await conversation(joiner!, group.id)).lastSeq).toBe(4);
    expect((await listed(joiner!, group.id))?.lastSeq).toBe(4);
    const feed = await events(joiner!, group.id);
    expect(feed.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });
});

describe('system lines from the events feed (types, before, by, changes)', () => {
  const SYSTEM = 'member.joined,member.left,member.updated,conversation.updated';

  it('filters by type and range, and says who changed what', async () => {
    const [owner, ann, bob] = (await users(3)) as [Account, Account, Account];
    const group = await createGroup(owner, [ann]);
    await send(owner, group.id, 'hello 你好');
    expect((await call('POST', `/groups/${group.id}/members`, owner, { userId: bob.user.id })).statusCode).toBe(201);
    await send(bob, group.id, 'hi');
    expect((await call('PATCH', `/groups/${group.id}/members/${bob.user.id}`, owner, { role: 'admin' })).statusCode).toBe(200);
    expect((await call('PATCH', `/groups/${group.id}`, owner, { name: '新名字 New name' })).statusCode).toBe(200);
    expect((await call('DELETE', `/groups/${group.id}/members/${ann.user.id}`, bob)).statusCode).toBe(204);
    expect((await call('DELETE', `/groups/${group.id}/members/${bob.user.id}`, bob)).statusCode).toBe(204);

    const page = await events(owner, group.id, `?types=${SYSTEM}`);
    expect(page.hasMore).toBe(false);
    const shapes = page.events.map((e) => {
      const x = e as ConversationEvent & { by?: string; previousRole?: string; reason?: string; changes?: unknown };
      return { type: x.type, user: x.member?.user.id, addedBy: (x.member as { addedBy?: string } | undefined)?.addedBy, by: x.by, previousRole: x.previousRole, reason: x.reason, changes: x.changes };
    });
    expect(shapes).toEqual([
      { type: 'member.joined', user: bob.user.id, addedBy: owner.user.id, by: undefined, previousRole: undefined, reason: undefined, changes: undefined },
      { type: 'member.updated', user: bob.user.id, addedBy: owner.user.id, by: owner.user.id, previousRole: 'member', reason: undefined, changes: undefined },
      { type: 'conversation.updated', user: undefined, addedBy: undefined, by: owner.user.id, previousRole: undefined, reason: undefined, changes: { name: '新名字 New name' } },
      { type: 'member.left', user: ann.user.id, addedBy: owner.user.id, by: bob.user.id, previousRole: undefined, reason: 'removed', changes: undefined },
      // Leaving by oneself: no reason, no "by".
      { type: 'member.left', user: bob.user.id, addedBy: owner.user.id, by: undefined, previousRole: undefined, reason: undefined, changes: undefined },
    ]);
    // A range: after the join, before the removal.
    const seqs = page.events.map((e) => e.seq);
    const ranged = await events(owner, group.id, `?types=${SYSTEM}&after=${seqs[0]}&before=${seqs[3]}`);
    expect(ranged.events.map((e) => e.seq)).toEqual(seqs.slice(1, 3));
    // Without the new parameters the feed is as before: every event.
    expect((await events(owner, group.id, '')).events.map((e) => e.type)).toEqual([
      'message.created', 'member.joined', 'message.created', 'member.updated', 'conversation.updated', 'member.left', 'member.left',
    ]);
    expectError(await call('GET', `/conversations/${group.id}/events?types=member joined`, owner), 400, 'validation_failed');
  });
});

describe('a conversation with 1005 messages', () => {
  let owner: Account;
  let member: Account;
  let group: Conversation;

  beforeAll(async () => {
    [owner, member] = (await users(2)) as [Account, Account];
    group = await createGroup(owner, [member]);
    await sendMany(owner, group.id, 1005, 20);
  }, 600_000);

  it('caps unreadCount at 1000 and lowers it only once fewer than 1000 remain unread', async () => {
    expect(await conversation(member, group.id)).toMatchObject({ lastSeq: 1005, lastReadSeq: 0, unreadCount: 1000 });
    expect((await listed(member, group.id))?.unreadCount).toBe(1000);

    await read(member, group.id, 4);
    expect((await conversation(member, group.id)).unreadCount).toBe(1000);
    await read(member, group.id, 6);
    expect((await conversation(member, group.id)).unreadCount).toBe(999);
  });

  it('clamps the events feed limit to 100', async () => {
    const page = await events(owner, group.id, '?after=0&limit=500');

    expect(page.events.map((e) => e.seq)).toEqual(range(1, 100));
    expect(page.hasMore).toBe(true);
  });
});
