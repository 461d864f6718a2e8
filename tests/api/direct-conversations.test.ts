/**
 * Foundation REST rows for direct conversations and the conversation list: POST
 * /conversations/direct, their privacy, and GET /conversations ordered by activity (CONTRACT.md).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Conversation, Message, User } from '../../src/protocol/index.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { expectError, sleep } from '../helpers/kit.js';

const CONVERSATION_KEYS = [
  'createdAt',
  'description',
  'historyVisibility',
  'id',
  'kind',
  'lastMessage',
  'lastReadSeq',
  'lastSeq',
  'memberCount',
  'mentionAllPolicy',
  'mentionCount',
  'muted',
  'name',
  'notifyLevel',
  'peer',
  'postingPolicy',
  'retentionDays',
  'unreadCount',
  'visibility',
];
const USER_KEYS = ['avatarUrl', 'bot', 'createdAt', 'displayName', 'id', 'lastSeenAt', 'online', 'siteAdmin', 'username'];
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

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

function expectOk(res: LightMyRequestResponse, status = 200): void {
  expect(res.statusCode, `${res.statusCode} ${res.body}`).toBe(status);
}

/** Asserts `peer` is the full User of `account`. */
function expectPeer(peer: User | null, account: Account): void {
  expect(peer).not.toBeNull();
  expect(Object.keys(peer!).sort()).toEqual(USER_KEYS);
  expect(peer).toMatchObject({
    id: account.user.id,
    username: account.user.username,
    displayName: account.user.displayName,
    avatarUrl: null,
  });
  expect(peer!.createdAt).toMatch(ISO_WITH_ZONE);
}

function openDirect(from: Account, to: Account | string): Promise<LightMyRequestResponse> {
  return call('POST', '/conversations/direct', from.token, { userId: typeof to === 'string' ? to : to.user.id });
}

async function createDirect(from: Account, to: Account): Promise<Conversation> {
  const res = await openDirect(from, to);
  expect([200, 201], res.body).toContain(res.statusCode);
  return res.json() as Conversation;
}

async function send(from: Account, conversationId: string, body: string): Promise<Message> {
  const res = await call('POST', `/conversations/${conversationId}/messages`, from.token, { body });
  expectOk(res, 201);
  return res.json() as Message;
}

/** Follows nextCursor through GET /conversations; returns each page. */
async function conversationPages(account: Account, limit?: number): Promise<Conversation[][]> {
  const pages: Conversation[][] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams();
    if (limit !== undefined) params.set('limit', String(limit));
    if (cursor !== null) params.set('cursor', cursor);
    const query = params.toString();
    const res = await call('GET', `/conversations${query ? `?${query}` : ''}`, account.token);
    expectOk(res);
    const body = res.json() as { conversations: Conversation[]; nextCursor: string | null };
    expect(Object.keys(body).sort()).toEqual(['conversations', 'nextCursor']);
    pages.push(body.conversations);
    cursor = body.nextCursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor !== null);
  return pages;
}

describe('POST /conversations/direct', () => {
  it('creates a direct conversation: 201, kind "direct", no name or visibility, peer = the other user', async () => {
    const [a, b] = await Promise.all([register(app), register(app)]);
    const res = await openDirect(a, b);
    expectOk(res, 201);
    const conversation = res.json() as Conversation;
    expect(Object.keys(conversation).sort()).toEqual(CONVERSATION_KEYS);
    expect(conversation).toMatchObject({
      kind: 'direct',
      name: null,
      description: null,
      visibility: null,
      memberCount: 2,
      lastSeq: 0,
      lastMessage: null,
      unreadCount: 0,
      mentionCount: 0,
      lastReadSeq: 0,
    });
    expect(conversation.createdAt).toMatch(ISO_WITH_ZONE);
    expectPeer(conversation.peer, b);
  });

  it('returns the existing conversation with 200 on a repeat, and to the other user with them as peer', async () => {
    const [a, b] = await Promise.all([register(app), register(app)]);
    const first = await openDirect(a, b);
    expectOk(first, 201);
    const id = (first.json() as Conversation).id;

    const again = await openDirect(a, b);
    expectOk(again, 200);
    expect((again.json() as Conversation).id).toBe(id);
    expectPeer((again.json() as Conversation).peer, b);

    const fromOtherSide = await openDirect(b, a);
    expectOk(fromOtherSide, 200);
    const seenByB = fromOtherSide.json() as Conversation;
    expect(seenByB.id).toBe(id);
    expect(seenByB.kind).toBe('direct');
    expectPeer(seenByB.peer, a);
  });

  it('is readable by both members through GET /conversations/{id}, each seeing the other as peer', async () => {
    const [a, b] = await Promise.all([register(app), register(app)]);
    const conversation = await createDirect(a, b);
    const byA = await call('GET', `/conversations/${conversation.id}`, a.token);
    expectOk(byA);
    expect(byA.json()).toMatchObject({ id: conversation.id, kind: 'direct', memberCount: 2 });
    expectPeer((byA.json() as Conversation).peer, b);
    const byB = await call('GET', `/conversations/${conversation.id}`, b.token);
    expectOk(byB);
    expectPeer((byB.json() as Conversation).peer, a);
  });

  it('answers an unknown user with 404 not_found', async () => {
    const a = await register(app);
    expectError(await openDirect(a, randomUUID()), 404, 'not_found');
  });

  it('refuses a direct conversation with yourself: 400 validation_failed', async () => {
    const a = await register(app);
    expectError(await openDirect(a, a), 400, 'validation_failed');
  });

  it('answers a malformed user id with a 400 or 404 error, never a 500', async () => {
    const a = await register(app);
    const res = await openDirect(a, 'not-a-user-id');
    expect([400, 404], res.body).toContain(res.statusCode);
    expectError(res, res.statusCode, res.statusCode === 400 ? 'validation_failed' : 'not_found');
  });

  it.each([
    ['a missing userId', {}],
    ['a numeric userId', { userId: 7 }],
    ['an unknown field', { userId: randomUUID(), note: 'hi' }],
  ])('rejects %s with 400 validation_failed', async (_label, body) => {
    const a = await register(app);
    expectError(await call('POST', '/conversations/direct', a.token, body), 400, 'validation_failed');
  });

  it('requires a signed-in user: 401 unauthorized', async () => {
    const b = await register(app);
    expectError(await call('POST', '/conversations/direct', undefined, { userId: b.user.id }), 401, 'unauthorized');
  });

  it('creates exactly one conversation from 20 parallel requests from both sides', async () => {
    const [a, b] = await Promise.all([register(app), register(app)]);
    const results = await Promise.all(
      [...Array(20).keys()].map((i) => (i % 2 === 0 ? openDirect(a, b) : openDirect(b, a))),
    );
    for (const r of results) expect([200, 201], r.body).toContain(r.statusCode);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    const ids = new Set(results.map((r) => (r.json() as Conversation).id));
    expect(ids.size).toBe(1);

    for (const [me, other] of [[a, b], [b, a]] as const) {
      const directs = (await conversationPages(me)).flat().filter((c) => c.kind === 'direct');
      expect(directs).toHaveLength(1);
      expect(directs[0]?.id).toBe([...ids][0]);
      expectPeer(directs[0]!.peer, other);
    }
  });
});

describe('privacy of a direct conversation', () => {
  it('is invisible to a third user: 404 on the conversation, its messages and its events', async () => {
    const [a, b, c] = await Promise.all([register(app), register(app), register(app)]);
    const conversation = await createDirect(a, b);
    await send(a, conversation.id, 'just between us');
    expectError(await call('GET', `/conversations/${conversation.id}`, c.token), 404, 'not_found');
    expectError(await call('GET', `/conversations/${conversation.id}/messages`, c.token), 404, 'not_found');
    expectError(await call('GET', `/conversations/${conversation.id}/events?after=0`, c.token), 404, 'not_found');
    expectError(await call('POST', `/conversations/${conversation.id}/messages`, c.token, { body: 'let me in' }), 404, 'not_found');
    expect((await conversationPages(c)).flat().map((x) => x.id)).not.toContain(conversation.id);
  });

  it('is not a group: GET /groups/{directId} is 404 not_found, even for its members', async () => {
    const [a, b, c] = await Promise.all([register(app), register(app), register(app)]);
    const conversation = await createDirect(a, b);
    for (const who of [a, b, c]) expectError(await call('GET', `/groups/${conversation.id}`, who.token), 404, 'not_found');
    expectError(await call('GET', `/groups/${conversation.id}/members`, a.token), 404, 'not_found');
  });

  it('cannot be joined, extended or changed through the group routes: 404 not_found', async () => {
    const [a, b, c] = await Promise.all([register(app), register(app), register(app)]);
    const conversation = await createDirect(a, b);
    expectError(await call('POST', `/groups/${conversation.id}/members`, c.token, { userId: c.user.id }), 404, 'not_found');
    expectError(await call('POST', `/groups/${conversation.id}/members`, a.token, { userId: c.user.id }), 404, 'not_found');
    expectError(await call('PATCH', `/groups/${conversation.id}`, a.token, { name: 'now a group' }), 404, 'not_found');
    expectError(await call('DELETE', `/groups/${conversation.id}`, a.token), 404, 'not_found');
    expectError(await call('DELETE', `/groups/${conversation.id}/members/${b.user.id}`, a.token), 404, 'not_found');

    const after = await call('GET', `/conversations/${conversation.id}`, a.token);
    expectOk(after);
    expect(after.json()).toMatchObject({ kind: 'direct', name: null, memberCount: 2 });
    expectError(await call('GET', `/conversations/${conversation.id}`, c.token), 404, 'not_found');
  });

  it('never appears in GET /groups', async () => {
    const [a, b] = await Promise.all([register(app), register(app)]);
    const conversation = await createDirect(a, b);
    for (const query of ['', '?scope=mine', '?scope=public']) {
      const res = await call('GET', `/groups${query}`, a.token);
      expectOk(res);
      expect((res.json() as { groups: Conversation[] }).groups.map((g) => g.id)).not.toContain(conversation.id);
    }
  });
});

describe('GET /conversations', () => {
  it('lists only the caller’s conversations, groups and direct chats alike, as Conversations', async () => {
    const [a, b, c] = await Promise.all([register(app), register(app), register(app)]);
    const direct = await createDirect(a, b);
    const group = await call('POST', '/groups', a.token, { name: 'team' });
    expectOk(group, 201);
    const groupId = (group.json() as Conversation).id;
    const elsewhere = await createDirect(b, c);

    const listed = (await conversationPages(a)).flat();
    for (const conversation of listed) expect(Object.keys(conversation).sort()).toEqual(CONVERSATION_KEYS);
    expect(listed.map((x) => x.id).sort()).toEqual([direct.id, groupId].sort());
    expect(listed.map((x) => x.id)).not.toContain(elsewhere.id);
    const directEntry = listed.find((x) => x.id === direct.id)!;
    expect(directEntry.kind).toBe('direct');
    expectPeer(directEntry.peer, b);
    expect(listed.find((x) => x.id === groupId)).toMatchObject({ kind: 'group', peer: null, name: 'team' });
  });

  it('orders by newest activity first, and sending a message moves a conversation to the front', async () => {
    const [me, b, c, d] = await Promise.all([register(app), register(app), register(app), register(app)]);
    const withB = await createDirect(me, b);
    const withC = await createDirect(me, c);
    const withD = await createDirect(me, d);
    const groupRes = await call('POST', '/groups', me.token, { name: 'order' });
    expectOk(groupRes, 201);
    const group = groupRes.json() as Conversation;

    for (const conversation of [withB, withC, withD, group]) {
      await send(me, conversation.id, `hello ${conversation.id}`);
      await sleep(15);
    }
    const ids = async () => (await conversationPages(me)).flat().map((x) => x.id);
    expect(await ids()).toEqual([group.id, withD.id, withC.id, withB.id]);

    await send(me, withB.id, 'back to the top');
    await sleep(15);
    expect(await ids()).toEqual([withB.id, group.id, withD.id, withC.id]);

    // A message from the other side counts as activity too.
    await send(c, withC.id, '你好 👋');
    expect(await ids()).toEqual([withC.id, withB.id, group.id, withD.id]);
  });

  it('shows the last message and per-viewer read state: the sender has read it, the peer has not', async () => {
    const [a, b] = await Promise.all([register(app), register(app)]);
    const conversation = await createDirect(a, b);
    const message = await send(a, conversation.id, '第一条消息 🎉 𠀀');
    expect(message.seq).toBe(1);

    const ofA = (await conversationPages(a)).flat().find((x) => x.id === conversation.id)!;
    expect(ofA).toMatchObject({ lastSeq: 1, lastReadSeq: 1, unreadCount: 0, mentionCount: 0 });
    expect(ofA.lastMessage).toMatchObject({ id: message.id, body: '第一条消息 🎉 𠀀', seq: 1, senderId: a.user.id });

    const ofB = (await conversationPages(b)).flat().find((x) => x.id === conversation.id)!;
    expect(ofB).toMatchObject({ lastSeq: 1, lastReadSeq: 0, unreadCount: 1 });
    expect(ofB.lastMessage).toMatchObject({ id: message.id, body: '第一条消息 🎉 𠀀' });
  });

  it('pages with nextCursor over every conversation exactly once, in the same order as one page', async () => {
    const me = await register(app);
    const others = await Promise.all([...Array(5).keys()].map(() => register(app)));
    for (const other of others) {
      const conversation = await createDirect(me, other);
      await send(other, conversation.id, 'hi');
      await sleep(15);
    }
    const whole = (await conversationPages(me)).flat().map((x) => x.id);
    expect(whole).toHaveLength(5);
    const pages = await conversationPages(me, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((x) => x.id)).toEqual(whole);
    const peers = pages.flat().map((x) => x.peer?.id);
    expect(peers).toEqual([...others].reverse().map((o) => o.user.id));
  });

  it('returns an empty list with nextCursor null to a user in no conversation', async () => {
    const loner = await register(app);
    const res = await call('GET', '/conversations', loner.token);
    expectOk(res);
    expect(res.json()).toEqual({ conversations: [], nextCursor: null });
  });

  it.each(['limit=0', 'order=asc'])('rejects the query %s with 400 validation_failed', async (query) => {
    const me = await register(app);
    expectError(await call('GET', `/conversations?${query}`, me.token), 400, 'validation_failed');
  });

  it('requires a signed-in user: 401 unauthorized', async () => {
    expectError(await call('GET', '/conversations'), 401, 'unauthorized');
  });
});
