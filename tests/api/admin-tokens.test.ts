/**
 * Site admins (the first person to register, or ADMIN_USERNAME), deactivating accounts, the
 * audit log, long-lived API tokens and bot accounts (CONTRACT.md's tokens and admin rows), over
 * REST and WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let server: TestServer;
const call = apiCaller(() => server.app);
let admin: Account;

beforeAll(async () => {
  server = await startTestServer();
  admin = await register(server.app);
});
afterAll(async () => {
  await server?.close();
});

function expectStatus(res: LightMyRequestResponse, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  if (code) expect(res.json().error.code).toBe(code);
}

const me = (token: string) => server.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } });
const login = (username: string, password = 'correct horse') =>
  server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

describe('site admins', () => {
  it('the first person to register is the site admin; later ones are not', async () => {
    expect((await me(admin.token)).json().siteAdmin).toBe(true);
    const later = await register(server.app);
    expect((await me(later.token)).json().siteAdmin).toBe(false);
    expectStatus(await call('GET', '/admin/audit', later), 403, 'forbidden');
    const entries = (await call('GET', '/admin/audit?limit=100', admin)).json().entries as { action: string; targetUserId: string; actorId: string | null; details: { via?: string } }[];
    const grant = entries.find((e) => e.action === 'user.site_admin_granted' && e.targetUserId === admin.user.id);
    expect(grant).toMatchObject({ actorId: null, details: { via: 'first user' } });
  });

  it('with ADMIN_USERNAME, that user becomes site admin when it registers, and not the first one', async () => {
    const t: TestApp = await startTestApp({ ADMIN_USERNAME: 'Chief_Admin' });
    try {
      const first = await register(t.app);
      const chief = await register(t.app, 'chief_admin');
      const get = (a: Account) => t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${a.token}` } });
      expect((await get(first)).json().siteAdmin).toBe(false);
      expect((await get(chief)).json().siteAdmin).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('a bot cannot take the ADMIN_USERNAME name (and so the role)', async () => {
    const t: TestApp = await startTestApp({ ADMIN_USERNAME: 'the_boss' });
    try {
      const someone = await register(t.app);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/bots', headers: { authorization: `Bearer ${someone.token}` }, payload: { username: 'The_Boss' } });
      expectStatus(res, 409, 'username_taken');
      const boss = await register(t.app, 'the_boss');
      const me2 = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${boss.token}` } });
      expect(me2.json().siteAdmin).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('a server upgraded with users but no site admin makes its oldest active person one at start', async () => {
    const t: TestApp = await startTestApp();
    try {
      const oldest = await register(t.app);
      await register(t.app);
      await t.database.db.execute(sql`UPDATE users SET site_admin = false`);
      await t.database.db.execute(sql`DELETE FROM settings WHERE key = 'first_site_admin'`);
      const services = (t.app as unknown as { services: { admin: { ensureSiteAdmin(): Promise<void> } } }).services;
      await services.admin.ensureSiteAdmin();
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${oldest.token}` } });
      expect(res.json().siteAdmin).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('a site admin grants and takes back the role; the last one cannot step down', async () => {
    const other = await register(server.app);
    expectStatus(await call('PATCH', `/admin/users/${admin.user.id}`, admin, { siteAdmin: false }), 409, 'conflict');
    expectStatus(await call('PATCH', `/admin/users/${other.user.id}`, other, { siteAdmin: true }), 403, 'forbidden');
    const granted = await call('PATCH', `/admin/users/${other.user.id}`, admin, { siteAdmin: true });
    expectStatus(granted, 200);
    expect(granted.json().user.siteAdmin).toBe(true);
    expectStatus(await call('PATCH', `/admin/users/${other.user.id}`, admin, { siteAdmin: false }), 200);
    expect((await me(other.token)).json().siteAdmin).toBe(false);
  });

  it('site admins see every group, private ones included; others may not list them all', async () => {
    const owner = await register(server.app);
    const group = (await call('POST', '/groups', owner, { name: uniqueName('secret') })).json();
    expectStatus(await call('GET', '/groups?scope=all', owner), 403, 'forbidden');
    expectStatus(await call('GET', `/groups/${group.id}`, admin), 200);
    expectStatus(await call('GET', `/groups/${group.id}/members`, admin), 200);
    const all = (await call('GET', `/groups?scope=all&q=${group.name}`, admin)).json();
    expect(all.groups.map((g: { id: string }) => g.id)).toEqual([group.id]);
    // Seeing is not reading: the history stays members-only.
    expectStatus(await call('GET', `/conversations/${group.id}/messages`, admin), 404, 'not_found');
  });
});

describe('deactivating accounts', () => {
  it('revokes every token, closes the sockets, refuses login, deactivates owned bots; reactivation allows a new login', async () => {
    const user = await register(server.app);
    const apiToken = (await call('POST', '/users/me/tokens', user, { name: 'script' })).json().token as string;
    const bot = (await call('POST', '/bots', user, { username: uniqueName('bot') })).json();
    const ws = await WsClient.connect(server.wsUrl, user.token);
    const botWs = await WsClient.connect(server.wsUrl, bot.token);

    expectStatus(await call('POST', `/admin/users/${user.user.id}/deactivate`, user), 403, 'forbidden');
    expectStatus(await call('POST', `/admin/users/${user.user.id}/deactivate`, admin), 204);
    expect(await ws.closed).toBe(4401);
    expect(await botWs.closed).toBe(4401);
    for (const token of [user.token, apiToken, bot.token]) expectStatus(await me(token), 401, 'unauthorized');
    expectStatus(await login(user.user.username), 403, 'account_deactivated');
    // Deactivating twice is a no-op.
    expectStatus(await call('POST', `/admin/users/${user.user.id}/deactivate`, admin), 204);

    const listed = (await call('GET', `/admin/users?deactivated=true&q=${user.user.username}`, admin)).json();
    expect(listed.users).toHaveLength(1);
    expect(listed.users[0].deactivatedAt).not.toBeNull();
    const bots = (await call('GET', `/admin/users?deactivated=true&q=${bot.user.username}`, admin)).json();
    expect(bots.users[0].botOwnerId).toBe(user.user.id);

    expectStatus(await call('POST', `/admin/users/${user.user.id}/reactivate`, admin), 204);
    expectStatus(await me(user.token), 401, 'unauthorized');
    const again = await login(user.user.username);
    expectStatus(again, 200);
    expectStatus(await me(again.json().token), 200);

    const entries = (await call('GET', '/admin/audit?limit=100', admin)).json().entries as { action: string; targetUserId: string; actorId: string }[];
    const mine = entries.filter((e) => e.targetUserId === user.user.id).map((e) => e.action);
    expect(mine).toEqual(['user.reactivated', 'user.deactivated']);
  });

  it('a logout that commits while a socket is authenticating still keeps that socket out', async () => {
    const user = await register(server.app);
    const accounts = (server.app as unknown as { services: { accounts: { authenticate(t: string): Promise<unknown> } } }).services.accounts;
    const original = accounts.authenticate.bind(accounts);
    // The token is revoked right after the handshake checked it (its revoke finds no socket yet).
    let revoked = false;
    accounts.authenticate = async (token: string) => {
      const actor = await original(token);
      if (!revoked) {
        revoked = true;
        accounts.authenticate = original;
        await server.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
      }
      return actor;
    };
    try {
      const ws = await WsClient.open(server.wsUrl);
      ws.send({ type: 'auth', token: user.token });
      expect(await ws.closed).toBe(4401);
      expect(ws.frames.some((f) => f.type === 'ready')).toBe(false);
    } finally {
      accounts.authenticate = original;
    }
  });

  it('after a bus reset, sockets whose token was revoked meanwhile (the revoke lost) are closed', async () => {
    const user = await register(server.app);
    const other = await register(server.app);
    const ws = await WsClient.connect(server.wsUrl, user.token);
    const keep = await WsClient.connect(server.wsUrl, other.token);
    // As if the logout's revoke message had been lost with the bus.
    await server.database.db.execute(sql`DELETE FROM sessions WHERE user_id = ${user.user.id}`);
    (server.app as unknown as { bus: { publish(m: unknown): void } }).bus.publish({ kind: 'reset' });
    expect(await ws.closed).toBe(4401);
    expect((await keep.request({ type: 'ping' })).type).toBe('pong');
    keep.close();
  });

  it('refuses to deactivate yourself, and an unknown user is 404', async () => {
    expectStatus(await call('POST', `/admin/users/${admin.user.id}/deactivate`, admin), 409, 'conflict');
    expectStatus(await call('POST', '/admin/users/00000000-0000-7000-8000-000000000000/deactivate', admin), 404, 'not_found');
    expectStatus(await call('POST', '/admin/users/nope/deactivate', admin), 404, 'not_found');
  });

  it('the audit log pages newest first with a cursor', async () => {
    const first = (await call('GET', '/admin/audit?limit=2', admin)).json();
    expect(first.entries).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = (await call('GET', `/admin/audit?limit=2&cursor=${first.nextCursor}`, admin)).json();
    const ids = [...first.entries, ...second.entries].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const times = [...first.entries, ...second.entries].map((e: { createdAt: string }) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expectStatus(await call('GET', '/admin/audit?cursor=garbage', admin), 400, 'validation_failed');
  });
});

describe('API tokens', () => {
  it('are shown once, listed without the secret, accepted by REST and WebSocket, and revoked with their sockets', async () => {
    const user = await register(server.app);
    const created = await call('POST', '/users/me/tokens', user, { name: '部署脚本 deploy' });
    expectStatus(created, 201);
    const { id, token, name } = created.json();
    expect(name).toBe('部署脚本 deploy');
    expect(token).toMatch(/^parley_pat_[A-Za-z0-9_-]{43}$/);

    const list = (await call('GET', '/users/me/tokens', user)).json();
    expect(list.tokens).toHaveLength(1);
    expect(Object.keys(list.tokens[0]).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'scopes']);
    // A login session is not an API token.
    expect(list.tokens[0].id).toBe(id);

    expect((await me(token)).json().id).toBe(user.user.id);
    const ws = await WsClient.connect(server.wsUrl, token);
    expectStatus(await call('DELETE', `/users/me/tokens/${id}`, user), 204);
    expect(await ws.closed).toBe(4401);
    expectStatus(await me(token), 401, 'unauthorized');
    // The login session is untouched.
    expectStatus(await me(user.token), 200);
    expectStatus(await call('DELETE', `/users/me/tokens/${id}`, user), 404, 'not_found');
  });

  it("cannot revoke another user's token; bad names are 400; at most 50 per account", async () => {
    const [a, b] = [await register(server.app), await register(server.app)];
    const tokenId = (await call('POST', '/users/me/tokens', a, { name: 'x' })).json().id as string;
    expectStatus(await call('DELETE', `/users/me/tokens/${tokenId}`, b), 404, 'not_found');
    expectStatus(await me(a.token), 200);
    expectStatus(await call('POST', '/users/me/tokens', a, { name: '   ' }), 400, 'validation_failed');
    expectStatus(await call('POST', '/users/me/tokens', a, { name: 'n'.repeat(65) }), 400, 'validation_failed');
    expectStatus(await call('POST', '/users/me/tokens', a, {}), 400, 'validation_failed');
    for (let i = 1; i < 50; i++) expectStatus(await call('POST', '/users/me/tokens', a, { name: `t${i}` }), 201);
    expectStatus(await call('POST', '/users/me/tokens', a, { name: 'one too many' }), 409, 'conflict');
  });
});

describe('bots', () => {
  it('a person creates a bot that works with its token only, and can give it more tokens or delete it', async () => {
    const owner = await register(server.app);
    const username = uniqueName('bot');
    const created = await call('POST', '/bots', owner, { username, displayName: '天气机器人 🌤' });
    expectStatus(created, 201);
    const bot = created.json();
    expect(bot.user).toMatchObject({ username, displayName: '天气机器人 🌤', bot: true, siteAdmin: false });

    const botMe = await me(bot.token);
    expect(botMe.json()).toMatchObject({ id: bot.user.id, bot: true });
    // A bot has no password to log in with.
    expectStatus(await login(username), 401, 'invalid_credentials');
    // It chats like anyone: a direct conversation, over the socket.
    const dm = (await server.app.inject({ method: 'POST', url: '/api/v1/conversations/direct', headers: { authorization: `Bearer ${bot.token}` }, payload: { userId: owner.user.id } })).json();
    const ws = await WsClient.connect(server.wsUrl, bot.token);
    const ack = await ws.request({ type: 'message.send', conversationId: dm.conversation?.id ?? dm.id, body: '晴 sunny', clientMsgId: 'w1' });
    expect(ack.type).toBe('ack');
    // It cannot make bots of its own.
    expectStatus(await server.app.inject({ method: 'POST', url: '/api/v1/bots', headers: { authorization: `Bearer ${bot.token}` }, payload: { username: uniqueName('sub') } }), 403, 'forbidden');

    expect((await call('GET', '/bots', owner)).json().bots.map((b: { id: string }) => b.id)).toEqual([bot.user.id]);
    const second = await call('POST', `/bots/${bot.user.id}/tokens`, owner, { name: 'ci' });
    expectStatus(second, 201);
    expectStatus(await me(second.json().token), 200);

    const stranger = await register(server.app);
    expectStatus(await call('DELETE', `/bots/${bot.user.id}`, stranger), 404, 'not_found');
    expectStatus(await call('POST', `/bots/${bot.user.id}/tokens`, stranger, { name: 'steal' }), 404, 'not_found');

    expectStatus(await call('DELETE', `/bots/${bot.user.id}`, owner), 204);
    expect(await ws.closed).toBe(4401);
    expectStatus(await me(bot.token), 401, 'unauthorized');
    expectStatus(await me(second.json().token), 401, 'unauthorized');
    expect((await call('GET', '/bots', owner)).json().bots).toEqual([]);
  });

  it('a taken username is 409 username_taken; a bad one 400', async () => {
    const owner = await register(server.app);
    expectStatus(await call('POST', '/bots', owner, { username: owner.user.username.toUpperCase() }), 409, 'username_taken');
    expectStatus(await call('POST', '/bots', owner, { username: 'a b' }), 400, 'validation_failed');
  });
});
