import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/sql.js';
import { ParleyApi } from '../../src/client/index.js';
import { apiCaller, register, uniqueName, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

// Issue 26.4: anyone may add a person to a group (as in Slack and Zulip); whoever was added by
// someone else leaves with one click and refuses further adds by that person.
let t: TestServer;
const call = apiCaller(() => t.app);
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t?.close());

type Res = { statusCode: number; body: string; json(): { error: { code: string; details?: { userIds?: string[] } } } };
function expectStatus(res: Res, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  if (code) expect(res.json().error.code).toBe(code);
}

async function group(owner: Account, members: Account[] = []): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: uniqueName('g'), memberIds: members.map((m) => m.user.id) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function membership(groupId: string, viewer: Account, userId: string): Promise<{ addedBy: string | null } | undefined> {
  const members = (await call('GET', `/groups/${groupId}/members`, viewer)).json().members as { user: { id: string }; addedBy: string | null }[];
  return members.find((m) => m.user.id === userId);
}

it('records who added each member: the creator for founding members, the admin for later adds, nobody for a self-join', async () => {
  const [owner, founder, later, joiner] = [await register(t.app), await register(t.app), await register(t.app), await register(t.app)];
  const g = await group(owner, [founder]);
  expect((await call('PATCH', `/groups/${g}`, owner, { visibility: 'public' })).statusCode).toBe(200);
  expectStatus(await call('POST', `/groups/${g}/members`, owner, { userId: later.user.id }), 201);
  expectStatus(await call('POST', `/groups/${g}/members`, joiner, { userId: joiner.user.id }), 201);
  expect(await membership(g, owner, owner.user.id)).toMatchObject({ addedBy: null });
  expect(await membership(g, owner, founder.user.id)).toMatchObject({ addedBy: owner.user.id });
  expect(await membership(g, owner, later.user.id)).toMatchObject({ addedBy: owner.user.id });
  expect(await membership(g, owner, joiner.user.id)).toMatchObject({ addedBy: null });
});

it('leaving with blockAdder refuses further adds by that person, to any group and at creation (403 add_blocked); others may still add', async () => {
  const [spammer, victim, friend] = [await register(t.app), await register(t.app), await register(t.app)];
  const g = await group(spammer, [victim, friend]);
  // The member.left event others see, and the member.joined one, carry addedBy.
  const ws = await WsClient.connect(t.wsUrl, friend.token);
  try {
    expectStatus(await call('DELETE', `/groups/${g}/members/${victim.user.id}?blockAdder=true`, victim), 204);
    const left = await ws.next((f) => f.type === 'member.left' && f.member.user.id === victim.user.id);
    expect(left.member.addedBy).toBe(spammer.user.id);
  } finally {
    ws.close();
  }
  expect(await membership(g, spammer, victim.user.id)).toBeUndefined();

  const again = await call('POST', `/groups/${g}/members`, spammer, { userId: victim.user.id });
  expectStatus(again, 403, 'add_blocked');
  const other = await group(spammer);
  expectStatus(await call('POST', `/groups/${other}/members`, spammer, { userId: victim.user.id }), 403, 'add_blocked');
  const created = await call('POST', '/groups', spammer, { name: 'again', memberIds: [victim.user.id, friend.user.id] });
  expectStatus(created, 403, 'add_blocked');
  expect(created.json().error.details?.userIds).toEqual([victim.user.id]);
  // Nothing half-made: the refused creation left no group behind.
  const mine = (await call('GET', '/groups?scope=mine', friend)).json().groups as { name: string }[];
  expect(mine.map((x) => x.name)).not.toContain('again');

  // Someone else may still add the victim, and the victim may still join public groups themselves.
  const friendly = await group(friend);
  expectStatus(await call('POST', `/groups/${friendly}/members`, friend, { userId: victim.user.id }), 201);
  expect((await call('PATCH', `/groups/${other}`, spammer, { visibility: 'public' })).statusCode).toBe(200);
  expectStatus(await call('POST', `/groups/${other}/members`, victim, { userId: victim.user.id }), 201);

  // The victim sees the block and may lift it.
  const blocks = (await call('GET', '/users/me/add-blocks', victim)).json();
  expect(blocks.blocks.map((b: { user: { id: string } }) => b.user.id)).toEqual([spammer.user.id]);
  expect(blocks.nextCursor).toBeNull();
  expectStatus(await call('DELETE', `/users/me/add-blocks/${spammer.user.id}`, victim), 204);
  expectStatus(await call('POST', `/groups/${g}/members`, spammer, { userId: victim.user.id }), 201);
});

it('a plain leave blocks nobody; blockAdder after a self-join blocks nobody; blockAdder on someone else is 400', async () => {
  const [owner, member, joiner] = [await register(t.app), await register(t.app), await register(t.app)];
  const g = await group(owner, [member]);
  expectStatus(await call('DELETE', `/groups/${g}/members/${member.user.id}`, member), 204);
  expectStatus(await call('POST', `/groups/${g}/members`, owner, { userId: member.user.id }), 201);
  expectStatus(await call('DELETE', `/groups/${g}/members/${member.user.id}?blockAdder=true`, owner), 400, 'validation_failed');

  expect((await call('PATCH', `/groups/${g}`, owner, { visibility: 'public' })).statusCode).toBe(200);
  expectStatus(await call('POST', `/groups/${g}/members`, joiner, { userId: joiner.user.id }), 201);
  expectStatus(await call('DELETE', `/groups/${g}/members/${joiner.user.id}?blockAdder=true`, joiner), 204);
  expect((await call('GET', '/users/me/add-blocks', joiner)).json().blocks).toEqual([]);
  expectStatus(await call('DELETE', `/groups/${g}/members/${joiner.user.id}?blockAdder=maybe`, joiner), 400, 'validation_failed');
});

it('blocks anyone beforehand (PUT /users/me/add-blocks/{userId}), idempotently; unknown users are 404, oneself 400', async () => {
  const [me, pest] = [await register(t.app), await register(t.app)];
  expectStatus(await call('PUT', `/users/me/add-blocks/${pest.user.id}`, me), 204);
  expectStatus(await call('PUT', `/users/me/add-blocks/${pest.user.id}`, me), 204);
  expectStatus(await call('POST', '/groups', pest, { name: 'nope', memberIds: [me.user.id] }), 403, 'add_blocked');
  expectStatus(await call('PUT', `/users/me/add-blocks/00000000-0000-4000-8000-000000000000`, me), 404, 'not_found');
  expectStatus(await call('PUT', `/users/me/add-blocks/not-a-uuid`, me), 404, 'not_found');
  expectStatus(await call('PUT', `/users/me/add-blocks/${me.user.id}`, me), 400, 'validation_failed');
  expect((await call('GET', '/users/me/add-blocks', me)).json().blocks).toHaveLength(1);
  expectStatus(await call('DELETE', `/users/me/add-blocks/${pest.user.id}`, me), 204);
  expectStatus(await call('DELETE', `/users/me/add-blocks/${pest.user.id}`, me), 204);
  expectStatus(await call('POST', '/groups', pest, { name: 'fine now', memberIds: [me.user.id] }), 201);
});

it('the typed client: leaveGroup with blockAdder, listAddBlocks, blockAdds, unblockAdds', async () => {
  const [spammer, victim] = [await register(t.app), await register(t.app)];
  const g = await group(spammer, [victim]);
  const api = new ParleyApi({ baseUrl: t.httpUrl, token: victim.token });
  await api.leaveGroup(g, victim.user.id, { blockAdder: true });
  expect((await api.listAddBlocks()).blocks.map((b) => b.user.id)).toEqual([spammer.user.id]);
  await api.unblockAdds(spammer.user.id);
  expect((await api.listAddBlocks()).blocks).toEqual([]);
  await api.blockAdds(spammer.user.id);
  const spammerApi = new ParleyApi({ baseUrl: t.httpUrl, token: spammer.token });
  await expect(spammerApi.addMember(g, victim.user.id)).rejects.toMatchObject({ status: 403, code: 'add_blocked' });
});

it('erasing an account removes its add-blocks, both the ones it set and the ones set against it', async () => {
  const [a, b, c] = [await register(t.app), await register(t.app), await register(t.app)];
  expectStatus(await call('PUT', `/users/me/add-blocks/${b.user.id}`, a), 204);
  expectStatus(await call('PUT', `/users/me/add-blocks/${a.user.id}`, c), 204);
  expectStatus(await call('DELETE', '/users/me', a, { password: 'correct horse' }), 204);
  const left = await queryRows<{ n: number }>(
    t.database.db,
    sql`SELECT count(*)::int AS n FROM add_blocks WHERE user_id = ${a.user.id}::uuid OR blocked_user_id = ${a.user.id}::uuid`,
  );
  expect(left[0]!.n).toBe(0);
  expect((await call('GET', '/users/me/add-blocks', c)).json().blocks).toEqual([]);
});

it('GET /users/me/add-blocks refuses a bad cursor or an unknown parameter (400)', async () => {
  const me = await register(t.app);
  expectStatus(await call('GET', '/users/me/add-blocks?cursor=garbage', me), 400, 'validation_failed');
  expectStatus(await call('GET', '/users/me/add-blocks?nope=1', me), 400, 'validation_failed');
});
