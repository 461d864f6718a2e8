/**
 * Foundation REST rows for groups: create, list, read, update, delete, membership and roles, and
 * the member/conversation events they write to the events feed (CONTRACT.md).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Conversation, Member, User } from '../../src/protocol/index.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/kit.js';

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

interface WireEvent {
  type: string;
  conversationId: string;
  seq: number;
  createdAt: string;
  member?: Member;
  conversation?: Record<string, unknown>;
  [key: string]: unknown;
}

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

function expectUserShape(user: User): void {
  expect(Object.keys(user).sort()).toEqual(USER_KEYS);
  expect(user.createdAt).toMatch(ISO_WITH_ZONE);
}

function expectMemberShape(member: Member): void {
  expect(Object.keys(member).sort()).toEqual(['addedBy', 'joinedAt', 'mutedUntil', 'role', 'user']);
  expectUserShape(member.user);
  expect(['owner', 'admin', 'member']).toContain(member.role);
  expect(member.joinedAt).toMatch(ISO_WITH_ZONE);
}

function expectConversationShape(conversation: Conversation): void {
  expect(Object.keys(conversation).sort()).toEqual(CONVERSATION_KEYS);
  expect(conversation.createdAt).toMatch(ISO_WITH_ZONE);
  expect(Number.isNaN(Date.parse(conversation.createdAt))).toBe(false);
}

async function createGroup(owner: Account, body: Record<string, unknown> = {}): Promise<Conversation> {
  const res = await call('POST', '/groups', owner.token, { name: `group ${uniqueName('g')}`, ...body });
  expectOk(res, 201);
  return res.json() as Conversation;
}

async function addMember(actor: Account, groupId: string, userId: string): Promise<LightMyRequestResponse> {
  return call('POST', `/groups/${groupId}/members`, actor.token, { userId });
}

async function setRole(actor: Account, groupId: string, userId: string, role: string): Promise<LightMyRequestResponse> {
  return call('PATCH', `/groups/${groupId}/members/${userId}`, actor.token, { role });
}

/** A group with an owner, an admin and a plain member, plus an outsider who belongs to none. */
async function groupWithRoles(visibility: 'public' | 'private' = 'private') {
  const [owner, admin, member, outsider] = await Promise.all([register(app), register(app), register(app), register(app)]);
  const group = await createGroup(owner, { visibility, memberIds: [admin.user.id, member.user.id] });
  expectOk(await setRole(owner, group.id, admin.user.id, 'admin'));
  return { owner, admin, member, outsider, group };
}

async function getGroup(token: string, id: string): Promise<LightMyRequestResponse> {
  return call('GET', `/groups/${id}`, token);
}

async function membersOf(token: string, groupId: string): Promise<Member[]> {
  const all: Member[] = [];
  let cursor: string | null = null;
  do {
    const res = await call('GET', `/groups/${groupId}/members${cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`}`, token);
    expectOk(res);
    const body = res.json() as { members: Member[]; nextCursor: string | null };
    all.push(...body.members);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return all;
}

function roleOf(members: Member[], userId: string): string | undefined {
  return members.find((m) => m.user.id === userId)?.role;
}

async function eventsOf(token: string, conversationId: string, after = 0): Promise<{ events: WireEvent[]; hasMore: boolean }> {
  const res = await call('GET', `/conversations/${conversationId}/events?after=${after}`, token);
  expectOk(res);
  return res.json() as { events: WireEvent[]; hasMore: boolean };
}

/** Follows nextCursor through GET /groups with the given query; returns each page's groups. */
async function groupPages(token: string, query: string): Promise<Conversation[][]> {
  const pages: Conversation[][] = [];
  let cursor: string | null = null;
  do {
    const sep = query === '' ? '' : '&';
    const res = await call('GET', `/groups?${query}${cursor === null ? '' : `${sep}cursor=${encodeURIComponent(cursor)}`}`, token);
    expectOk(res);
    const body = res.json() as { groups: Conversation[]; nextCursor: string | null };
    expect(Object.keys(body).sort()).toEqual(['groups', 'nextCursor']);
    pages.push(body.groups);
    cursor = body.nextCursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor !== null);
  return pages;
}

describe('POST /groups', () => {
  it('returns 201 with a group Conversation: private by default, counts at zero, no peer', async () => {
    const owner = await register(app);
    const res = await call('POST', '/groups', owner.token, { name: '产品讨论 🚀' });
    expectOk(res, 201);
    const group = res.json() as Conversation;
    expectConversationShape(group);
    expect(group).toMatchObject({
      kind: 'group',
      name: '产品讨论 🚀',
      description: null,
      visibility: 'private',
      memberCount: 1,
      lastSeq: 0,
      lastMessage: null,
      unreadCount: 0,
      mentionCount: 0,
      lastReadSeq: 0,
      peer: null,
    });
    expect(typeof group.id).toBe('string');
  });

  it('stores description and visibility "public" when given', async () => {
    const owner = await register(app);
    const group = await createGroup(owner, { description: 'all about 猫', visibility: 'public' });
    expect(group).toMatchObject({ description: 'all about 猫', visibility: 'public' });
    const read = await getGroup(owner.token, group.id);
    expectOk(read);
    expect(read.json()).toMatchObject({ description: 'all about 猫', visibility: 'public' });
  });

  it('makes the creator the owner', async () => {
    const owner = await register(app);
    const group = await createGroup(owner);
    const members = await membersOf(owner.token, group.id);
    expect(members).toHaveLength(1);
    expectMemberShape(members[0]!);
    expect(members[0]).toMatchObject({ user: { id: owner.user.id }, role: 'owner' });
  });

  it('adds memberIds as plain members and counts them in memberCount', async () => {
    const [owner, a, b] = await Promise.all([register(app), register(app), register(app)]);
    const group = await createGroup(owner, { memberIds: [a.user.id, b.user.id] });
    expect(group.memberCount).toBe(3);
    const members = await membersOf(owner.token, group.id);
    expect(members.map((m) => m.user.id).sort()).toEqual([owner.user.id, a.user.id, b.user.id].sort());
    expect(roleOf(members, a.user.id)).toBe('member');
    expect(roleOf(members, b.user.id)).toBe('member');
    const seenByA = await getGroup(a.token, group.id);
    expectOk(seenByA);
  });

  it('writes no event on creation, even with memberIds: the feed is empty and lastSeq 0', async () => {
    const [owner, a] = await Promise.all([register(app), register(app)]);
    const group = await createGroup(owner, { memberIds: [a.user.id] });
    expect(group.lastSeq).toBe(0);
    const feed = await eventsOf(owner.token, group.id);
    expect(feed).toEqual({ events: [], hasMore: false });
  });

  it('rejects an unknown user id in memberIds with 400 validation_failed and creates nothing', async () => {
    const [owner, a] = await Promise.all([register(app), register(app)]);
    const name = `ghost ${uniqueName('g')}`;
    const res = await call('POST', '/groups', owner.token, { name, memberIds: [a.user.id, randomUUID()] });
    expectError(res, 400, 'validation_failed');
    const mine = (await groupPages(owner.token, '')).flat();
    expect(mine.map((g) => g.name)).not.toContain(name);
    const ofA = (await groupPages(a.token, '')).flat();
    expect(ofA.map((g) => g.name)).not.toContain(name);
  });

  it('rejects a malformed user id in memberIds with 400 validation_failed', async () => {
    const owner = await register(app);
    expectError(await call('POST', '/groups', owner.token, { name: 'x', memberIds: ['not-an-id'] }), 400, 'validation_failed');
  });

  it.each([
    ['a missing name', {}],
    ['an empty name', { name: '' }],
    ['an unknown visibility', { name: 'x', visibility: 'secret' }],
    ['a numeric name', { name: 42 }],
    ['an unknown field', { name: 'x', topic: 'y' }],
  ])('rejects %s with 400 validation_failed', async (_label, body) => {
    const owner = await register(app);
    expectError(await call('POST', '/groups', owner.token, body), 400, 'validation_failed');
  });

  it('requires a signed-in user: 401 unauthorized', async () => {
    expectError(await call('POST', '/groups', undefined, { name: 'x' }), 401, 'unauthorized');
  });
});

describe('GET /groups', () => {
  it('defaults to scope=mine: the caller’s groups, private ones included, and nobody else’s', async () => {
    const [me, other] = await Promise.all([register(app), register(app)]);
    const tag = uniqueName('mine');
    const mine = await createGroup(me, { name: `${tag} own` });
    const invited = await createGroup(other, { name: `${tag} invited`, memberIds: [me.user.id] });
    await createGroup(other, { name: `${tag} public`, visibility: 'public' });
    await createGroup(other, { name: `${tag} private` });

    for (const query of ['', 'scope=mine']) {
      const ids = (await groupPages(me.token, query)).flat().map((g) => g.id);
      expect(ids.sort(), query).toEqual([mine.id, invited.id].sort());
    }
  });

  it('lists groups as full Conversations with the caller’s view', async () => {
    const me = await register(app);
    const group = await createGroup(me, { name: `shape ${uniqueName('s')}` });
    const [listed] = (await groupPages(me.token, '')).flat().filter((g) => g.id === group.id);
    expect(listed).toBeDefined();
    expectConversationShape(listed!);
    expect(listed).toMatchObject({ kind: 'group', memberCount: 1, lastSeq: 0, unreadCount: 0, peer: null });
  });

  it('scope=public lists public groups the caller is not in, and never private ones', async () => {
    const [me, other] = await Promise.all([register(app), register(app)]);
    const tag = uniqueName('pub');
    const foreignPublic = await createGroup(other, { name: `${tag} open`, visibility: 'public' });
    const myPublic = await createGroup(me, { name: `${tag} mine open`, visibility: 'public' });
    await createGroup(other, { name: `${tag} closed` });
    await createGroup(me, { name: `${tag} mine closed` });

    const all = (await groupPages(me.token, 'scope=public')).flat();
    for (const g of all) expect(g.visibility).toBe('public');
    const ids = all.map((g) => g.id);
    expect(ids).toContain(foreignPublic.id);
    expect(ids).toContain(myPublic.id);

    const filtered = (await groupPages(me.token, `scope=public&q=${encodeURIComponent(tag)}`)).flat().map((g) => g.id);
    expect(filtered.sort()).toEqual([foreignPublic.id, myPublic.id].sort());
  });

  it('never shows a private group to a non-member, in any scope or search', async () => {
    const [owner, stranger] = await Promise.all([register(app), register(app)]);
    const tag = uniqueName('hidden');
    const hidden = await createGroup(owner, { name: `${tag} secret` });
    for (const query of ['', 'scope=mine', 'scope=public', `q=${tag}`, `scope=public&q=${tag}`, `scope=mine&q=${tag}`]) {
      const ids = (await groupPages(stranger.token, query)).flat().map((g) => g.id);
      expect(ids, query).not.toContain(hidden.id);
    }
  });

  it('filters by q on the group name', async () => {
    const me = await register(app);
    const tag = uniqueName('q');
    const hit = await createGroup(me, { name: `${tag} hit` });
    await createGroup(me, { name: `other ${uniqueName('q')}` });
    const ids = (await groupPages(me.token, `q=${encodeURIComponent(tag)}`)).flat().map((g) => g.id);
    expect(ids).toEqual([hit.id]);
  });

  it('pages scope=mine with nextCursor over every group exactly once', async () => {
    const me = await register(app);
    const created: Conversation[] = [];
    for (let i = 0; i < 5; i += 1) created.push(await createGroup(me));
    const pages = await groupPages(me.token, 'limit=2');
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const ids = pages.flat().map((g) => g.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids.sort()).toEqual(created.map((g) => g.id).sort());
  });

  it('pages scope=public with nextCursor over every match exactly once', async () => {
    const [a, b] = await Promise.all([register(app), register(app)]);
    const tag = uniqueName('pp');
    const created: Conversation[] = [];
    for (let i = 0; i < 5; i += 1) created.push(await createGroup(i % 2 ? a : b, { name: `${tag} ${i}`, visibility: 'public' }));
    const pages = await groupPages(a.token, `scope=public&q=${encodeURIComponent(tag)}&limit=2`);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const ids = pages.flat().map((g) => g.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids.sort()).toEqual(created.map((g) => g.id).sort());
  });

  it.each(['scope=everyone', 'limit=0', 'color=blue'])('rejects the query %s with 400 validation_failed', async (query) => {
    const me = await register(app);
    expectError(await call('GET', `/groups?${query}`, me.token), 400, 'validation_failed');
  });
});

describe('GET /groups/{id}', () => {
  it('returns the Conversation to a member', async () => {
    const { member, group } = await groupWithRoles('private');
    const res = await getGroup(member.token, group.id);
    expectOk(res);
    const seen = res.json() as Conversation;
    expectConversationShape(seen);
    expect(seen).toMatchObject({ id: group.id, kind: 'group', name: group.name, memberCount: 3, visibility: 'private' });
  });

  it('returns a public group to any signed-in user', async () => {
    const { outsider, group } = await groupWithRoles('public');
    const res = await getGroup(outsider.token, group.id);
    expectOk(res);
    expect(res.json()).toMatchObject({ id: group.id, kind: 'group', visibility: 'public', memberCount: 3 });
  });

  it('hides a private group from a non-member: 404 not_found', async () => {
    const { outsider, group } = await groupWithRoles('private');
    expectError(await getGroup(outsider.token, group.id), 404, 'not_found');
  });

  it('answers an unknown uuid and a malformed id with 404 not_found', async () => {
    const me = await register(app);
    expectError(await getGroup(me.token, randomUUID()), 404, 'not_found');
    expectError(await getGroup(me.token, 'not-a-group'), 404, 'not_found');
    expectError(await getGroup(me.token, '12345'), 404, 'not_found');
  });

  it('requires a signed-in user: 401 unauthorized', async () => {
    const { group } = await groupWithRoles('public');
    expectError(await call('GET', `/groups/${group.id}`), 401, 'unauthorized');
  });
});

describe('PATCH /groups/{id}', () => {
  it('lets the owner change name, description and visibility, returning the Conversation', async () => {
    const { owner, group } = await groupWithRoles('private');
    const res = await call('PATCH', `/groups/${group.id}`, owner.token, {
      name: '新名字 ✨',
      description: 'now public',
      visibility: 'public',
    });
    expectOk(res);
    const updated = res.json() as Conversation;
    expectConversationShape(updated);
    expect(updated).toMatchObject({ id: group.id, name: '新名字 ✨', description: 'now public', visibility: 'public', memberCount: 3 });
    const read = await getGroup(owner.token, group.id);
    expect(read.json()).toMatchObject({ name: '新名字 ✨', description: 'now public', visibility: 'public' });
  });

  it('lets an admin change the group', async () => {
    const { admin, group } = await groupWithRoles('private');
    const res = await call('PATCH', `/groups/${group.id}`, admin.token, { name: 'renamed by admin' });
    expectOk(res);
    expect((res.json() as Conversation).name).toBe('renamed by admin');
  });

  it('clears the description with null', async () => {
    const owner = await register(app);
    const group = await createGroup(owner, { description: 'temporary' });
    const res = await call('PATCH', `/groups/${group.id}`, owner.token, { description: null });
    expectOk(res);
    expect((res.json() as Conversation).description).toBeNull();
  });

  it('makes a group turned public appear in scope=public, and one turned private disappear', async () => {
    const { owner, outsider, group } = await groupWithRoles('private');
    const tag = uniqueName('flip');
    expectOk(await call('PATCH', `/groups/${group.id}`, owner.token, { name: `${tag} room`, visibility: 'public' }));
    let ids = (await groupPages(outsider.token, `scope=public&q=${tag}`)).flat().map((g) => g.id);
    expect(ids).toEqual([group.id]);
    expectOk(await call('PATCH', `/groups/${group.id}`, owner.token, { visibility: 'private' }));
    ids = (await groupPages(outsider.token, `scope=public&q=${tag}`)).flat().map((g) => g.id);
    expect(ids).toEqual([]);
    expectError(await getGroup(outsider.token, group.id), 404, 'not_found');
  });

  it('forbids a plain member: 403 forbidden, and nothing changes', async () => {
    const { member, owner, group } = await groupWithRoles('private');
    expectError(await call('PATCH', `/groups/${group.id}`, member.token, { name: 'hijacked' }), 403, 'forbidden');
    const read = await getGroup(owner.token, group.id);
    expect((read.json() as Conversation).name).toBe(group.name);
  });

  it('answers a non-member of a private group with 404 not_found', async () => {
    const { outsider, group } = await groupWithRoles('private');
    expectError(await call('PATCH', `/groups/${group.id}`, outsider.token, { name: 'hijacked' }), 404, 'not_found');
  });

  it('answers a non-member of a public group with 403 forbidden', async () => {
    const { outsider, group } = await groupWithRoles('public');
    expectError(await call('PATCH', `/groups/${group.id}`, outsider.token, { name: 'hijacked' }), 403, 'forbidden');
  });

  it.each([
    ['an empty name', { name: '' }],
    ['an unknown visibility', { visibility: 'hidden' }],
    ['an unknown field', { topic: 'x' }],
  ])('rejects %s with 400 validation_failed', async (_label, body) => {
    const { owner, group } = await groupWithRoles('private');
    expectError(await call('PATCH', `/groups/${group.id}`, owner.token, body), 400, 'validation_failed');
  });

  it('answers an unknown or malformed group id with 404 not_found', async () => {
    const me = await register(app);
    expectError(await call('PATCH', `/groups/${randomUUID()}`, me.token, { name: 'x' }), 404, 'not_found');
    expectError(await call('PATCH', '/groups/nope', me.token, { name: 'x' }), 404, 'not_found');
  });
});

describe('DELETE /groups/{id}', () => {
  it('lets the owner delete: 204, then 404 for everyone, and it leaves every list', async () => {
    const { owner, admin, member, outsider, group } = await groupWithRoles('public');
    const res = await call('DELETE', `/groups/${group.id}`, owner.token);
    expectOk(res, 204);
    expect(res.body).toBe('');
    for (const who of [owner, admin, member, outsider]) {
      expectError(await getGroup(who.token, group.id), 404, 'not_found');
      expectError(await call('GET', `/groups/${group.id}/members`, who.token), 404, 'not_found');
    }
    expectError(await call('GET', `/conversations/${group.id}`, member.token), 404, 'not_found');
    expect((await groupPages(member.token, '')).flat().map((g) => g.id)).not.toContain(group.id);
    expect((await groupPages(outsider.token, 'scope=public')).flat().map((g) => g.id)).not.toContain(group.id);
    expectError(await call('DELETE', `/groups/${group.id}`, owner.token), 404, 'not_found');
  });

  it('forbids an admin who is not the owner: 403 forbidden, and the group survives', async () => {
    const { admin, member, group } = await groupWithRoles('private');
    expectError(await call('DELETE', `/groups/${group.id}`, admin.token), 403, 'forbidden');
    expectOk(await getGroup(member.token, group.id));
  });

  it('forbids a plain member: 403 forbidden', async () => {
    const { member, group } = await groupWithRoles('private');
    expectError(await call('DELETE', `/groups/${group.id}`, member.token), 403, 'forbidden');
  });

  it('answers a non-member of a private group with 404 not_found', async () => {
    const { outsider, owner, group } = await groupWithRoles('private');
    expectError(await call('DELETE', `/groups/${group.id}`, outsider.token), 404, 'not_found');
    expectOk(await getGroup(owner.token, group.id));
  });
});

describe('GET /groups/{id}/members', () => {
  it('returns {members, nextCursor} of Members to a member', async () => {
    const { owner, admin, member, group } = await groupWithRoles('private');
    const res = await call('GET', `/groups/${group.id}/members`, member.token);
    expectOk(res);
    const body = res.json() as { members: Member[]; nextCursor: string | null };
    expect(Object.keys(body).sort()).toEqual(['members', 'nextCursor']);
    expect(body.nextCursor).toBeNull();
    for (const m of body.members) expectMemberShape(m);
    expect(roleOf(body.members, owner.user.id)).toBe('owner');
    expect(roleOf(body.members, admin.user.id)).toBe('admin');
    expect(roleOf(body.members, member.user.id)).toBe('member');
    expect(body.members).toHaveLength(3);
  });

  it('forbids a non-member of a public group: 403 forbidden', async () => {
    const { outsider, group } = await groupWithRoles('public');
    expectError(await call('GET', `/groups/${group.id}/members`, outsider.token), 403, 'forbidden');
  });

  it('hides a private group from a non-member: 404 not_found', async () => {
    const { outsider, group } = await groupWithRoles('private');
    expectError(await call('GET', `/groups/${group.id}/members`, outsider.token), 404, 'not_found');
  });

  it('pages with nextCursor over every member exactly once', async () => {
    const owner = await register(app);
    const others = await Promise.all([...Array(6).keys()].map(() => register(app)));
    const group = await createGroup(owner, { memberIds: others.map((o) => o.user.id) });
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/groups/${group.id}/members?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, owner.token);
      expectOk(res);
      const body = res.json() as { members: Member[]; nextCursor: string | null };
      sizes.push(body.members.length);
      seen.push(...body.members.map((m) => m.user.id));
      cursor = body.nextCursor;
      expect(sizes.length).toBeLessThan(20);
    } while (cursor !== null);
    expect(sizes).toEqual([3, 3, 1]);
    expect(new Set(seen).size).toBe(7);
    expect(seen.sort()).toEqual([owner.user.id, ...others.map((o) => o.user.id)].sort());
  });
});

describe('POST /groups/{id}/members', () => {
  it('lets an admin add any user: 201 Member with role "member", memberCount grows', async () => {
    const { admin, group } = await groupWithRoles('private');
    const newcomer = await register(app);
    const res = await addMember(admin, group.id, newcomer.user.id);
    expectOk(res, 201);
    const member = res.json() as Member;
    expectMemberShape(member);
    expect(member).toMatchObject({ user: { id: newcomer.user.id, username: newcomer.user.username }, role: 'member' });
    const read = await getGroup(newcomer.token, group.id);
    expectOk(read);
    expect((read.json() as Conversation).memberCount).toBe(4);
  });

  it('answers a repeated add with 200 and the existing Member, role unchanged', async () => {
    const { owner, admin, member, group } = await groupWithRoles('private');
    const again = await addMember(owner, group.id, member.user.id);
    expectOk(again, 200);
    expect(again.json()).toMatchObject({ user: { id: member.user.id }, role: 'member' });
    const adminAgain = await addMember(owner, group.id, admin.user.id);
    expectOk(adminAgain, 200);
    expect(adminAgain.json()).toMatchObject({ user: { id: admin.user.id }, role: 'admin' });
    expect(((await getGroup(owner.token, group.id)).json() as Conversation).memberCount).toBe(3);
  });

  it('lets a user join a public group themself: 201', async () => {
    const { outsider, group } = await groupWithRoles('public');
    const res = await addMember(outsider, group.id, outsider.user.id);
    expectOk(res, 201);
    expect(res.json()).toMatchObject({ user: { id: outsider.user.id }, role: 'member' });
    const members = await membersOf(outsider.token, group.id);
    expect(roleOf(members, outsider.user.id)).toBe('member');
  });

  it('hides a private group from a self-join: 404 not_found, and no membership', async () => {
    const { owner, outsider, group } = await groupWithRoles('private');
    expectError(await addMember(outsider, group.id, outsider.user.id), 404, 'not_found');
    const members = await membersOf(owner.token, group.id);
    expect(roleOf(members, outsider.user.id)).toBeUndefined();
  });

  it('forbids a plain member from adding someone else: 403 forbidden', async () => {
    const { owner, member, outsider, group } = await groupWithRoles('private');
    expectError(await addMember(member, group.id, outsider.user.id), 403, 'forbidden');
    expect(roleOf(await membersOf(owner.token, group.id), outsider.user.id)).toBeUndefined();
  });

  it('forbids a non-member from adding someone else to a public group: 403 forbidden', async () => {
    const { owner, outsider, group } = await groupWithRoles('public');
    const third = await register(app);
    expectError(await addMember(outsider, group.id, third.user.id), 403, 'forbidden');
    expect(roleOf(await membersOf(owner.token, group.id), third.user.id)).toBeUndefined();
  });

  it('answers a concurrent double join with one 201 and one 200', async () => {
    const { outsider, group } = await groupWithRoles('public');
    const results = await Promise.all([addMember(outsider, group.id, outsider.user.id), addMember(outsider, group.id, outsider.user.id)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 201]);
    expect(((await getGroup(outsider.token, group.id)).json() as Conversation).memberCount).toBe(4);
  });

  it('rejects an unknown body field with 400 validation_failed', async () => {
    const { owner, outsider, group } = await groupWithRoles('private');
    expectError(await call('POST', `/groups/${group.id}/members`, owner.token, { userId: outsider.user.id, role: 'admin' }), 400, 'validation_failed');
  });
});

describe('PATCH /groups/{id}/members/{userId}', () => {
  it('lets the owner promote a member to admin and demote back: 200 Member', async () => {
    const { owner, member, group } = await groupWithRoles('private');
    const promoted = await setRole(owner, group.id, member.user.id, 'admin');
    expectOk(promoted);
    expectMemberShape(promoted.json() as Member);
    expect(promoted.json()).toMatchObject({ user: { id: member.user.id }, role: 'admin' });
    expect(roleOf(await membersOf(owner.token, group.id), member.user.id)).toBe('admin');
    const demoted = await setRole(owner, group.id, member.user.id, 'member');
    expectOk(demoted);
    expect(demoted.json()).toMatchObject({ role: 'member' });
  });

  it('forbids an admin who is not the owner: 403 forbidden', async () => {
    const { admin, member, owner, group } = await groupWithRoles('private');
    expectError(await setRole(admin, group.id, member.user.id, 'admin'), 403, 'forbidden');
    expect(roleOf(await membersOf(owner.token, group.id), member.user.id)).toBe('member');
  });

  it('forbids a plain member, even on themself: 403 forbidden', async () => {
    const { member, owner, group } = await groupWithRoles('private');
    expectError(await setRole(member, group.id, member.user.id, 'admin'), 403, 'forbidden');
    expect(roleOf(await membersOf(owner.token, group.id), member.user.id)).toBe('member');
  });

  it('hands over ownership with role "owner": the target becomes owner and the caller an admin', async () => {
    const { owner, member, group } = await groupWithRoles('private');
    const res = await setRole(owner, group.id, member.user.id, 'owner');
    expectOk(res);
    expect(res.json()).toMatchObject({ user: { id: member.user.id }, role: 'owner' });
    const members = await membersOf(owner.token, group.id);
    expect(roleOf(members, member.user.id)).toBe('owner');
    expect(roleOf(members, owner.user.id)).toBe('admin');
    expect(members.filter((m) => m.role === 'owner')).toHaveLength(1);

    // The owner's powers moved with the role.
    expectError(await call('DELETE', `/groups/${group.id}`, owner.token), 403, 'forbidden');
    expectError(await setRole(owner, group.id, member.user.id, 'member'), 403, 'forbidden');
    expectOk(await setRole(member, group.id, owner.user.id, 'member'));
    expect(roleOf(await membersOf(member.token, group.id), owner.user.id)).toBe('member');
  });

  it('lets the former owner leave after handing over ownership', async () => {
    const { owner, member, group } = await groupWithRoles('private');
    expectOk(await setRole(owner, group.id, member.user.id, 'owner'));
    expectOk(await call('DELETE', `/groups/${group.id}/members/${owner.user.id}`, owner.token), 204);
    expectError(await getGroup(owner.token, group.id), 404, 'not_found');
  });

  it('refuses the owner demoting themself without handing over: 409 conflict', async () => {
    const { owner, group } = await groupWithRoles('private');
    expectError(await setRole(owner, group.id, owner.user.id, 'admin'), 409, 'conflict');
    expectError(await setRole(owner, group.id, owner.user.id, 'member'), 409, 'conflict');
    expect(roleOf(await membersOf(owner.token, group.id), owner.user.id)).toBe('owner');
  });

  it('answers a target who is not a member with 404 not_found', async () => {
    const { owner, outsider, group } = await groupWithRoles('private');
    expectError(await setRole(owner, group.id, outsider.user.id, 'admin'), 404, 'not_found');
    expectError(await setRole(owner, group.id, 'not-a-user', 'admin'), 404, 'not_found');
  });

  it('rejects an unknown role with 400 validation_failed', async () => {
    const { owner, member, group } = await groupWithRoles('private');
    expectError(await setRole(owner, group.id, member.user.id, 'superuser'), 400, 'validation_failed');
  });
});

describe('DELETE /groups/{id}/members/{userId}', () => {
  it('lets a member leave: 204, the group then hides from them and memberCount drops', async () => {
    const { owner, member, group } = await groupWithRoles('private');
    const res = await call('DELETE', `/groups/${group.id}/members/${member.user.id}`, member.token);
    expectOk(res, 204);
    expect(res.body).toBe('');
    expectError(await getGroup(member.token, group.id), 404, 'not_found');
    expect(((await getGroup(owner.token, group.id)).json() as Conversation).memberCount).toBe(2);
    expect((await groupPages(member.token, '')).flat().map((g) => g.id)).not.toContain(group.id);
  });

  it('lets an admin remove a plain member: 204', async () => {
    const { owner, admin, member, group } = await groupWithRoles('private');
    expectOk(await call('DELETE', `/groups/${group.id}/members/${member.user.id}`, admin.token), 204);
    expect(roleOf(await membersOf(owner.token, group.id), member.user.id)).toBeUndefined();
  });

  it('forbids an admin removing another admin: 403 forbidden', async () => {
    const { owner, admin, member, group } = await groupWithRoles('private');
    expectOk(await setRole(owner, group.id, member.user.id, 'admin'));
    expectError(await call('DELETE', `/groups/${group.id}/members/${member.user.id}`, admin.token), 403, 'forbidden');
    expect(roleOf(await membersOf(owner.token, group.id), member.user.id)).toBe('admin');
  });

  it('forbids an admin removing the owner: 403 forbidden', async () => {
    const { owner, admin, group } = await groupWithRoles('private');
    expectError(await call('DELETE', `/groups/${group.id}/members/${owner.user.id}`, admin.token), 403, 'forbidden');
    expect(roleOf(await membersOf(owner.token, group.id), owner.user.id)).toBe('owner');
  });

  it('forbids a plain member removing someone else: 403 forbidden', async () => {
    const { owner, admin, member, group } = await groupWithRoles('private');
    const other = await register(app);
    expectOk(await addMember(owner, group.id, other.user.id), 201);
    expectError(await call('DELETE', `/groups/${group.id}/members/${other.user.id}`, member.token), 403, 'forbidden');
    expectError(await call('DELETE', `/groups/${group.id}/members/${admin.user.id}`, member.token), 403, 'forbidden');
    expect(roleOf(await membersOf(owner.token, group.id), other.user.id)).toBe('member');
  });

  it('refuses the owner leaving: 409 conflict, and they stay owner', async () => {
    const { owner, group } = await groupWithRoles('private');
    expectError(await call('DELETE', `/groups/${group.id}/members/${owner.user.id}`, owner.token), 409, 'conflict');
    expect(roleOf(await membersOf(owner.token, group.id), owner.user.id)).toBe('owner');
  });

  it('lets the owner remove an admin: 204', async () => {
    const { owner, admin, group } = await groupWithRoles('private');
    expectOk(await call('DELETE', `/groups/${group.id}/members/${admin.user.id}`, owner.token), 204);
    expect(roleOf(await membersOf(owner.token, group.id), admin.user.id)).toBeUndefined();
  });

  it('answers a non-member of a private group with 404 not_found', async () => {
    const { outsider, member, group } = await groupWithRoles('private');
    expectError(await call('DELETE', `/groups/${group.id}/members/${member.user.id}`, outsider.token), 404, 'not_found');
  });
});

describe('events feed of a group', () => {
  it('records member.joined, conversation.updated, member.updated and member.left with seq 1, 2, 3, 4', async () => {
    const [owner, joiner] = await Promise.all([register(app), register(app)]);
    const group = await createGroup(owner, { visibility: 'public' });

    expectOk(await addMember(joiner, group.id, joiner.user.id), 201);
    expectOk(await call('PATCH', `/groups/${group.id}`, owner.token, { name: '周会 📅' }));
    expectOk(await setRole(owner, group.id, joiner.user.id, 'admin'));
    expectOk(await call('DELETE', `/groups/${group.id}/members/${joiner.user.id}`, joiner.token), 204);

    const feed = await eventsOf(owner.token, group.id, 0);
    expect(feed.hasMore).toBe(false);
    expect(feed.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'member.joined'],
      [2, 'conversation.updated'],
      [3, 'member.updated'],
      [4, 'member.left'],
    ]);
    for (const event of feed.events) {
      expect(event.conversationId).toBe(group.id);
      expect(event.createdAt).toMatch(ISO_WITH_ZONE);
    }
    const [joined, updated, roleChanged, left] = feed.events as [WireEvent, WireEvent, WireEvent, WireEvent];

    expect(Object.keys(joined).sort()).toEqual(['conversationId', 'createdAt', 'member', 'seq', 'type']);
    expectMemberShape(joined.member!);
    expect(joined.member).toMatchObject({ user: { id: joiner.user.id }, role: 'member' });

    // Besides the contract's fields: who made the change and what it set (docs/protocol.md).
    expect(Object.keys(updated).sort()).toEqual(['by', 'changes', 'conversation', 'conversationId', 'createdAt', 'seq', 'type']);
    expect(updated).toMatchObject({ by: owner.user.id, changes: { name: '周会 📅' } });
    const shared = updated.conversation!;
    expect(shared).toMatchObject({ id: group.id, kind: 'group', name: '周会 📅', visibility: 'public' });
    for (const perViewer of ['unreadCount', 'lastReadSeq', 'mentionCount', 'peer']) expect(shared).not.toHaveProperty(perViewer);

    expect(Object.keys(roleChanged).sort()).toEqual(['by', 'conversationId', 'createdAt', 'member', 'previousRole', 'seq', 'type']);
    expect(roleChanged.member).toMatchObject({ user: { id: joiner.user.id }, role: 'admin' });
    expect(roleChanged).toMatchObject({ by: owner.user.id, previousRole: 'member' });

    expect(Object.keys(left).sort()).toEqual(['conversationId', 'createdAt', 'member', 'seq', 'type']);
    expect(left.member).toMatchObject({ user: { id: joiner.user.id } });

    const read = await getGroup(owner.token, group.id);
    expect((read.json() as Conversation).lastSeq).toBe(4);
  });

  it('returns only the events after the given seq', async () => {
    const [owner, a, b] = await Promise.all([register(app), register(app), register(app)]);
    const group = await createGroup(owner);
    expectOk(await addMember(owner, group.id, a.user.id), 201);
    expectOk(await addMember(owner, group.id, b.user.id), 201);
    expectOk(await call('PATCH', `/groups/${group.id}`, owner.token, { description: 'd' }));
    const feed = await eventsOf(owner.token, group.id, 1);
    expect(feed.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(feed.events[0]?.member?.user.id).toBe(b.user.id);
    expect((await eventsOf(a.token, group.id, 3)).events).toEqual([]);
  });

  it('records a removal by an admin as member.left and a repeated add as no event', async () => {
    const [owner, a] = await Promise.all([register(app), register(app)]);
    const group = await createGroup(owner);
    expectOk(await addMember(owner, group.id, a.user.id), 201);
    expectOk(await addMember(owner, group.id, a.user.id), 200);
    expectOk(await call('DELETE', `/groups/${group.id}/members/${a.user.id}`, owner.token), 204);
    const feed = await eventsOf(owner.token, group.id, 0);
    expect(feed.events.map((e) => [e.seq, e.type, e.member?.user.id])).toEqual([
      [1, 'member.joined', a.user.id],
      [2, 'member.left', a.user.id],
    ]);
  });

  it('records an ownership handover as member.updated events for both users', async () => {
    const [owner, heir] = await Promise.all([register(app), register(app)]);
    const group = await createGroup(owner, { memberIds: [heir.user.id] });
    expectOk(await setRole(owner, group.id, heir.user.id, 'owner'));
    const feed = await eventsOf(heir.token, group.id, 0);
    expect(feed.events.every((e) => e.type === 'member.updated')).toBe(true);
    expect(feed.events.map((e) => e.seq)).toEqual(feed.events.map((_e, i) => i + 1));
    const last = new Map(feed.events.map((e) => [e.member!.user.id, e.member!.role]));
    expect(Object.fromEntries(last)).toEqual({ [heir.user.id]: 'owner', [owner.user.id]: 'admin' });
  });

  it('hides the feed of a private group from a non-member: 404 not_found', async () => {
    const { outsider, group } = await groupWithRoles('private');
    expectError(await call('GET', `/conversations/${group.id}/events?after=0`, outsider.token), 404, 'not_found');
  });
});
