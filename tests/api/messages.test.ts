/**
 * Messages over REST (CONTRACT.md "Message", POST/GET /conversations/{id}/messages,
 * GET/PATCH/DELETE /messages/{id}): shape, seq, idempotent sends, validation, visibility,
 * permissions, tombstones and history paging.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/kit.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
// The contract's Message fields, and the threads' additions (docs/protocol.md).
const MESSAGE_KEYS = [
  'alsoInConversation', 'attachments', 'body', 'clientMsgId', 'conversationId', 'createdAt', 'deletedAt',
  'editedAt', 'id', 'mentions', 'reactions', 'replyTo', 'senderId', 'seq', 'thread', 'threadId',
];
const WORLD_TEXT = '你好，世界 👋🏽 𠜎𠜱';

interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string | null;
  body: string;
  replyTo: string | null;
  mentions: string[];
  attachments: unknown[];
  reactions: unknown[];
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}
interface Conversation { id: string; lastSeq: number }
interface MessagePage { messages: Message[]; hasMore: boolean }
interface ConversationEvent { type: string; seq: number; message?: Message }

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

async function send(who: Account, conversationId: string, body: string, extra: object = {}): Promise<Message> {
  const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Message;
}

/** Sends `count` messages `${prefix}${i}` (i from 1), `batch` at a time. */
async function sendMany(who: Account, conversationId: string, count: number, prefix = 'm', batch = 1): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 1; i <= count; i += batch) {
    const n = Math.min(batch, count - i + 1);
    const sent = await Promise.all(Array.from({ length: n }, (_, k) => send(who, conversationId, `${prefix}${i + k}`)));
    out.push(...sent);
  }
  return out;
}

async function history(who: Account, conversationId: string, query = ''): Promise<MessagePage> {
  const res = await call('GET', `/conversations/${conversationId}/messages${query}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as MessagePage;
}

async function getMessage(who: Account, id: string): Promise<Message> {
  const res = await call('GET', `/messages/${id}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Message;
}

async function allEvents(who: Account, conversationId: string): Promise<ConversationEvent[]> {
  const res = await call('GET', `/conversations/${conversationId}/events?after=0&limit=100`, who);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { events: ConversationEvent[] }).events;
}

async function makeAdmin(owner: Account, groupId: string, who: Account): Promise<void> {
  const res = await call('PATCH', `/groups/${groupId}/members/${who.user.id}`, owner, { role: 'admin' });
  expect(res.statusCode, res.body).toBe(200);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('POST /conversations/{id}/messages', () => {
  it('returns 201 with exactly the contract Message fields', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);

    const res = await call('POST', `/conversations/${group.id}/messages`, member!, { body: 'hello', clientMsgId: 'c-1' });

    expect(res.statusCode, res.body).toBe(201);
    const msg = res.json() as Message;
    expect(Object.keys(msg).sort()).toEqual(MESSAGE_KEYS);
    expect(msg).toStrictEqual({
      id: expect.any(String),
      conversationId: group.id,
      seq: 1,
      senderId: member!.user.id,
      clientMsgId: 'c-1',
      body: 'hello',
      replyTo: null,
      threadId: null,
      alsoInConversation: false,
      thread: null,
      mentions: [],
      attachments: [],
      reactions: [],
      createdAt: expect.stringMatching(ISO),
      editedAt: null,
      deletedAt: null,
    });
    expect(msg.id).not.toBe('');
  });

  it('sets clientMsgId to null when the client sends none', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    const msg = await send(owner!, group.id, 'no key');

    expect(msg.clientMsgId).toBeNull();
  });

  it('numbers messages from seq 1 in a new group and in a new direct conversation', async () => {
    const [a, b] = await users(2);
    const group = await createGroup(a!, [b!]);
    const direct = await createDirect(a!, b!);

    expect((await send(b!, group.id, 'first')).seq).toBe(1);
    expect((await send(a!, group.id, 'second')).seq).toBe(2);
    expect((await send(b!, direct.id, 'first')).seq).toBe(1);
    expect((await send(a!, direct.id, 'second')).seq).toBe(2);
  });

  it('counts a member.joined event in between: the next message skips its seq', async () => {
    const [owner, joiner] = await users(2);
    const group = await createGroup(owner!);

    expect((await send(owner!, group.id, 'before join')).seq).toBe(1);
    const join = await call('POST', `/groups/${group.id}/members`, owner!, { userId: joiner!.user.id });
    expect(join.statusCode, join.body).toBe(201);
    const after = await send(joiner!, group.id, 'after join');

    expect(after.seq).toBe(3);
  });

  it('returns 200 with the stored message when a clientMsgId repeats, even with a different body, and creates nothing', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const first = await send(owner!, group.id, 'original', { clientMsgId: 'dup-1' });

    const again = await call('POST', `/conversations/${group.id}/messages`, owner!, { body: 'changed', clientMsgId: 'dup-1' });

    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toStrictEqual(first);
    const page = await history(owner!, group.id);
    expect(page.messages.map((m) => m.id)).toEqual([first.id]);
    expect(page.messages[0]!.body).toBe('original');
    // No seq was spent on the repeat.
    expect((await send(owner!, group.id, 'next')).seq).toBe(2);
  });

  it('keys clientMsgId per sender and per conversation: another sender or conversation creates a new message', async () => {
    const [a, b] = await users(2);
    const group = await createGroup(a!, [b!]);
    const other = await createGroup(a!);

    const mine = await send(a!, group.id, 'from a', { clientMsgId: 'same-key' });
    const theirs = await send(b!, group.id, 'from b', { clientMsgId: 'same-key' });
    const elsewhere = await send(a!, other.id, 'elsewhere', { clientMsgId: 'same-key' });

    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.body).toBe('from b');
    expect(elsewhere.id).not.toBe(mine.id);
    expect(elsewhere.body).toBe('elsewhere');
    expect((await history(a!, group.id)).messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('rejects a body that is empty after trimming with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    for (const body of ['', '   ', ' \n\t \r\n ']) {
      const res = await call('POST', `/conversations/${group.id}/messages`, owner!, { body });
      expectError(res, 400, 'validation_failed');
    }
    expect((await history(owner!, group.id)).messages).toEqual([]);
  });

  it('rejects a missing or null body with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    expectError(await call('POST', `/conversations/${group.id}/messages`, owner!, {}), 400, 'validation_failed');
    expectError(await call('POST', `/conversations/${group.id}/messages`, owner!, { body: null }), 400, 'validation_failed');
  });

  it('accepts a body of 8000 characters and rejects 8001 characters with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const max = '好'.repeat(8000);

    const ok = await send(owner!, group.id, max);
    const tooLong = await call('POST', `/conversations/${group.id}/messages`, owner!, { body: '好'.repeat(8001) });

    expect(ok.body).toBe(max);
    expectError(tooLong, 400, 'validation_failed');
    expect((await history(owner!, group.id)).messages).toHaveLength(1);
  });

  it('rejects unknown body fields with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    const res = await call('POST', `/conversations/${group.id}/messages`, owner!, { body: 'hi', colour: 'red' });

    expectError(res, 400, 'validation_failed');
    expect((await history(owner!, group.id)).messages).toEqual([]);
  });

  it('rejects a clientMsgId longer than 64 characters with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    const ok = await send(owner!, group.id, 'ok', { clientMsgId: 'k'.repeat(64) });
    const res = await call('POST', `/conversations/${group.id}/messages`, owner!, { body: 'hi', clientMsgId: 'k'.repeat(65) });

    expect(ok.clientMsgId).toBe('k'.repeat(64));
    expectError(res, 400, 'validation_failed');
  });

  it('round-trips Chinese, emoji and astral-plane text exactly through send, get, history and events', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);

    const sent = await send(owner!, group.id, WORLD_TEXT, { clientMsgId: '键-🔑' });

    expect(sent.body).toBe(WORLD_TEXT);
    expect(sent.clientMsgId).toBe('键-🔑');
    expect((await getMessage(member!, sent.id)).body).toBe(WORLD_TEXT);
    expect((await history(member!, group.id)).messages[0]!.body).toBe(WORLD_TEXT);
    const created = (await allEvents(member!, group.id)).find((e) => e.type === 'message.created');
    expect(created?.message?.body).toBe(WORLD_TEXT);
  });

  it('stores replyTo when it names a message of the same conversation', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const original = await send(owner!, group.id, 'question');

    const reply = await send(member!, group.id, 'answer', { replyTo: original.id });

    expect(reply.replyTo).toBe(original.id);
    expect((await getMessage(owner!, reply.id)).replyTo).toBe(original.id);
  });

  it('rejects replyTo naming a message of another conversation, or an unknown message, with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const other = await createGroup(owner!);
    const elsewhere = await send(owner!, other.id, 'in the other group');

    for (const replyTo of [elsewhere.id, randomUUID(), 'not-an-id']) {
      const res = await call('POST', `/conversations/${group.id}/messages`, owner!, { body: 'reply', replyTo });
      expectError(res, 400, 'validation_failed');
    }
    expect((await history(owner!, group.id)).messages).toEqual([]);
  });

  it('keeps replyTo on a reply after the original is deleted', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const original = await send(owner!, group.id, 'to be deleted');
    const reply = await send(member!, group.id, 'reply', { replyTo: original.id });

    const del = await call('DELETE', `/messages/${original.id}`, owner!);

    expect(del.statusCode, del.body).toBe(204);
    expect((await getMessage(member!, reply.id)).replyTo).toBe(original.id);
    const inHistory = (await history(member!, group.id)).messages.find((m) => m.id === reply.id);
    expect(inHistory?.replyTo).toBe(original.id);
  });

  it('returns 404 to a non-member of a private group on send and history', async () => {
    const [owner, outsider] = await users(2);
    const group = await createGroup(owner!, [], 'private');
    await send(owner!, group.id, 'secret');

    expectError(await call('POST', `/conversations/${group.id}/messages`, outsider!, { body: 'let me in' }), 404, 'not_found');
    expectError(await call('GET', `/conversations/${group.id}/messages`, outsider!), 404, 'not_found');
    expect((await history(owner!, group.id)).messages).toHaveLength(1);
  });

  it('returns 404 to a non-member of a direct conversation on send and history', async () => {
    const [a, b, outsider] = await users(3);
    const direct = await createDirect(a!, b!);
    await send(a!, direct.id, 'just us');

    expectError(await call('POST', `/conversations/${direct.id}/messages`, outsider!, { body: 'hi' }), 404, 'not_found');
    expectError(await call('GET', `/conversations/${direct.id}/messages`, outsider!), 404, 'not_found');
  });

  it('returns 403 forbidden to a non-member of a public group on send and history', async () => {
    const [owner, outsider] = await users(2);
    const group = await createGroup(owner!, [], 'public');
    await send(owner!, group.id, 'public talk');

    expectError(await call('POST', `/conversations/${group.id}/messages`, outsider!, { body: 'hi' }), 403, 'forbidden');
    expectError(await call('GET', `/conversations/${group.id}/messages`, outsider!), 403, 'forbidden');
    expect((await history(owner!, group.id)).messages).toHaveLength(1);
  });

  it('returns 404 for a malformed or unknown conversation id', async () => {
    const [owner] = await users(1);

    for (const id of ['nope', randomUUID()]) {
      expectError(await call('POST', `/conversations/${id}/messages`, owner!, { body: 'hi' }), 404, 'not_found');
      expectError(await call('GET', `/conversations/${id}/messages`, owner!), 404, 'not_found');
    }
  });

  it('returns 401 unauthorized without a token', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    expectError(await call('POST', `/conversations/${group.id}/messages`, null, { body: 'hi' }), 401, 'unauthorized');
    expectError(await call('GET', `/conversations/${group.id}/messages`, null), 401, 'unauthorized');
  });
});

describe('GET /messages/{id}', () => {
  it('returns the message to any member of its conversation', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const sent = await send(owner!, group.id, 'visible');

    const res = await call('GET', `/messages/${sent.id}`, member!);

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toStrictEqual(sent);
  });

  it('returns 404 for a malformed or unknown message id', async () => {
    const [owner] = await users(1);

    for (const id of ['abc', '1', randomUUID()]) {
      expectError(await call('GET', `/messages/${id}`, owner!), 404, 'not_found');
    }
  });

  it('returns 404 to a non-member of a private group or a direct conversation', async () => {
    const [a, b, outsider] = await users(3);
    const group = await createGroup(a!, [b!]);
    const direct = await createDirect(a!, b!);
    const inGroup = await send(a!, group.id, 'group secret');
    const inDirect = await send(a!, direct.id, 'direct secret');

    expectError(await call('GET', `/messages/${inGroup.id}`, outsider!), 404, 'not_found');
    expectError(await call('GET', `/messages/${inDirect.id}`, outsider!), 404, 'not_found');
  });
});

describe('PATCH /messages/{id}', () => {
  it('lets the sender edit: returns the Message with the new body and editedAt set, seq and createdAt unchanged', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const sent = await send(member!, group.id, 'typo');

    const res = await call('PATCH', `/messages/${sent.id}`, member!, { body: 'fixed ✅' });

    expect(res.statusCode, res.body).toBe(200);
    const edited = res.json() as Message;
    expect(Object.keys(edited).sort()).toEqual(MESSAGE_KEYS);
    expect(edited).toMatchObject({
      id: sent.id,
      seq: sent.seq,
      senderId: member!.user.id,
      body: 'fixed ✅',
      createdAt: sent.createdAt,
      deletedAt: null,
    });
    expect(edited.editedAt).toMatch(ISO);
    expect((await getMessage(owner!, sent.id)).body).toBe('fixed ✅');
    expect((await history(owner!, group.id)).messages.map((m) => m.body)).toEqual(['fixed ✅']);
  });

  it('forbids another member, even the group owner, from editing: 403 forbidden and the body is unchanged', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const sent = await send(member!, group.id, 'mine');

    expectError(await call('PATCH', `/messages/${sent.id}`, owner!, { body: 'hijacked' }), 403, 'forbidden');

    const stored = await getMessage(member!, sent.id);
    expect(stored.body).toBe('mine');
    expect(stored.editedAt).toBeNull();
  });

  it('forbids the peer of a direct conversation from editing with 403 forbidden', async () => {
    const [a, b] = await users(2);
    const direct = await createDirect(a!, b!);
    const sent = await send(a!, direct.id, 'from a');

    expectError(await call('PATCH', `/messages/${sent.id}`, b!, { body: 'from b' }), 403, 'forbidden');
    expect((await getMessage(a!, sent.id)).body).toBe('from a');
  });

  it('rejects an edit to an empty-after-trimming or 8001-character body with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'keep me');

    expectError(await call('PATCH', `/messages/${sent.id}`, owner!, { body: '  \n ' }), 400, 'validation_failed');
    expectError(await call('PATCH', `/messages/${sent.id}`, owner!, { body: '好'.repeat(8001) }), 400, 'validation_failed');
    const ok = await call('PATCH', `/messages/${sent.id}`, owner!, { body: '好'.repeat(8000) });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('rejects unknown body fields on an edit with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'keep me');

    expectError(await call('PATCH', `/messages/${sent.id}`, owner!, { body: 'new', pinned: true }), 400, 'validation_failed');
    expect((await getMessage(owner!, sent.id)).body).toBe('keep me');
  });

  it('answers 409 conflict to an edit of a deleted message', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'gone soon');
    expect((await call('DELETE', `/messages/${sent.id}`, owner!)).statusCode).toBe(204);

    expectError(await call('PATCH', `/messages/${sent.id}`, owner!, { body: 'revived' }), 409, 'conflict');
    expect((await getMessage(owner!, sent.id)).body).toBe('');
  });

  it('returns 404 for a malformed or unknown message id and to a non-member of a private group', async () => {
    const [owner, outsider] = await users(2);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'private');

    expectError(await call('PATCH', '/messages/abc', owner!, { body: 'x' }), 404, 'not_found');
    expectError(await call('PATCH', `/messages/${randomUUID()}`, owner!, { body: 'x' }), 404, 'not_found');
    expectError(await call('PATCH', `/messages/${sent.id}`, outsider!, { body: 'x' }), 404, 'not_found');
  });
});

describe('DELETE /messages/{id}', () => {
  it('lets the sender delete (204); the message keeps its seq with body "", deletedAt set, no attachments or reactions', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    await send(owner!, group.id, 'one');
    const doomed = await send(member!, group.id, 'two');
    await send(owner!, group.id, 'three');

    const res = await call('DELETE', `/messages/${doomed.id}`, member!);

    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    const stored = await getMessage(owner!, doomed.id);
    expect(Object.keys(stored).sort()).toEqual(MESSAGE_KEYS);
    expect(stored).toMatchObject({ id: doomed.id, seq: 2, senderId: member!.user.id, body: '', attachments: [], reactions: [] });
    expect(stored.deletedAt).toMatch(ISO);
    const page = await history(owner!, group.id);
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(page.messages[1]).toMatchObject({ id: doomed.id, body: '', attachments: [], reactions: [] });
    expect(page.messages[1]!.deletedAt).toMatch(ISO);
  });

  it('lets the group owner delete someone else\'s message', async () => {
    const [owner, member] = await users(2);
    const group = await createGroup(owner!, [member!]);
    const sent = await send(member!, group.id, 'moderate me');

    expect((await call('DELETE', `/messages/${sent.id}`, owner!)).statusCode).toBe(204);
    expect((await getMessage(member!, sent.id)).deletedAt).toMatch(ISO);
  });

  it('lets a group admin delete someone else\'s message', async () => {
    const [owner, admin, member] = await users(3);
    const group = await createGroup(owner!, [admin!, member!]);
    await makeAdmin(owner!, group.id, admin!);
    const sent = await send(member!, group.id, 'moderate me');

    expect((await call('DELETE', `/messages/${sent.id}`, admin!)).statusCode).toBe(204);
    expect((await getMessage(member!, sent.id)).deletedAt).toMatch(ISO);
  });

  it('forbids a plain member from deleting someone else\'s message: 403 forbidden and the message stays', async () => {
    const [owner, member, other] = await users(3);
    const group = await createGroup(owner!, [member!, other!]);
    const byOwner = await send(owner!, group.id, 'owner says');
    const byOther = await send(other!, group.id, 'other says');

    expectError(await call('DELETE', `/messages/${byOwner.id}`, member!), 403, 'forbidden');
    expectError(await call('DELETE', `/messages/${byOther.id}`, member!), 403, 'forbidden');
    expect((await getMessage(owner!, byOwner.id)).deletedAt).toBeNull();
    expect((await getMessage(owner!, byOther.id)).body).toBe('other says');
  });

  it('lets only the sender delete in a direct conversation: the peer gets 403 forbidden', async () => {
    const [a, b] = await users(2);
    const direct = await createDirect(a!, b!);
    const sent = await send(a!, direct.id, 'from a');

    expectError(await call('DELETE', `/messages/${sent.id}`, b!), 403, 'forbidden');
    expect((await getMessage(b!, sent.id)).deletedAt).toBeNull();
    expect((await call('DELETE', `/messages/${sent.id}`, a!)).statusCode).toBe(204);
    expect((await getMessage(b!, sent.id)).deletedAt).toMatch(ISO);
  });

  it('answers 204 again when an already deleted message is deleted', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'twice');

    expect((await call('DELETE', `/messages/${sent.id}`, owner!)).statusCode).toBe(204);
    const first = await getMessage(owner!, sent.id);
    const again = await call('DELETE', `/messages/${sent.id}`, owner!);

    expect(again.statusCode, again.body).toBe(204);
    expect(await getMessage(owner!, sent.id)).toStrictEqual(first);
  });

  it('returns 404 for a malformed or unknown message id and to a non-member of a private group', async () => {
    const [owner, outsider] = await users(2);
    const group = await createGroup(owner!);
    const sent = await send(owner!, group.id, 'private');

    expectError(await call('DELETE', '/messages/abc', owner!), 404, 'not_found');
    expectError(await call('DELETE', `/messages/${randomUUID()}`, owner!), 404, 'not_found');
    expectError(await call('DELETE', `/messages/${sent.id}`, outsider!), 404, 'not_found');
    expect((await getMessage(owner!, sent.id)).deletedAt).toBeNull();
  });
});

describe('GET /conversations/{id}/messages (history)', () => {
  it('returns the newest page in ascending seq when no cursor is given', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    await sendMany(owner!, group.id, 25);

    const newest = await history(owner!, group.id, '?limit=10');
    const all = await history(owner!, group.id);

    expect(newest.messages.map((m) => m.seq)).toEqual(range(16, 25));
    expect(newest.messages.map((m) => m.body)).toEqual(range(16, 25).map((i) => `m${i}`));
    expect(newest.hasMore).toBe(true);
    expect(all.messages.map((m) => m.seq)).toEqual(range(1, 25));
    expect(all.hasMore).toBe(false);
  });

  it('returns an empty page without more for a conversation with no messages', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    expect(await history(owner!, group.id)).toStrictEqual({ messages: [], hasMore: false });
  });

  it('walks 25 messages backwards with before and limit=10, returning every message exactly once', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const sent = await sendMany(owner!, group.id, 25);

    const pages: MessagePage[] = [await history(owner!, group.id, '?limit=10')];
    while (pages.at(-1)!.hasMore && pages.length < 10) {
      const oldest = pages.at(-1)!.messages[0]!.seq;
      pages.push(await history(owner!, group.id, `?before=${oldest}&limit=10`));
    }

    expect(pages.map((p) => p.messages.map((m) => m.seq))).toEqual([range(16, 25), range(6, 15), range(1, 5)]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    const ids = pages.reverse().flatMap((p) => p.messages.map((m) => m.id));
    expect(ids).toEqual(sent.map((m) => m.id));
  });

  it('walks 25 messages forwards with after and limit=10, returning every message exactly once', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    const sent = await sendMany(owner!, group.id, 25);

    const pages: MessagePage[] = [await history(owner!, group.id, '?after=0&limit=10')];
    while (pages.at(-1)!.hasMore && pages.length < 10) {
      const newest = pages.at(-1)!.messages.at(-1)!.seq;
      pages.push(await history(owner!, group.id, `?after=${newest}&limit=10`));
    }

    expect(pages.map((p) => p.messages.map((m) => m.seq))).toEqual([range(1, 10), range(11, 20), range(21, 25)]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    expect(pages.flatMap((p) => p.messages.map((m) => m.id))).toEqual(sent.map((m) => m.id));
  });

  it('lists only messages: seqs taken by other events are skipped', async () => {
    const [owner, joiner] = await users(2);
    const group = await createGroup(owner!);
    await send(owner!, group.id, 'one');
    const join = await call('POST', `/groups/${group.id}/members`, owner!, { userId: joiner!.user.id });
    expect(join.statusCode, join.body).toBe(201);
    await send(joiner!, group.id, 'three');

    const page = await history(joiner!, group.id);

    expect(page.messages.map((m) => [m.seq, m.body])).toEqual([[1, 'one'], [3, 'three']]);
  });

  it('clamps limit to 100: with 105 messages limit=500 returns the newest 100', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    await sendMany(owner!, group.id, 105, 'm', 15);

    const page = await history(owner!, group.id, '?limit=500');

    expect(page.messages.map((m) => m.seq)).toEqual(range(6, 105));
    expect(page.hasMore).toBe(true);
  }, 120_000);

  it('rejects limit=0, a negative or non-numeric cursor with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);
    await send(owner!, group.id, 'x');

    for (const query of ['limit=0', 'limit=-5', 'limit=abc', 'before=-1', 'before=abc', 'after=-1', 'after=abc', 'before=1.5']) {
      const res = await call('GET', `/conversations/${group.id}/messages?${query}`, owner!);
      expectError(res, 400, 'validation_failed');
    }
  });

  it('rejects an unknown query parameter with 400 validation_failed', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    expectError(await call('GET', `/conversations/${group.id}/messages?since=3`, owner!), 400, 'validation_failed');
  });

  it('attaches details to validation_failed errors', async () => {
    const [owner] = await users(1);
    const group = await createGroup(owner!);

    for (const res of [
      await call('GET', `/conversations/${group.id}/messages?limit=0`, owner!),
      await call('POST', `/conversations/${group.id}/messages`, owner!, { body: '   ' }),
    ]) {
      expectError(res, 400, 'validation_failed');
      expect(res.json().error).toHaveProperty('details');
    }
  });
});
