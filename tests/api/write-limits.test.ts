import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/sql.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';
import { startPushEndpoint, type PushEndpoint } from '../helpers/push-endpoint.js';

// Issues 24.4 and 26.4: every write one account can repeat cheaply has a per-user budget
// (RATE_LIMIT_*), and what an account or group may hold has a cap (MAX_*). The budgets are set
// to 2 here so each test reaches one in a few requests; the defaults are in tests/unit/config.test.ts.
type Res = { statusCode: number; body: string; headers: Record<string, unknown>; json(): { error: { code: string; details?: { retryAfter?: number; max?: number } } } };

function expectRateLimited(res: Res): void {
  expect(res.statusCode, res.body).toBe(429);
  expect(res.json().error.code).toBe('rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.json().error.details?.retryAfter).toBe(retryAfter);
}

function expectStatus(res: Res, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  if (code) expect(res.json().error.code).toBe(code);
}

const TWO = '2/h';
const LIMITS = {
  RATE_LIMIT: 'on',
  RATE_LIMIT_EDITS_PER_USER: TWO,
  RATE_LIMIT_REACTIONS_PER_USER: TWO,
  RATE_LIMIT_GROUP_CHANGES_PER_USER: TWO,
  RATE_LIMIT_PROFILE_CHANGES_PER_USER: TWO,
  RATE_LIMIT_GROUP_CREATIONS_PER_USER: TWO,
  RATE_LIMIT_DIRECT_CONVERSATIONS_PER_USER: TWO,
  RATE_LIMIT_INVITES_PER_USER: TWO,
  RATE_LIMIT_BOTS_PER_USER: TWO,
  RATE_LIMIT_API_TOKENS_PER_USER: TWO,
  RATE_LIMIT_WEBHOOKS_PER_USER: TWO,
  RATE_LIMIT_PUSH_SUBSCRIPTIONS_PER_USER: TWO,
  RATE_LIMIT_UPLOADS_PER_USER: TWO,
  // Registrations and sends stay out of the way.
  RATE_LIMIT_REGISTER_PER_IP: 'off',
  RATE_LIMIT_SENDS_PER_USER: 'off',
  WEBHOOK_ALLOW_PRIVATE: 'on',
  PUSH_ALLOW_PRIVATE: 'on',
};

describe('per-user write limits (RATE_LIMIT_*)', () => {
  let t: TestApp;
  let push: PushEndpoint;
  let siteAdmin: Account;
  const call = apiCaller(() => t.app);
  beforeAll(async () => {
    t = await startTestApp(LIMITS);
    push = await startPushEndpoint();
    // The first account is the site admin, and is limited like everyone (invites are theirs alone).
    siteAdmin = await register(t.app, uniqueName('siteadmin'));
  });
  afterAll(async () => {
    await t?.close();
    await push?.close();
  });

  /** A fresh account, a group it owns (one of its two creations) with `members`, and a message in it. */
  async function setup(members: Account[] = []): Promise<{ me: Account; groupId: string; messageId: string }> {
    const me = await register(t.app);
    const group = await call('POST', '/groups', me, { name: uniqueName('g'), memberIds: members.map((m) => m.user.id) });
    expect(group.statusCode, group.body).toBe(201);
    const groupId = group.json().id as string;
    const sent = await call('POST', `/conversations/${groupId}/messages`, me, { body: 'hello' });
    expect(sent.statusCode).toBe(201);
    return { me, groupId, messageId: sent.json().id as string };
  }

  it('edits and deletions share one budget (RATE_LIMIT_EDITS_PER_USER); a refused edit changes nothing', async () => {
    const { me, groupId, messageId } = await setup();
    const other = (await call('POST', `/conversations/${groupId}/messages`, me, { body: 'second' })).json().id as string;
    expectStatus(await call('PATCH', `/messages/${messageId}`, me, { body: 'edit 1' }), 200);
    expectStatus(await call('DELETE', `/messages/${other}`, me), 204);
    expectRateLimited(await call('PATCH', `/messages/${messageId}`, me, { body: 'x'.repeat(8000) }));
    expectRateLimited(await call('DELETE', `/messages/${messageId}`, me));
    expect((await call('GET', `/messages/${messageId}`, me)).json()).toMatchObject({ body: 'edit 1' });
    // Another user's budget is their own.
    const b = await setup();
    expectStatus(await call('PATCH', `/messages/${b.messageId}`, b.me, { body: 'fine' }), 200);
  });

  it('reactions added and removed share one budget (RATE_LIMIT_REACTIONS_PER_USER)', async () => {
    const { me, messageId } = await setup();
    expectStatus(await call('PUT', `/messages/${messageId}/reactions/${encodeURIComponent('👍')}`, me), 204);
    expectStatus(await call('DELETE', `/messages/${messageId}/reactions/${encodeURIComponent('👍')}`, me), 204);
    expectRateLimited(await call('PUT', `/messages/${messageId}/reactions/${encodeURIComponent('🎉')}`, me));
    expectRateLimited(await call('DELETE', `/messages/${messageId}/reactions/${encodeURIComponent('👍')}`, me));
    expect((await call('GET', `/messages/${messageId}`, me)).json().reactions ?? []).toEqual([]);
  });

  it('group settings and membership changes share one budget (RATE_LIMIT_GROUP_CHANGES_PER_USER)', async () => {
    const [b, c] = [await register(t.app), await register(t.app)];
    const { me, groupId } = await setup([b]);
    expectStatus(await call('PATCH', `/groups/${groupId}`, me, { name: 'renamed' }), 200);
    expectStatus(await call('POST', `/groups/${groupId}/members`, me, { userId: c.user.id }), 201);
    expectRateLimited(await call('PATCH', `/groups/${groupId}`, me, { description: 'spam' }));
    expectRateLimited(await call('PATCH', `/groups/${groupId}/members/${b.user.id}`, me, { role: 'admin' }));
    expectRateLimited(await call('DELETE', `/groups/${groupId}/members/${c.user.id}`, me));
    expect((await call('GET', `/groups/${groupId}`, me)).json()).toMatchObject({ name: 'renamed', description: null, memberCount: 3 });
    // Members count their own changes; leaving is never throttled (each membership was counted when it began).
    const pub = (await call('POST', '/groups', me, { name: uniqueName('pub'), visibility: 'public' })).json().id as string;
    for (let i = 0; i < 2; i++) {
      expectStatus(await call('POST', `/groups/${pub}/members`, b, { userId: b.user.id }), 201);
      expectStatus(await call('DELETE', `/groups/${pub}/members/${b.user.id}`, b), 204);
    }
    expectRateLimited(await call('POST', `/groups/${pub}/members`, b, { userId: b.user.id }));
    expectStatus(await call('DELETE', `/groups/${groupId}/members/${c.user.id}`, c), 204);
  });

  it('profile changes (RATE_LIMIT_PROFILE_CHANGES_PER_USER)', async () => {
    const me = await register(t.app);
    expectStatus(await call('PATCH', '/users/me', me, { displayName: 'One' }), 200);
    expectStatus(await call('PATCH', '/users/me', me, { displayName: 'Two' }), 200);
    expectRateLimited(await call('PATCH', '/users/me', me, { displayName: 'Three' }));
    expect((await call('GET', '/users/me', me)).json()).toMatchObject({ displayName: 'Two' });
  });

  it('group creations (RATE_LIMIT_GROUP_CREATIONS_PER_USER): nothing is created past the budget', async () => {
    const me = await register(t.app);
    const name = uniqueName('public');
    for (let i = 0; i < 2; i++) expectStatus(await call('POST', '/groups', me, { name: `${name} ${i}`, visibility: 'public' }), 201);
    expectRateLimited(await call('POST', '/groups', me, { name: `${name} 2`, visibility: 'public' }));
    const mine = (await call('GET', '/groups?scope=mine', me)).json().groups as unknown[];
    expect(mine).toHaveLength(2);
  });

  it('new direct conversations (RATE_LIMIT_DIRECT_CONVERSATIONS_PER_USER); opening one again is free', async () => {
    const me = await register(t.app);
    const peers = [await register(t.app), await register(t.app), await register(t.app)];
    expectStatus(await call('POST', '/conversations/direct', me, { userId: peers[0]!.user.id }), 201);
    expectStatus(await call('POST', '/conversations/direct', me, { userId: peers[1]!.user.id }), 201);
    expectRateLimited(await call('POST', '/conversations/direct', me, { userId: peers[2]!.user.id }));
    for (let i = 0; i < 3; i++) expectStatus(await call('POST', '/conversations/direct', me, { userId: peers[0]!.user.id }), 200);
    // The peer may still start it: the budget is per user.
    expectStatus(await call('POST', '/conversations/direct', peers[2]!, { userId: me.user.id }), 201);
  });

  it('invites (RATE_LIMIT_INVITES_PER_USER): site admins are limited too', async () => {
    expectStatus(await call('POST', '/admin/invites', siteAdmin, {}), 201);
    expectStatus(await call('POST', '/admin/invites', siteAdmin, {}), 201);
    expectRateLimited(await call('POST', '/admin/invites', siteAdmin, {}));
  });

  it('bots (RATE_LIMIT_BOTS_PER_USER) and API tokens, one’s own and one’s bots’ (RATE_LIMIT_API_TOKENS_PER_USER)', async () => {
    const me = await register(t.app);
    const bot = await call('POST', '/bots', me, { username: uniqueName('bot') });
    expectStatus(bot, 201);
    expectStatus(await call('POST', '/bots', me, { username: uniqueName('bot') }), 201);
    expectRateLimited(await call('POST', '/bots', me, { username: uniqueName('bot') }));
    const botId = bot.json().user.id as string;
    expectStatus(await call('POST', '/users/me/tokens', me, { name: 'ci' }), 201);
    expectStatus(await call('POST', `/bots/${botId}/tokens`, me, { name: 'second' }), 201);
    expectRateLimited(await call('POST', '/users/me/tokens', me, { name: 'third' }));
    expectRateLimited(await call('POST', `/bots/${botId}/tokens`, me, { name: 'third' }));
  });

  it('webhooks (RATE_LIMIT_WEBHOOKS_PER_USER), over all of one’s groups', async () => {
    const { me, groupId } = await setup();
    expectStatus(await call('POST', `/groups/${groupId}/webhooks`, me, { url: 'http://127.0.0.1:9/a' }), 201);
    const other = (await call('POST', '/groups', me, { name: uniqueName('g') })).json().id as string;
    expectStatus(await call('POST', `/groups/${other}/webhooks`, me, { url: 'http://127.0.0.1:9/b' }), 201);
    expectRateLimited(await call('POST', `/groups/${other}/webhooks`, me, { url: 'http://127.0.0.1:9/c' }));
    expect((await call('GET', `/groups/${other}/webhooks`, me)).json().webhooks).toHaveLength(1);
  });

  it('uploads (RATE_LIMIT_UPLOADS_PER_USER): a refused upload stores nothing', async () => {
    const me = await register(t.app);
    const put = (n: number) => {
      const body = multipart(`notes-${n}.txt`, Buffer.from(`file ${n} 文件`, 'utf8'), 'text/plain');
      return t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { authorization: `Bearer ${me.token}`, 'content-type': body.contentType }, payload: body.payload });
    };
    expectStatus(await put(1), 201);
    expectStatus(await put(2), 201);
    expectRateLimited(await put(3));
    const [stored] = await queryRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM uploads WHERE owner_id = ${me.user.id}::uuid`);
    expect(stored!.n).toBe(2);
  });

  it('push subscriptions registered (RATE_LIMIT_PUSH_SUBSCRIPTIONS_PER_USER)', async () => {
    const me = await register(t.app);
    expectStatus(await call('POST', '/users/me/push-subscriptions', me, push.subscribe()), 201);
    expectStatus(await call('POST', '/users/me/push-subscriptions', me, push.subscribe()), 201);
    expectRateLimited(await call('POST', '/users/me/push-subscriptions', me, push.subscribe()));
    expect((await call('GET', '/users/me/push-subscriptions', me)).json().subscriptions).toHaveLength(2);
  });
});

describe('RATE_LIMIT=off', () => {
  let t: TestApp;
  const call = apiCaller(() => t.app);
  beforeAll(async () => {
    t = await startTestApp({ ...LIMITS, RATE_LIMIT: 'off' });
  });
  afterAll(async () => t?.close());

  it('lifts the write limits (not the caps)', async () => {
    const me = await register(t.app);
    for (let i = 0; i < 4; i++) expectStatus(await call('POST', '/groups', me, { name: `g ${i}` }), 201);
    for (let i = 0; i < 4; i++) expectStatus(await call('PATCH', '/users/me', me, { displayName: `n ${i}` }), 200);
  });
});

describe('caps (MAX_*), whatever RATE_LIMIT says', () => {
  let t: TestApp;
  let push: PushEndpoint;
  const call = apiCaller(() => t.app);
  beforeAll(async () => {
    t = await startTestApp({
      MAX_GROUPS_PER_OWNER: '2',
      MAX_BOTS_PER_OWNER: '1',
      MAX_WEBHOOKS_PER_GROUP: '1',
      MAX_PUSH_SUBSCRIPTIONS_PER_USER: '1',
      WEBHOOK_ALLOW_PRIVATE: 'on',
      PUSH_ALLOW_PRIVATE: 'on',
    });
    push = await startPushEndpoint();
  });
  afterAll(async () => {
    await t?.close();
    await push?.close();
  });

  it('groups owned (MAX_GROUPS_PER_OWNER): 409 group_limit_reached; deleting one or handing it over frees a place', async () => {
    const me = await register(t.app);
    const heir = await register(t.app);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await call('POST', '/groups', me, { name: `owned ${i}`, memberIds: [heir.user.id] })).json().id as string);
    const refused = await call('POST', '/groups', me, { name: 'one too many' });
    expectStatus(refused, 409, 'group_limit_reached');
    expect(refused.json().error.details?.max).toBe(2);
    // Being a plain member of groups does not count.
    expectStatus(await call('POST', '/groups', heir, { name: 'heir owns one', memberIds: [me.user.id] }), 201);
    expectStatus(await call('DELETE', `/groups/${ids[0]}`, me), 204);
    expectStatus(await call('POST', '/groups', me, { name: 'after deleting' }), 201);
    expectStatus(await call('POST', '/groups', me, { name: 'full again' }), 409, 'group_limit_reached');
    expectStatus(await call('PATCH', `/groups/${ids[1]}/members/${heir.user.id}`, me, { role: 'owner' }), 200);
    expectStatus(await call('POST', '/groups', me, { name: 'after handing over' }), 201);
  });

  it('bots per owner (MAX_BOTS_PER_OWNER), webhooks per group (MAX_WEBHOOKS_PER_GROUP), push subscriptions per user (MAX_PUSH_SUBSCRIPTIONS_PER_USER): 409', async () => {
    const me = await register(t.app);
    expectStatus(await call('POST', '/bots', me, { username: uniqueName('bot') }), 201);
    const bot = await call('POST', '/bots', me, { username: uniqueName('bot') });
    expectStatus(bot, 409, 'conflict');
    expect(bot.json().error.details?.max).toBe(1);

    const groupId = (await call('POST', '/groups', me, { name: 'hooks' })).json().id as string;
    expectStatus(await call('POST', `/groups/${groupId}/webhooks`, me, { url: 'http://127.0.0.1:9/a' }), 201);
    expectStatus(await call('POST', `/groups/${groupId}/webhooks`, me, { url: 'http://127.0.0.1:9/b' }), 409, 'conflict');

    expectStatus(await call('POST', '/users/me/push-subscriptions', me, push.subscribe()), 201);
    expectStatus(await call('POST', '/users/me/push-subscriptions', me, push.subscribe()), 409, 'conflict');
  });
});
