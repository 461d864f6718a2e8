/**
 * Group rules (issue 10): announcement groups (postingPolicy "admins": a plain member's send is
 * refused with 403 `posting_restricted` over REST and WebSocket, judged under the conversation's
 * lock), @all / @here (mentionAllPolicy: who may; whom they mention), pinned messages (who may,
 * the limit, their events live and replayed), and PATCH /groups validation.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let server: TestServer;
const call = apiCaller(() => server.app);

beforeAll(async () => {
  server = await startTestServer();
}, 120_000);
afterAll(async () => {
  await server?.close();
});

function expectStatus(res: LightMyRequestResponse, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  if (code) expect(res.json().error.code).toBe(code);
}

/** A group with an owner, an admin and two plain members (`extra` more plain members). */
async function setup(body: Record<string, unknown> = {}, extra = 0) {
  const people = await Promise.all(Array.from({ length: 4 + extra }, () => register(server.app)));
  const [owner, admin, member, other, ...rest] = people as [Account, Account, Account, Account, ...Account[]];
  const res = await call('POST', '/groups', owner, {
    name: '群规 rules',
    memberIds: [admin.user.id, member.user.id, other.user.id, ...rest.map((a) => a.user.id)],
    ...body,
  });
  expectStatus(res, 201);
  const groupId = res.json().id as string;
  expectStatus(await call('PATCH', `/groups/${groupId}/members/${admin.user.id}`, owner, { role: 'admin' }), 200);
  return { owner, admin, member, other, rest, groupId };
}

const send = (who: Account, id: string, body: string, extra: Record<string, unknown> = {}) =>
  call('POST', `/conversations/${id}/messages`, who, { body, ...extra });

describe('policies on the Conversation resource', () => {
  it('a new group has postingPolicy "everyone" and mentionAllPolicy "admins"; a direct conversation null for both', async () => {
    const { owner, member, groupId } = await setup();
    const g = (await call('GET', `/groups/${groupId}`, member)).json();
    expect(g.postingPolicy).toBe('everyone');
    expect(g.mentionAllPolicy).toBe('admins');
    const d = await call('POST', '/conversations/direct', owner, { userId: member.user.id });
    expect(d.json().postingPolicy).toBeNull();
    expect(d.json().mentionAllPolicy).toBeNull();
  });

  it('POST /groups takes both policies', async () => {
    const owner = await register(server.app);
    const res = await call('POST', '/groups', owner, { name: 'announcements', postingPolicy: 'admins', mentionAllPolicy: 'nobody' });
    expectStatus(res, 201);
    expect(res.json()).toMatchObject({ postingPolicy: 'admins', mentionAllPolicy: 'nobody' });
  });

  it('PATCH /groups/{id}: admins change the policies and members get conversation.updated; plain members 403; bad values 400', async () => {
    const { admin, member, groupId } = await setup();
    const ws = await WsClient.connect(server.wsUrl, member.token);
    try {
      const res = await call('PATCH', `/groups/${groupId}`, admin, { postingPolicy: 'admins', mentionAllPolicy: 'everyone' });
      expectStatus(res, 200);
      expect(res.json()).toMatchObject({ postingPolicy: 'admins', mentionAllPolicy: 'everyone' });
      const ev = await ws.next((f) => f.type === 'conversation.updated' && f.conversationId === groupId);
      expect(ev.conversation).toMatchObject({ postingPolicy: 'admins', mentionAllPolicy: 'everyone' });
      expect(typeof ev.seq).toBe('number');
    } finally {
      ws.close();
    }
    expectStatus(await call('PATCH', `/groups/${groupId}`, member, { postingPolicy: 'everyone' }), 403, 'forbidden');
    for (const body of [{ postingPolicy: 'members' }, { mentionAllPolicy: 'all' }, { postingPolicy: null }, { mentionAllPolicy: 3 }, { description: 'x'.repeat(1001) }]) {
      expectStatus(await call('PATCH', `/groups/${groupId}`, admin, body), 400, 'validation_failed');
    }
    // Nothing changed by the refused ones.
    expect((await call('GET', `/groups/${groupId}`, member)).json()).toMatchObject({ postingPolicy: 'admins', mentionAllPolicy: 'everyone' });
  });

  it('a description of 1000 characters (Chinese and emoji) round-trips; the replay of conversation.updated shows it', async () => {
    const { owner, member, groupId } = await setup();
    const description = '公告🎉'.repeat(333) + '说';
    expect([...description].length).toBe(1000);
    expectStatus(await call('PATCH', `/groups/${groupId}`, owner, { description }), 200);
    expect((await call('GET', `/conversations/${groupId}`, member)).json().description).toBe(description);
    const events = (await call('GET', `/conversations/${groupId}/events?after=0`, member)).json().events as { type: string; conversation?: { description: string } }[];
    expect(events.find((e) => e.type === 'conversation.updated')!.conversation!.description).toBe(description);
  });
});

describe('announcement groups', () => {
  it('a plain member is refused over REST (403 posting_restricted) and nothing is stored; admins, the owner and bots-as-members are judged alike', async () => {
    const { owner, admin, member, groupId } = await setup({ postingPolicy: 'admins' });
    const before = (await call('GET', `/conversations/${groupId}`, owner)).json().lastSeq as number;
    expectStatus(await send(member, groupId, 'may I?'), 403, 'posting_restricted');
    // A reply is a send too; so is a send with attachments (the other store path).
    const ownerMsg = await send(owner, groupId, '公告: welcome');
    expectStatus(ownerMsg, 201);
    expectStatus(await send(member, groupId, 'a reply', { replyTo: ownerMsg.json().id }), 403, 'posting_restricted');
    expectStatus(await send(admin, groupId, 'admins post'), 201);
    const after = (await call('GET', `/conversations/${groupId}`, owner)).json().lastSeq as number;
    expect(after).toBe(before + 2); // no seq taken by the refusals
    const history = (await call('GET', `/conversations/${groupId}/messages`, member)).json().messages as { body: string }[];
    expect(history.map((m) => m.body)).toEqual(['公告: welcome', 'admins post']);
  });

  it('a bot (an API token) that is a plain member is refused too', async () => {
    const { owner, groupId } = await setup({ postingPolicy: 'admins' });
    const botRes = await call('POST', '/bots', owner, { username: `bot_${randomUUID().slice(0, 8)}` });
    expectStatus(botRes, 201);
    const bot: Account = { user: botRes.json().user, token: botRes.json().token } as Account;
    expectStatus(await call('POST', `/groups/${groupId}/members`, owner, { userId: bot.user.id }), 201);
    expectStatus(await send(bot, groupId, 'beep'), 403, 'posting_restricted');
  });

  it('a plain member gets an error frame with code posting_restricted over WebSocket; the socket stays open', async () => {
    const { admin, member, groupId } = await setup({ postingPolicy: 'admins' });
    const ws = await WsClient.connect(server.wsUrl, member.token);
    try {
      const reply = await ws.request({ type: 'message.send', conversationId: groupId, body: 'hello?', clientMsgId: randomUUID() });
      expect(reply.type).toBe('error');
      expect(reply.error.code).toBe('posting_restricted');
      expect((await ws.request({ type: 'ping' })).type).toBe('pong');
      // The admin's post still reaches the member live.
      expectStatus(await send(admin, groupId, 'announcement 1'), 201);
      await ws.next((f) => f.type === 'message.created' && f.message.body === 'announcement 1');
    } finally {
      ws.close();
    }
  });

  it('reactions and edits by plain members stay allowed', async () => {
    const { admin, member, groupId } = await setup();
    const mine = await send(member, groupId, 'before the rule');
    expectStatus(mine, 201);
    const theirs = await send(admin, groupId, 'rule coming');
    expectStatus(await call('PATCH', `/groups/${groupId}`, admin, { postingPolicy: 'admins' }), 200);
    expectStatus(await call('PUT', `/messages/${theirs.json().id}/reactions/${encodeURIComponent('👍')}`, member), 204);
    expectStatus(await call('PATCH', `/messages/${mine.json().id}`, member, { body: 'edited after the rule' }), 200);
  });

  it('a policy change takes effect at once both ways, and a promotion or demotion too', async () => {
    const { owner, admin, member, groupId } = await setup();
    expectStatus(await send(member, groupId, 'open group'), 201);
    expectStatus(await call('PATCH', `/groups/${groupId}`, admin, { postingPolicy: 'admins' }), 200);
    expectStatus(await send(member, groupId, 'now closed'), 403, 'posting_restricted');
    expectStatus(await call('PATCH', `/groups/${groupId}/members/${member.user.id}`, owner, { role: 'admin' }), 200);
    expectStatus(await send(member, groupId, 'promoted'), 201);
    expectStatus(await call('PATCH', `/groups/${groupId}/members/${member.user.id}`, owner, { role: 'member' }), 200);
    expectStatus(await send(member, groupId, 'demoted'), 403, 'posting_restricted');
    expectStatus(await call('PATCH', `/groups/${groupId}`, admin, { postingPolicy: 'everyone' }), 200);
    expectStatus(await send(member, groupId, 'open again'), 201);
  });

  it('a repeat of a clientMsgId stored before the rule returns the stored message (200), not the refusal', async () => {
    const { admin, member, groupId } = await setup();
    const clientMsgId = randomUUID();
    expectStatus(await send(member, groupId, 'sent once', { clientMsgId }), 201);
    expectStatus(await call('PATCH', `/groups/${groupId}`, admin, { postingPolicy: 'admins' }), 200);
    const again = await send(member, groupId, 'sent once', { clientMsgId });
    expectStatus(again, 200);
    expect(again.json().body).toBe('sent once');
  });

  it('race: sends racing a demotion and a policy change are judged under the lock, each by the state it found', async () => {
    const { owner, admin, member, groupId } = await setup();
    expectStatus(await call('PATCH', `/groups/${groupId}/members/${member.user.id}`, owner, { role: 'admin' }), 200);
    expectStatus(await call('PATCH', `/groups/${groupId}`, admin, { postingPolicy: 'admins' }), 200);
    // Many sends in flight while the owner demotes the member: every send before the demotion's
    // seq was stored, every one after it refused; none in between.
    const sends = Array.from({ length: 30 }, (_, i) => send(member, groupId, `race ${i}`, { clientMsgId: `race-${i}` }));
    const demote = call('PATCH', `/groups/${groupId}/members/${member.user.id}`, owner, { role: 'member' });
    const results = await Promise.all(sends);
    expectStatus(await demote, 200);
    for (const r of results) expect([201, 403]).toContain(r.statusCode);
    for (const r of results.filter((x) => x.statusCode === 403)) expect(r.json().error.code).toBe('posting_restricted');
    const events = (await call('GET', `/conversations/${groupId}/events?after=0&limit=100`, owner)).json().events as { type: string; seq: number; member?: { user: { id: string }; role: string } }[];
    const demotion = events.find((e) => e.type === 'member.updated' && e.member!.user.id === member.user.id && e.member!.role === 'member')!;
    expect(demotion).toBeDefined();
    const stored = events.filter((e) => e.type === 'message.created');
    expect(stored.length).toBe(results.filter((r) => r.statusCode === 201).length);
    for (const e of stored) expect(e.seq).toBeLessThan(demotion.seq);
    // After it, no send of theirs gets through.
    expectStatus(await send(member, groupId, 'after'), 403, 'posting_restricted');
  });
});

describe('@all and @here', () => {
  it('by default only admins may use @all; a plain member gets 403 mention_all_forbidden and nothing is stored (@here alike)', async () => {
    const { owner, member, groupId } = await setup();
    const before = (await call('GET', `/conversations/${groupId}`, owner)).json().lastSeq as number;
    expectStatus(await send(member, groupId, 'hey @all look'), 403, 'mention_all_forbidden');
    expectStatus(await send(member, groupId, '@here anyone?'), 403, 'mention_all_forbidden');
    expect((await call('GET', `/conversations/${groupId}`, owner)).json().lastSeq).toBe(before);
    // Not a mention: an e-mail address, a longer name, another word.
    expectStatus(await send(member, groupId, 'mail me at x@all.example or @allison, small@here'), 201);
  });

  it('@all from an admin mentions every other member: mentions and mentionCount for each', async () => {
    const { owner, admin, member, other, rest, groupId } = await setup({}, 2);
    const res = await send(admin, groupId, '通知 @ALL: meeting at 10.');
    expectStatus(res, 201);
    const everyoneElse = [owner, member, other, ...rest].map((a) => a.user.id);
    expect([...res.json().mentions].sort()).toEqual([...everyoneElse].sort());
    for (const who of [owner, member, other, ...rest]) {
      expect((await call('GET', `/conversations/${groupId}`, who)).json().mentionCount).toBe(1);
    }
    expect((await call('GET', `/conversations/${groupId}`, admin)).json().mentionCount).toBe(0);
  });

  it('@here mentions only the members online now', async () => {
    const { admin, member, other, groupId } = await setup();
    const ws = await WsClient.connect(server.wsUrl, member.token);
    try {
      const res = await send(admin, groupId, '@here quick poll');
      expectStatus(res, 201);
      expect(res.json().mentions).toContain(member.user.id);
      expect(res.json().mentions).not.toContain(other.user.id);
      expect(res.json().mentions).not.toContain(admin.user.id);
      const live = await ws.next((f) => f.type === 'message.created' && f.message.id === res.json().id);
      expect(live.message.mentions).toContain(member.user.id);
      expect((await call('GET', `/conversations/${groupId}`, member)).json().mentionCount).toBe(1);
      expect((await call('GET', `/conversations/${groupId}`, other)).json().mentionCount).toBe(0);
    } finally {
      ws.close();
    }
  });

  it('mentionAllPolicy "everyone" lets plain members; "nobody" refuses even the owner', async () => {
    const { owner, admin, member, groupId } = await setup({ mentionAllPolicy: 'everyone' });
    const ok = await send(member, groupId, '@all from a member');
    expectStatus(ok, 201);
    expect(ok.json().mentions).toContain(owner.user.id);
    expectStatus(await call('PATCH', `/groups/${groupId}`, admin, { mentionAllPolicy: 'nobody' }), 200);
    expectStatus(await send(owner, groupId, '@all from the owner'), 403, 'mention_all_forbidden');
    expectStatus(await send(member, groupId, '@here'), 403, 'mention_all_forbidden');
  });

  it('over WebSocket the refusal is an error frame with mention_all_forbidden', async () => {
    const { member, groupId } = await setup();
    const ws = await WsClient.connect(server.wsUrl, member.token);
    try {
      const reply = await ws.request({ type: 'message.send', conversationId: groupId, body: '@all', clientMsgId: randomUUID() });
      expect(reply.type).toBe('error');
      expect(reply.error.code).toBe('mention_all_forbidden');
    } finally {
      ws.close();
    }
  });

  it('edits are judged alike: a plain member cannot add @all by editing; an admin can, and the mentions follow', async () => {
    const { owner, admin, member, groupId } = await setup();
    const mine = await send(member, groupId, 'plain');
    expectStatus(await call('PATCH', `/messages/${mine.json().id}`, member, { body: 'now @all' }), 403, 'mention_all_forbidden');
    expect((await call('GET', `/messages/${mine.json().id}`, member)).json().body).toBe('plain');
    const theirs = await send(admin, groupId, 'plain too');
    const edited = await call('PATCH', `/messages/${theirs.json().id}`, admin, { body: 'now @all' });
    expectStatus(edited, 200);
    expect(edited.json().mentions).toEqual(expect.arrayContaining([owner.user.id, member.user.id]));
  });

  it('a named mention beside @all is kept once; in a direct conversation @all and @here mean the peer', async () => {
    const [a, b] = await Promise.all([register(server.app), register(server.app)]);
    const d = (await call('POST', '/conversations/direct', a!, { userId: b!.user.id })).json().id as string;
    const res = await send(a!, d, `@all and @here and @${b!.user.username}`);
    expectStatus(res, 201);
    expect(res.json().mentions).toEqual([b!.user.id]);
    expect((await call('GET', `/conversations/${d}`, b!)).json().mentionCount).toBe(1);
  });
});

describe('the names all and here', () => {
  it('cannot be registered as usernames, in any case or with trailing dots (409 username_taken); names that only start with them can', async () => {
    for (const username of ['all', 'ALL', 'here', 'Here', 'all.', 'here..']) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password: 'correct horse battery' } });
      expectStatus(res, 409, 'username_taken');
      expect(res.json().error.message).toContain('reserved');
    }
    const ok = await server.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: `allison_${randomUUID().slice(0, 6)}`, password: 'correct horse battery' } });
    expectStatus(ok, 201);
  });

  it('cannot be given to a bot', async () => {
    const owner = await register(server.app);
    expectStatus(await call('POST', '/bots', owner, { username: 'here' }), 409, 'username_taken');
    expectStatus(await call('POST', '/bots', owner, { username: 'All' }), 409, 'username_taken');
  });
});

describe('pins', () => {
  const pinPath = (groupId: string, messageId: string) => `/conversations/${groupId}/pins/${messageId}`;

  it('admins pin and unpin (204, idempotent); plain members 403; the list is newest first with pinnedBy', async () => {
    const { owner, admin, member, groupId } = await setup();
    const m1 = (await send(member, groupId, 'first 第一')).json().id as string;
    const m2 = (await send(member, groupId, 'second')).json().id as string;
    expectStatus(await call('PUT', pinPath(groupId, m1), member), 403, 'forbidden');
    expectStatus(await call('PUT', pinPath(groupId, m1), admin), 204);
    expectStatus(await call('PUT', pinPath(groupId, m1), admin), 204);
    expectStatus(await call('PUT', pinPath(groupId, m2), owner), 204);
    const list = (await call('GET', `/conversations/${groupId}/pins`, member)).json().pins as { message: { id: string; body: string }; pinnedBy: string; pinnedAt: string }[];
    expect(list.map((p) => p.message.id)).toEqual([m2, m1]);
    expect(list.map((p) => p.pinnedBy)).toEqual([owner.user.id, admin.user.id]);
    expect(list[1]!.message.body).toBe('first 第一');
    expect(list[0]!.pinnedAt).toMatch(/Z$/);
    expectStatus(await call('DELETE', pinPath(groupId, m1), member), 403, 'forbidden');
    expectStatus(await call('DELETE', pinPath(groupId, m1), admin), 204);
    expectStatus(await call('DELETE', pinPath(groupId, m1), admin), 204);
    expect((await call('GET', `/conversations/${groupId}/pins`, member)).json().pins.map((p: { message: { id: string } }) => p.message.id)).toEqual([m2]);
  });

  it('a message of another conversation, an unknown or a malformed id is 404; outsiders of a private group 404', async () => {
    const { admin, groupId } = await setup();
    const elsewhere = await setup();
    const foreign = (await send(elsewhere.member, elsewhere.groupId, 'not yours')).json().id as string;
    expectStatus(await call('PUT', pinPath(groupId, foreign), admin), 404, 'not_found');
    expectStatus(await call('PUT', pinPath(groupId, randomUUID()), admin), 404, 'not_found');
    expectStatus(await call('PUT', pinPath(groupId, 'nope'), admin), 404, 'not_found');
    expectStatus(await call('GET', `/conversations/${elsewhere.groupId}/pins`, admin), 404, 'not_found');
  });

  it('either member of a direct conversation pins', async () => {
    const [a, b] = await Promise.all([register(server.app), register(server.app)]);
    const d = (await call('POST', '/conversations/direct', a!, { userId: b!.user.id })).json().id as string;
    const m = (await send(a!, d, 'pin me')).json().id as string;
    expectStatus(await call('PUT', pinPath(d, m), b!), 204);
    expect((await call('GET', `/conversations/${d}/pins`, a!)).json().pins[0].pinnedBy).toBe(b!.user.id);
  });

  it('at most 50 pins: the 51st is 409 pin_limit_reached; re-pinning one already pinned stays 204; unpinning frees a place', async () => {
    const { admin, groupId } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 51; i++) ids.push((await send(admin, groupId, `pin ${i}`)).json().id as string);
    for (const id of ids.slice(0, 50)) expectStatus(await call('PUT', pinPath(groupId, id), admin), 204);
    expectStatus(await call('PUT', pinPath(groupId, ids[50]!), admin), 409, 'pin_limit_reached');
    expectStatus(await call('PUT', pinPath(groupId, ids[0]!), admin), 204);
    expectStatus(await call('DELETE', pinPath(groupId, ids[0]!), admin), 204);
    expectStatus(await call('PUT', pinPath(groupId, ids[50]!), admin), 204);
    expect((await call('GET', `/conversations/${groupId}/pins`, admin)).json().pins).toHaveLength(50);
  });

  it('message.pinned / message.unpinned arrive live with seq, and replay alike through GET /events and ws sync', async () => {
    const { admin, member, groupId } = await setup();
    const m = (await send(member, groupId, 'important')).json().id as string;
    const start = (await call('GET', `/conversations/${groupId}`, member)).json().lastSeq as number;
    const ws = await WsClient.connect(server.wsUrl, member.token);
    let live: { type: string; seq: number; messageId: string; pinnedBy?: string }[];
    try {
      expectStatus(await call('PUT', pinPath(groupId, m), admin), 204);
      expectStatus(await call('DELETE', pinPath(groupId, m), admin), 204);
      const pinned = await ws.next((f) => f.type === 'message.pinned' && f.conversationId === groupId);
      const unpinned = await ws.next((f) => f.type === 'message.unpinned' && f.conversationId === groupId);
      expect(pinned).toMatchObject({ seq: start + 1, messageId: m, pinnedBy: admin.user.id });
      expect(unpinned).toMatchObject({ seq: start + 2, messageId: m });
      live = [pinned, unpinned].map(({ type, seq, messageId, pinnedBy }) => ({ type, seq, messageId, ...(pinnedBy ? { pinnedBy } : {}) }));
    } finally {
      ws.close();
    }
    const feed = (await call('GET', `/conversations/${groupId}/events?after=${start}`, member)).json().events as Record<string, unknown>[];
    expect(feed.map(({ type, seq, messageId, pinnedBy }) => ({ type, seq, messageId, ...(pinnedBy ? { pinnedBy } : {}) }))).toEqual(live);
    const again = await WsClient.connect(server.wsUrl, member.token, { [groupId]: start });
    try {
      await again.next((f) => f.type === 'sync.done');
      const replayed = again.events(groupId).map(({ type, seq, messageId, pinnedBy }) => ({ type, seq, messageId, ...(pinnedBy ? { pinnedBy } : {}) }));
      expect(replayed).toEqual(live);
    } finally {
      again.close();
    }
  });

  it('a deleted message leaves the pins list and no longer counts; it cannot be pinned again (409)', async () => {
    const { admin, member, groupId } = await setup();
    const m1 = (await send(member, groupId, 'to be deleted')).json().id as string;
    const m2 = (await send(member, groupId, 'stays')).json().id as string;
    expectStatus(await call('PUT', pinPath(groupId, m1), admin), 204);
    expectStatus(await call('PUT', pinPath(groupId, m2), admin), 204);
    expectStatus(await call('DELETE', `/messages/${m1}`, member), 204);
    const pins = (await call('GET', `/conversations/${groupId}/pins`, member)).json().pins as { message: { id: string } }[];
    expect(pins.map((p) => p.message.id)).toEqual([m2]);
    expectStatus(await call('PUT', pinPath(groupId, m1), admin), 409, 'conflict');
  });
});
