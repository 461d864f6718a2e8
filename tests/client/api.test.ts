/**
 * ParleyApi against a real server over HTTP: each endpoint's round trip, and the contract's error
 * bodies mapped to ApiError (status, code, details, retryAfter; network failures as status 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, ParleyApi, type User } from '../../src/client/index.js';
import { uniqueName } from '../helpers/app.js';
import { startTestServer, type TestServer } from '../helpers/ws.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});

const client = () => new ParleyApi({ baseUrl: t.httpUrl });

async function signedUp(displayName?: string): Promise<{ api: ParleyApi; user: User }> {
  const api = client();
  const { user } = await api.register({ username: uniqueName('c'), password: 'correct horse', ...(displayName ? { displayName } : {}) });
  return { api, user };
}

/** The ApiError a promise rejects with (fails the test if it resolves or throws something else). */
async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('auth and users', () => {
  it('register keeps the token, me answers the user, login and logout round-trip', async () => {
    const api = client();
    const username = uniqueName('r');
    const reg = await api.register({ username, password: 'correct horse', displayName: '小明 🐱' });
    expect(api.token).toBe(reg.token);
    expect(reg.user.displayName).toBe('小明 🐱');
    expect((await api.me()).id).toBe(reg.user.id);

    const other = client();
    const login = await other.login({ username, password: 'correct horse' });
    expect(login.user.id).toBe(reg.user.id);
    expect(other.token).toBe(login.token);

    await other.logout();
    expect(other.token).toBeNull();
    // The revoked token no longer works.
    other.setToken(login.token);
    const err = await refusal(other.me());
    expect(err.status).toBe(401);
    expect(err.code).toBe('unauthorized');
    // The first session is untouched.
    expect((await api.me()).username).toBe(username);
  });

  it('maps 409 username_taken, 401 invalid_credentials and 401 unauthorized', async () => {
    const { user } = await signedUp();
    const taken = await refusal(client().register({ username: user.username.toUpperCase(), password: 'correct horse' }));
    expect(taken).toMatchObject({ status: 409, code: 'username_taken', name: 'ApiError' });
    expect(taken.message).toBeTruthy();
    expect(taken.retryable).toBe(false);

    const bad = await refusal(client().login({ username: user.username, password: 'wrong password' }));
    expect(bad).toMatchObject({ status: 401, code: 'invalid_credentials' });

    const anon = await refusal(client().me());
    expect(anon).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('maps 400 validation_failed with its details, and 404 not_found', async () => {
    const invalid = await refusal(client().register({ username: 'no spaces allowed', password: 'correct horse' }));
    expect(invalid.status).toBe(400);
    expect(invalid.code).toBe('validation_failed');
    expect(invalid.details).toBeDefined();

    const { api } = await signedUp();
    const missing = await refusal(api.getUser('00000000-0000-7000-8000-000000000000'));
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('a server that cannot be reached is status 0, code network_error, retryable', async () => {
    const api = new ParleyApi({ baseUrl: 'http://127.0.0.1:9' });
    const err = await refusal(api.me());
    expect(err.status).toBe(0);
    expect(err.code).toBe('network_error');
    expect(err.isNetworkError).toBe(true);
    expect(err.retryable).toBe(true);
  });

  it('reads Retry-After of a 429 and passes a custom fetch', async () => {
    const calls: string[] = [];
    const api = new ParleyApi({
      baseUrl: 'http://parley.test/',
      token: 'tok',
      fetch: async (url, init) => {
        calls.push(`${init?.method} ${url} ${(init?.headers as Record<string, string>).authorization}`);
        return new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }), {
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after': '7' },
        });
      },
    });
    const err = await refusal(api.searchUsers({ q: 'a b', limit: 5 }));
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 7, message: 'slow down' });
    expect(err.retryable).toBe(true);
    expect(calls).toEqual(['GET http://parley.test/api/v1/users?q=a+b&limit=5 Bearer tok']);
  });

  it('an error answer without the contract body (a proxy page) gets the generic code of its status', async () => {
    const api = new ParleyApi({ baseUrl: 'http://parley.test', fetch: async () => new Response('<h1>Bad Gateway</h1>', { status: 502, statusText: 'Bad Gateway' }) });
    const err = await refusal(api.me());
    expect(err).toMatchObject({ status: 502, code: 'internal', message: '502 Bad Gateway' });
    expect(err.retryable).toBe(true);
    const notFound = new ParleyApi({ baseUrl: 'http://parley.test', fetch: async () => new Response('', { status: 404 }) });
    expect(await refusal(notFound.getGroup('x'))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('updateMe, getUser and searchUsers', async () => {
    const prefix = uniqueName('s');
    const api = client();
    const { user } = await api.register({ username: `${prefix}_a`, password: 'correct horse' });
    const me = await api.updateMe({ displayName: 'Ada Lovelace' });
    expect(me.displayName).toBe('Ada Lovelace');
    expect((await api.getUser(user.id)).displayName).toBe('Ada Lovelace');
    await client().register({ username: `${prefix}_b`, password: 'correct horse' });
    const page = await api.searchUsers({ q: prefix, limit: 1 });
    expect(page.users).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const rest = await api.searchUsers({ q: prefix, cursor: page.nextCursor! });
    expect([...page.users, ...rest.users].map((u) => u.username).sort()).toEqual([`${prefix}_a`, `${prefix}_b`]);
  });
});

describe('groups and conversations', () => {
  it('group lifecycle: create, list, get, update, members, roles, leave, delete', async () => {
    const { api: owner, user: ownerUser } = await signedUp();
    const { api: bob, user: bobUser } = await signedUp();
    const { user: carolUser } = await signedUp();

    const group = await owner.createGroup({ name: 'Team 团队', description: 'd', visibility: 'public', memberIds: [bobUser.id] });
    expect(group).toMatchObject({ kind: 'group', name: 'Team 团队', visibility: 'public', memberCount: 2, lastSeq: 0 });
    expect((await owner.listGroups()).groups.map((g) => g.id)).toContain(group.id);
    expect((await bob.listGroups({ scope: 'public', q: 'Team' })).groups.map((g) => g.id)).toContain(group.id);
    expect((await bob.getGroup(group.id)).id).toBe(group.id);

    const renamed = await owner.updateGroup(group.id, { name: 'Renamed' });
    expect(renamed.name).toBe('Renamed');
    expect(await refusal(bob.updateGroup(group.id, { name: 'x' }))).toMatchObject({ status: 403, code: 'forbidden' });

    const added = await owner.addMember(group.id, carolUser.id);
    expect(added.user.id).toBe(carolUser.id);
    expect(added.role).toBe('member');
    const promoted = await owner.setMemberRole(group.id, bobUser.id, 'admin');
    expect(promoted.role).toBe('admin');
    const members = await owner.listMembers(group.id, { limit: 2 });
    expect(members.members).toHaveLength(2);
    const more = await owner.listMembers(group.id, { cursor: members.nextCursor! });
    expect([...members.members, ...more.members].map((m) => m.user.id).sort()).toEqual([ownerUser.id, bobUser.id, carolUser.id].sort());

    await owner.removeMember(group.id, carolUser.id);
    await bob.removeMember(group.id, bobUser.id);
    expect((await owner.getGroup(group.id)).memberCount).toBe(1);
    await owner.deleteGroup(group.id);
    expect(await refusal(owner.getGroup(group.id))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('direct conversations, messages, history, events, read, edit, delete, reactions, search', async () => {
    const { api: alice, user: aliceUser } = await signedUp();
    const { api: bob, user: bobUser } = await signedUp();
    const direct = await alice.openDirect(bobUser.id);
    expect(direct.kind).toBe('direct');
    expect(direct.peer?.id).toBe(bobUser.id);
    expect((await bob.openDirect(aliceUser.id)).id).toBe(direct.id);

    const first = await alice.sendMessage(direct.id, { body: '你好世界 hello', clientMsgId: 'k1' });
    const repeat = await alice.sendMessage(direct.id, { body: 'different body', clientMsgId: 'k1' });
    expect(repeat.id).toBe(first.id);
    const second = await bob.sendMessage(direct.id, { body: 'reply', replyTo: first.id });
    expect(second.replyTo).toBe(first.id);
    expect(second.seq).toBe(first.seq + 1);

    const convs = await bob.listConversations();
    expect(convs.conversations[0]?.id).toBe(direct.id);
    expect((await bob.listAllConversations()).map((c) => c.id)).toContain(direct.id);
    expect((await bob.getConversation(direct.id)).lastSeq).toBe(second.seq);

    const newest = await alice.history(direct.id);
    expect(newest.messages.map((m) => m.id)).toEqual([first.id, second.id]);
    const before = await alice.history(direct.id, { before: second.seq, limit: 10 });
    expect(before.messages.map((m) => m.id)).toEqual([first.id]);
    const after = await alice.history(direct.id, { after: first.seq });
    expect(after.messages.map((m) => m.id)).toEqual([second.id]);

    const emoji = '👍🏽';
    await bob.addReaction(first.id, emoji);
    await bob.addReaction(first.id, emoji);
    expect((await bob.getMessage(first.id)).reactions).toEqual([{ emoji, count: 1, me: true }]);
    await bob.removeReaction(first.id, emoji);
    expect((await alice.getMessage(first.id)).reactions).toEqual([]);

    const edited = await alice.editMessage(first.id, '你好 edited');
    expect(edited.editedAt).not.toBeNull();
    await bob.deleteMessage(second.id);
    expect((await alice.getMessage(second.id)).deletedAt).not.toBeNull();

    const events = await alice.events(direct.id, { after: 0 });
    expect(events.events.map((e) => e.type)).toEqual(['message.created', 'message.created', 'reaction.added', 'reaction.removed', 'message.updated', 'message.deleted']);
    expect(events.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);

    await alice.markRead(direct.id, 6);
    expect((await alice.getConversation(direct.id)).lastReadSeq).toBe(6);

    const found = await bob.searchMessages({ q: '你好', conversationId: direct.id });
    expect(found.messages.map((m) => m.id)).toEqual([first.id]);
  });

  it('uploads a Blob as multipart `file`; its signed URL works without a token', async () => {
    const { api } = await signedUp();
    const bytes = new TextEncoder().encode('plain text attachment\n');
    const upload = await api.upload(new Blob([bytes], { type: 'text/plain' }), 'note 笔记.txt');
    expect(upload.filename).toBe('note 笔记.txt');
    expect(upload.size).toBe(bytes.length);
    const signed = api.uploadUrl(upload);
    expect(signed.startsWith(`${t.httpUrl}/api/v1/uploads/${upload.id}?`)).toBe(true);
    const res = await fetch(signed);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('plain text attachment\n');
    // The bare path needs the token.
    expect(api.uploadUrl(upload.id)).toBe(`${t.httpUrl}/api/v1/uploads/${upload.id}`);
    expect((await fetch(api.uploadUrl(upload.id))).status).toBe(404);
    expect(await (await api.fetchUpload(upload.id)).text()).toBe('plain text attachment\n');
  });
});
