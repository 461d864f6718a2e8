/**
 * Account erasure: DELETE /users/me (password, or the username for an account without one) and
 * POST /admin/users/{id}/erase. Every credential and link goes, sockets close, groups are left
 * (ownership handed on, an empty group deleted), files go, the row becomes "Deleted user" while
 * messages stay (or become tombstones with deleteMessages), and the old name is free again.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/sql.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';
import { WsClient } from '../helpers/ws.js';

const PASSWORD = 'correct horse';
let t: TestApp;
let wsUrl: string;
const call = apiCaller(() => t.app);
let siteAdmin: Account;

beforeAll(async () => {
  t = await startTestApp({}, { retention: { intervalMs: null } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  wsUrl = `ws://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/v1/ws`;
  siteAdmin = await register(t.app);
}, 180_000);
afterAll(async () => t?.close());

const db = () => t.database.db;

async function group(owner: Account, members: Account[] = []): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: `抹除 erase ${randomUUID().slice(0, 6)}`, memberIds: members.map((m) => m.user.id) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}
async function send(conversationId: string, who: Account, body: string, extra: object = {}): Promise<{ id: string; seq: number }> {
  const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: randomUUID(), ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function uploadFile(who: Account, data: Buffer, filename: string): Promise<{ id: string }> {
  const body = multipart(filename, data);
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { authorization: `Bearer ${who.token}`, 'content-type': body.contentType }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const eraseMe = (who: Account, body: object) => call('DELETE', '/users/me', who, body);
async function events(conversationId: string, who: Account) {
  const res = await call('GET', `/conversations/${conversationId}/events?after=0&limit=100`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().events as { type: string; seq: number; reason?: string; member?: { user: { id: string }; role: string }; messageId?: string }[];
}

describe('DELETE /users/me', () => {
  it('needs the right password: 400 without one, 403 when wrong; nothing is erased', async () => {
    const u = await register(t.app);
    expect((await eraseMe(u, {})).statusCode).toBe(400);
    const wrong = await eraseMe(u, { password: 'not my password' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('wrong_password');
    expect((await call('GET', '/users/me', u)).json().displayName).toBe(u.user.displayName);
  });

  it('erases every credential, link and file, closes sockets, and leaves "Deleted user" on the messages', async () => {
    const name = uniqueName('gone');
    const u = await register(t.app, name, PASSWORD);
    const peer = await register(t.app);
    const apiToken = (await call('POST', '/users/me/tokens', u, { name: 'script' })).json().token as string;
    const avatarBytes = Buffer.from(`avatar-ish ${randomUUID()}`);
    const file = await uploadFile(u, Buffer.from(`my file ${randomUUID()}`), '我的文件.txt');
    const [fileRow] = await queryRows<{ sha256: string }>(db(), sql`SELECT sha256 FROM uploads WHERE id = ${file.id}::uuid`);
    void avatarBytes;
    await db().execute(sql`UPDATE users SET email = ${`${name}@example.com`}, notification_prefs = '{"email":true}'::jsonb WHERE id = ${u.user.id}::uuid`);
    await db().execute(sql`INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth) VALUES (${randomUUID()}::uuid, ${u.user.id}::uuid, ${`https://push.example/${randomUUID()}`}, 'k', 'a')`);
    await db().execute(sql`INSERT INTO user_identities (issuer, subject, user_id) VALUES ('https://idp.example', ${randomUUID()}, ${u.user.id}::uuid)`);

    const direct = (await call('POST', '/conversations/direct', peer, { userId: u.user.id })).json().id as string;
    const said = await send(direct, u, '你好 hello 👋', { attachmentIds: [file.id] });
    const g = await group(peer, [u]);
    const inGroup = await send(g, u, 'group words');
    const ws = await WsClient.connect(wsUrl, u.token);
    const outsider = await register(t.app);
    const [peerWs, outsiderWs] = await Promise.all([WsClient.connect(wsUrl, peer.token), WsClient.connect(wsUrl, outsider.token)]);

    expect((await eraseMe(u, { password: PASSWORD })).statusCode).toBe(204);
    expect(await ws.closed).toBe(4401);
    // Open clients of the people who knew the account are told at once, once; others not at all.
    const told = await peerWs.next((f) => f.type === 'user.updated');
    expect(told.user).toMatchObject({ id: u.user.id, displayName: 'Deleted user', avatarUrl: null, erased: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(peerWs.frames.filter((f) => f.type === 'user.updated')).toHaveLength(1);
    expect(outsiderWs.frames.filter((f) => f.type === 'user.updated')).toEqual([]);
    peerWs.close();
    outsiderWs.close();
    expect((await call('GET', '/users/me', u)).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${apiToken}` } })).statusCode).toBe(401);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: name, password: PASSWORD } });
    expect(login.statusCode).toBe(401);

    const shown = (await call('GET', `/users/${u.user.id}`, peer)).json();
    expect(shown).toMatchObject({ id: u.user.id, displayName: 'Deleted user', avatarUrl: null, erased: true, siteAdmin: false });
    expect(shown.username).toMatch(/^deleted-[0-9a-f]{12}$/);
    // Not found by name any more.
    expect((await call('GET', `/users?q=${name}`, peer)).json().users).toEqual([]);

    const [row] = await queryRows<Record<string, unknown>>(db(), sql`SELECT * FROM users WHERE id = ${u.user.id}::uuid`);
    expect(row).toMatchObject({ password_hash: null, email: null, avatar_upload_id: null, display_name: 'Deleted user' });
    expect(row!.erased_at).not.toBeNull();
    expect(row!.deactivated_at).not.toBeNull();
    expect(typeof row!.notification_prefs === 'string' ? JSON.parse(row!.notification_prefs) : row!.notification_prefs).toEqual({});
    for (const table of ['sessions', 'push_subscriptions', 'user_identities', 'uploads']) {
      const col = table === 'uploads' ? 'owner_id' : 'user_id';
      const rows = await queryRows(db(), sql`SELECT 1 FROM ${sql.identifier(table)} WHERE ${sql.identifier(col)} = ${u.user.id}::uuid`);
      expect(rows, table).toEqual([]);
    }
    const blob = path.join(t.config.uploadDir, fileRow!.sha256.slice(0, 2), fileRow!.sha256.slice(2, 4), fileRow!.sha256);
    expect(fs.existsSync(blob)).toBe(false);

    // The direct conversation stays, with its messages, its attachment gone, the peer shown as deleted.
    const inbox = (await call('GET', '/conversations', peer)).json().conversations as { id: string; peer: { displayName: string; erased?: boolean } | null }[];
    expect(inbox.find((c) => c.id === direct)?.peer).toMatchObject({ displayName: 'Deleted user', erased: true });
    const dm = (await call('GET', `/conversations/${direct}/messages`, peer)).json().messages as { id: string; body: string; senderId: string; attachments: unknown[] }[];
    expect(dm.find((m) => m.id === said.id)).toMatchObject({ body: '你好 hello 👋', senderId: u.user.id, attachments: [] });
    // The group: left with reason "erased"; the message stays.
    const ev = await events(g, peer);
    expect(ev.find((e) => e.type === 'member.left' && e.member?.user.id === u.user.id)?.reason).toBe('erased');
    const gm = (await call('GET', `/conversations/${g}/messages`, peer)).json().messages as { id: string; body: string }[];
    expect(gm.find((m) => m.id === inGroup.id)?.body).toBe('group words');

    // The name is free again.
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: name, password: 'another password' } });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().user.id).not.toBe(u.user.id);
  });

  it("hands an owner's groups to the longest-standing admin, else member, and deletes an empty group", async () => {
    const owner = await register(t.app, uniqueName('own'), PASSWORD);
    const [m1, m2, adm] = [await register(t.app), await register(t.app), await register(t.app)];
    const withAdmin = await group(owner, [m1, m2, adm]);
    expect((await call('PATCH', `/groups/${withAdmin}/members/${adm.user.id}`, owner, { role: 'admin' })).statusCode).toBe(200);
    const membersOnly = await group(owner, [m1]);
    const alone = await group(owner);
    const ws = await WsClient.connect(wsUrl, m1.token);
    try {
      expect((await eraseMe(owner, { password: PASSWORD })).statusCode).toBe(204);
      const left = await ws.next((f) => f.type === 'member.left' && f.conversationId === membersOnly);
      expect(left.reason).toBe('erased');
    } finally {
      ws.close();
    }
    const roleOf = async (gid: string, who: Account) =>
      ((await call('GET', `/groups/${gid}/members`, who)).json().members as { user: { id: string }; role: string }[]).find((m) => m.user.id === who.user.id)?.role;
    expect(await roleOf(withAdmin, adm)).toBe('owner');
    expect(await roleOf(membersOnly, m1)).toBe('owner');
    const g = (await call('GET', `/groups/${withAdmin}`, adm)).json();
    expect(g.memberCount).toBe(3);
    const [deleted] = await queryRows<{ deleted_at: unknown }>(db(), sql`SELECT deleted_at FROM conversations WHERE id = ${alone}::uuid`);
    expect(deleted!.deleted_at).not.toBeNull();
  });

  it('with deleteMessages, every message the user sent becomes a tombstone with a message.deleted event', async () => {
    const u = await register(t.app, uniqueName('del'), PASSWORD);
    const peer = await register(t.app);
    const g = await group(peer, [u]);
    const mine = [await send(g, u, 'first 第一'), await send(g, u, 'second 第二')];
    const theirs = await send(g, peer, 'not mine');
    expect((await eraseMe(u, { password: PASSWORD, deleteMessages: true })).statusCode).toBe(204);
    const msgs = (await call('GET', `/conversations/${g}/messages`, peer)).json().messages as { id: string; body: string; deletedAt: string | null }[];
    for (const m of mine) expect(msgs.find((x) => x.id === m.id)).toMatchObject({ body: '', deletedAt: expect.any(String) });
    expect(msgs.find((x) => x.id === theirs.id)?.body).toBe('not mine');
    const ev = await events(g, peer);
    expect(ev.filter((e) => e.type === 'message.deleted').map((e) => e.messageId).sort()).toEqual(mine.map((m) => m.id).sort());
    expect(ev.map((e) => e.seq)).toEqual(Array.from({ length: ev.length }, (_, i) => i + 1));
  });

  it('an account without a password confirms with its username (a bot)', async () => {
    const owner = await register(t.app);
    const botName = uniqueName('bot');
    const bot = (await call('POST', '/bots', owner, { username: botName, scopes: ['read', 'write', 'account'] })).json() as { user: { id: string }; token: string };
    const botAccount = { user: { ...bot.user, username: botName, displayName: botName }, token: bot.token };
    expect((await eraseMe(botAccount, {})).statusCode).toBe(400);
    expect((await eraseMe(botAccount, { confirm: 'someone-else' })).statusCode).toBe(403);
    expect((await eraseMe(botAccount, { confirm: botName })).statusCode).toBe(204);
    expect((await call('GET', `/users/${bot.user.id}`, owner)).json()).toMatchObject({ displayName: 'Deleted user', erased: true });
  });

  it('the last site admin cannot delete their account (409)', async () => {
    const res = await eraseMe(siteAdmin, { password: PASSWORD });
    expect(res.statusCode).toBe(409);
    expect((await call('GET', '/users/me', siteAdmin)).statusCode).toBe(200);
  });
});

describe('POST /admin/users/{id}/erase', () => {
  it('site admins erase an account and its bots, audited user.erased; others get 403', async () => {
    const victim = await register(t.app);
    const bot = (await call('POST', '/bots', victim, { username: uniqueName('vbot') })).json() as { user: { id: string }; token: string };
    const other = await register(t.app);
    expect((await call('POST', `/admin/users/${victim.user.id}/erase`, other, {})).statusCode).toBe(403);
    expect((await call('POST', `/admin/users/${randomUUID()}/erase`, siteAdmin, {})).statusCode).toBe(404);
    expect((await call('POST', `/admin/users/${victim.user.id}/erase`, siteAdmin, {})).statusCode).toBe(204);
    expect((await call('GET', `/users/${victim.user.id}`, other)).json().erased).toBe(true);
    expect((await call('GET', `/users/${bot.user.id}`, other)).json().erased).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${bot.token}` } })).statusCode).toBe(401);
    const audit = (await call('GET', '/admin/audit', siteAdmin)).json().entries as { action: string; actorId: string; targetUserId: string; details: { bots: string[] } }[];
    const entry = audit.find((e) => e.action === 'user.erased' && e.targetUserId === victim.user.id);
    expect(entry).toMatchObject({ actorId: siteAdmin.user.id, details: { bots: [bot.user.id] } });
    // Again: nothing more to do.
    expect((await call('POST', `/admin/users/${victim.user.id}/erase`, siteAdmin)).statusCode).toBe(204);
  });
});
