/**
 * Group moderation (CONTRACT.md's mutes and bans rows): a muted member's sends, edits and
 * reactions get 403 `muted` until the mute ends, over REST and WebSocket; a banned user is
 * removed and cannot rejoin or be added; both write events and audit entries; who may do it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { apiCaller, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let server: TestServer;
const call = apiCaller(() => server.app);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function expectStatus(res: LightMyRequestResponse, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  if (code) expect(res.json().error.code).toBe(code);
}

const inAMinute = (): string => new Date(Date.now() + 60_000).toISOString();

/** A group with an owner, an admin and two plain members. */
async function setup(visibility: 'public' | 'private' = 'private') {
  const [owner, admin, member, other] = await Promise.all([1, 2, 3, 4].map(() => register(server.app)));
  const res = await call('POST', '/groups', owner!, { name: '版主测试 moderation', visibility, memberIds: [admin!.user.id, member!.user.id, other!.user.id] });
  const groupId = res.json().id as string;
  expectStatus(await call('PATCH', `/groups/${groupId}/members/${admin!.user.id}`, owner!, { role: 'admin' }), 200);
  return { owner: owner!, admin: admin!, member: member!, other: other!, groupId };
}

async function send(who: Account, groupId: string, body: string): Promise<LightMyRequestResponse> {
  return call('POST', `/conversations/${groupId}/messages`, who, { body });
}

async function auditActions(siteAdmin: Account): Promise<{ action: string; targetUserId: string | null; conversationId: string | null; actorId: string | null; details: Record<string, unknown> }[]> {
  const res = await call('GET', '/admin/audit?limit=100', siteAdmin);
  expectStatus(res, 200);
  return res.json().entries;
}

let siteAdmin: Account;
beforeAll(async () => {
  // The first person to register on a fresh server is its site admin.
  siteAdmin = await register(server.app);
});

describe('mutes', () => {
  it('a muted member cannot send, edit or react until unmuted; others still can; the member sees mutedUntil', async () => {
    const { admin, member, groupId } = await setup();
    const sent = await send(member, groupId, 'before the mute');
    expectStatus(sent, 201);
    const messageId = sent.json().id as string;

    const until = inAMinute();
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${member.user.id}`, admin, { until }), 204);

    const refused = await send(member, groupId, '我被禁言了吗');
    expectStatus(refused, 403, 'muted');
    expect(refused.json().error.details).toEqual({ mutedUntil: until });
    expectStatus(await call('PATCH', `/messages/${messageId}`, member, { body: 'edited' }), 403, 'muted');
    expectStatus(await call('PUT', `/messages/${messageId}/reactions/${encodeURIComponent('👍')}`, member, undefined), 403, 'muted');
    expectStatus(await send(admin, groupId, 'admins still talk'), 201);

    const members = (await call('GET', `/groups/${groupId}/members`, admin)).json().members as { user: { id: string }; mutedUntil: string | null }[];
    expect(members.find((m) => m.user.id === member.user.id)!.mutedUntil).toBe(until);
    expect(members.find((m) => m.user.id === admin.user.id)!.mutedUntil).toBeNull();

    expectStatus(await call('DELETE', `/groups/${groupId}/mutes/${member.user.id}`, admin), 204);
    expectStatus(await send(member, groupId, 'free again'), 201);
  });

  it('writes member.updated events with mutedUntil, and audit entries', async () => {
    const { admin, member, groupId } = await setup();
    const until = inAMinute();
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${member.user.id}`, admin, { until }), 204);
    expectStatus(await call('DELETE', `/groups/${groupId}/mutes/${member.user.id}`, admin), 204);
    // Unmuting someone not muted changes nothing and writes no event.
    expectStatus(await call('DELETE', `/groups/${groupId}/mutes/${member.user.id}`, admin), 204);
    const events = (await call('GET', `/conversations/${groupId}/events?after=0`, member)).json().events as { type: string; member?: { user: { id: string }; mutedUntil: string | null } }[];
    const updates = events.filter((e) => e.type === 'member.updated' && e.member?.user.id === member.user.id);
    expect(updates.map((e) => e.member!.mutedUntil)).toEqual([until, null]);

    const entries = (await auditActions(siteAdmin)).filter((e) => e.conversationId === groupId && e.targetUserId === member.user.id);
    expect(entries.map((e) => e.action)).toEqual(['member.unmuted', 'member.muted']);
    expect(entries[1]!.actorId).toBe(admin.user.id);
    expect(entries[1]!.details).toEqual({ until });
  });

  it('a mute that has run out lets the member send again without an unmute', async () => {
    const { admin, member, groupId } = await setup();
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${member.user.id}`, admin, { until: new Date(Date.now() + 400).toISOString() }), 204);
    expectStatus(await send(member, groupId, 'too soon'), 403, 'muted');
    await new Promise((r) => setTimeout(r, 500));
    expectStatus(await send(member, groupId, 'the mute ran out'), 201);
  });

  it('a muted member gets an error frame with code muted over WebSocket, and the socket stays open', async () => {
    const { admin, member, groupId } = await setup();
    const ws = await WsClient.connect(server.wsUrl, member.token);
    try {
      expectStatus(await call('PUT', `/groups/${groupId}/mutes/${member.user.id}`, admin, { until: inAMinute() }), 204);
      const reply = await ws.request({ type: 'message.send', conversationId: groupId, body: 'hello?', clientMsgId: 'muted-1' });
      expect(reply.type).toBe('error');
      expect(reply.error.code).toBe('muted');
      const pong = await ws.request({ type: 'ping' });
      expect(pong.type).toBe('pong');
      // The mute reached the member's socket as an event.
      const ev = await ws.next((f) => f.type === 'member.updated' && f.member.user.id === member.user.id);
      expect(ev.member.mutedUntil).not.toBeNull();
    } finally {
      ws.close();
    }
  });

  it('who may mute: admins over plain members, only the owner over admins, nobody over the owner', async () => {
    const { owner, admin, member, other, groupId } = await setup();
    const until = inAMinute();
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${other.user.id}`, member, { until }), 403, 'forbidden');
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${owner.user.id}`, admin, { until }), 403, 'forbidden');
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${admin.user.id}`, admin, { until }), 400, 'validation_failed');
    const admin2 = await register(server.app);
    expectStatus(await call('POST', `/groups/${groupId}/members`, owner, { userId: admin2.user.id }), 201);
    expectStatus(await call('PATCH', `/groups/${groupId}/members/${admin2.user.id}`, owner, { role: 'admin' }), 200);
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${admin2.user.id}`, admin, { until }), 403, 'forbidden');
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${admin2.user.id}`, owner, { until }), 204);
    // A stranger to a private group learns nothing: 404.
    const stranger = await register(server.app);
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${member.user.id}`, stranger, { until }), 404, 'not_found');
    // A user who is not a member cannot be muted.
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${stranger.user.id}`, admin, { until }), 404, 'not_found');
  });

  it('leaving and rejoining a public group does not lift a mute', async () => {
    const { admin, member, groupId } = await setup('public');
    const until = inAMinute();
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${member.user.id}`, admin, { until }), 204);
    expectStatus(await call('DELETE', `/groups/${groupId}/members/${member.user.id}`, member), 204);
    expectStatus(await call('POST', `/groups/${groupId}/members`, member, { userId: member.user.id }), 201);
    expectStatus(await send(member, groupId, 'back, and unmuted?'), 403, 'muted');
    // Lifting the mute lifts it for good.
    expectStatus(await call('DELETE', `/groups/${groupId}/mutes/${member.user.id}`, admin), 204);
    expectStatus(await call('DELETE', `/groups/${groupId}/members/${member.user.id}`, member), 204);
    expectStatus(await call('POST', `/groups/${groupId}/members`, member, { userId: member.user.id }), 201);
    expectStatus(await send(member, groupId, 'free'), 201);
  });

  it('handing ownership to a muted member lifts the mute (the owner cannot be muted)', async () => {
    const { owner, admin, member, groupId } = await setup();
    expectStatus(await call('PUT', `/groups/${groupId}/mutes/${member.user.id}`, admin, { until: inAMinute() }), 204);
    expectStatus(await call('PATCH', `/groups/${groupId}/members/${member.user.id}`, owner, { role: 'owner' }), 200);
    expectStatus(await send(member, groupId, 'the new owner speaks'), 201);
  });

  it('refuses a bad until with 400', async () => {
    const { admin, member, groupId } = await setup();
    const url = `/groups/${groupId}/mutes/${member.user.id}`;
    expectStatus(await call('PUT', url, admin, { until: new Date(Date.now() - 1000).toISOString() }), 400, 'validation_failed');
    expectStatus(await call('PUT', url, admin, { until: 'tomorrow' }), 400, 'validation_failed');
    expectStatus(await call('PUT', url, admin, { until: '+275760-09-13T00:00:00.000Z' }), 400, 'validation_failed');
    expectStatus(await call('PUT', url, admin, {}), 400, 'validation_failed');
    expectStatus(await call('PUT', url, admin, { until: inAMinute(), extra: 1 }), 400, 'validation_failed');
  });
});

describe('bans', () => {
  it('removes the member with a member.left event (reason banned) that reaches them, and they cannot rejoin a public group', async () => {
    const { admin, member, groupId } = await setup('public');
    const ws = await WsClient.connect(server.wsUrl, member.token);
    try {
      expectStatus(await call('PUT', `/groups/${groupId}/bans/${member.user.id}`, admin), 204);
      const left = await ws.next((f) => f.type === 'member.left' && f.conversationId === groupId);
      expect(left.member.user.id).toBe(member.user.id);
      expect(left.reason).toBe('banned');
    } finally {
      ws.close();
    }
    expectStatus(await send(member, groupId, 'still here?'), 403, 'forbidden');
    expectStatus(await call('POST', `/groups/${groupId}/members`, member, { userId: member.user.id }), 403, 'forbidden');
    expectStatus(await call('POST', `/groups/${groupId}/members`, admin, { userId: member.user.id }), 409, 'conflict');
    const group = (await call('GET', `/groups/${groupId}`, admin)).json();
    expect(group.memberCount).toBe(3);

    // Banning again is a no-op; the ban is listed for admins only.
    expectStatus(await call('PUT', `/groups/${groupId}/bans/${member.user.id}`, admin), 204);
    const bans = (await call('GET', `/groups/${groupId}/bans`, admin)).json();
    expect(bans.bans.map((b: { user: { id: string } }) => b.user.id)).toEqual([member.user.id]);
    expect(bans.bans[0].bannedBy).toBe(admin.user.id);

    // Lifting the ban lets them join again (it does not add them back by itself).
    expectStatus(await call('DELETE', `/groups/${groupId}/bans/${member.user.id}`, admin), 204);
    expectStatus(await send(member, groupId, 'not yet back'), 403, 'forbidden');
    expectStatus(await call('POST', `/groups/${groupId}/members`, member, { userId: member.user.id }), 201);
    expectStatus(await send(member, groupId, '我回来了'), 201);
  });

  it('a user can be banned before joining; the ban and its lifting are audited', async () => {
    const { admin, groupId } = await setup('public');
    const outsider = await register(server.app);
    expectStatus(await call('PUT', `/groups/${groupId}/bans/${outsider.user.id}`, admin), 204);
    expectStatus(await call('POST', `/groups/${groupId}/members`, outsider, { userId: outsider.user.id }), 403, 'forbidden');
    expectStatus(await call('DELETE', `/groups/${groupId}/bans/${outsider.user.id}`, admin), 204);
    const entries = (await auditActions(siteAdmin)).filter((e) => e.conversationId === groupId && e.action.endsWith('banned'));
    expect(entries.map((e) => [e.action, e.targetUserId, e.actorId])).toEqual([
      ['member.unbanned', outsider.user.id, admin.user.id],
      ['member.banned', outsider.user.id, admin.user.id],
    ]);
    expect(entries[1]!.details).toEqual({ wasMember: false });
  });

  it('who may ban: admins over plain members, only the owner over admins; plain members and strangers may not', async () => {
    const { owner, admin, member, other, groupId } = await setup();
    expectStatus(await call('PUT', `/groups/${groupId}/bans/${other.user.id}`, member), 403, 'forbidden');
    expectStatus(await call('GET', `/groups/${groupId}/bans`, member), 403, 'forbidden');
    expectStatus(await call('PUT', `/groups/${groupId}/bans/${owner.user.id}`, admin), 403, 'forbidden');
    const stranger = await register(server.app);
    expectStatus(await call('PUT', `/groups/${groupId}/bans/${member.user.id}`, stranger), 404, 'not_found');
    expectStatus(await call('DELETE', `/groups/${groupId}/bans/${member.user.id}`, stranger), 404, 'not_found');
    expectStatus(await call('PUT', `/groups/${groupId}/bans/not-a-uuid`, admin), 404, 'not_found');
    expectStatus(await call('PUT', `/groups/${groupId}/bans/${admin.user.id}`, owner), 204);
    const members = (await call('GET', `/groups/${groupId}/members`, owner)).json().members as { user: { id: string } }[];
    expect(members.map((m) => m.user.id)).not.toContain(admin.user.id);
  });

  it('a removal by an admin says so in member.left and is audited; leaving by oneself is not', async () => {
    const { admin, member, other, groupId } = await setup();
    expectStatus(await call('DELETE', `/groups/${groupId}/members/${member.user.id}`, admin), 204);
    expectStatus(await call('DELETE', `/groups/${groupId}/members/${other.user.id}`, other), 204);
    const events = (await call('GET', `/conversations/${groupId}/events?after=0`, admin)).json().events as { type: string; reason?: string; member: { user: { id: string } } }[];
    const left = events.filter((e) => e.type === 'member.left');
    expect(left.map((e) => [e.member.user.id, e.reason])).toEqual([
      [member.user.id, 'removed'],
      [other.user.id, undefined],
    ]);
    const entries = (await auditActions(siteAdmin)).filter((e) => e.conversationId === groupId && e.action === 'member.removed');
    expect(entries.map((e) => e.targetUserId)).toEqual([member.user.id]);
  });
});
