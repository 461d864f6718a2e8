/**
 * API tokens with scopes (issue 24, item 3): a token does only what its scopes allow; none may
 * mint tokens or bots, see or revoke sessions, or touch the password, e-mail, data or the account
 * without the scope for it; a token creates only tokens no stronger than itself; revoking a token
 * revokes what it created. Over REST and WebSocket.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopesOf } from '../../src/protocol/token-scopes.js';
import { apiCaller, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let server: TestServer;
const call = apiCaller(() => server.app);
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

/** A token of `owner` with these scopes (absent: the default), made by `by` (default: the owner's login session). */
async function token(owner: Account, scopes?: string[], by: Account = owner): Promise<Account & { id: string; scopes: string[] }> {
  const res = await call('POST', '/users/me/tokens', by, { name: `t-${randomUUID().slice(0, 8)}`, ...(scopes ? { scopes } : {}) });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json() as { id: string; token: string; scopes: string[] };
  return { user: owner.user, token: body.token, id: body.id, scopes: body.scopes };
}

function refused(res: { statusCode: number; json(): { error: { code: string; details?: { requiredScope?: string } } } }, scope: string): void {
  expect(res.statusCode).toBe(403);
  expect(res.json().error).toMatchObject({ code: 'forbidden', details: { requiredScope: scope } });
}

describe('scopes', () => {
  it('a token made without scopes reads and writes, and nothing of the account\'s keys', async () => {
    const alice = await register(server.app);
    const t = await token(alice);
    expect(t.scopes).toEqual(['read', 'write']);
    expect((await call('GET', '/conversations', t)).statusCode).toBe(200);
    const g = await call('POST', '/groups', t, { name: 'by token' });
    expect(g.statusCode).toBe(201);
    expect((await call('POST', `/conversations/${g.json().id}/messages`, t, { body: 'hi' })).statusCode).toBe(201);
    refused(await call('POST', '/users/me/tokens', t, { name: 'more' }), 'tokens');
    refused(await call('GET', '/users/me/tokens', t), 'tokens');
    refused(await call('POST', '/bots', t, { username: `bot_${randomUUID().slice(0, 8)}` }), 'tokens');
    refused(await call('GET', '/users/me/sessions', t), 'sessions');
    refused(await call('DELETE', '/users/me/sessions', t), 'sessions');
    refused(await call('POST', '/users/me/password', t, { currentPassword: 'correct horse', newPassword: 'another horse 2' }), 'account');
    refused(await call('GET', '/users/me/export', t), 'account');
    refused(await call('DELETE', '/users/me', t, { password: 'correct horse' }), 'account');
    refused(await call('GET', '/admin/audit', t), 'admin');
    // The login session itself may do all of it.
    expect((await call('GET', '/users/me/sessions', alice)).statusCode).toBe(200);
    // Any token may sign itself out.
    expect((await call('POST', '/auth/logout', t)).statusCode).toBe(204);
  });

  it('a read-only token reads over REST and WebSocket, and its writes are refused on both', async () => {
    const alice = await register(server.app);
    const ro = await token(alice, ['read']);
    const g = (await call('POST', '/groups', alice, { name: 'read only' })).json() as { id: string };
    refused(await call('POST', `/conversations/${g.id}/messages`, ro, { body: 'no' }), 'write');
    const ws = await WsClient.connect(server.wsUrl, ro.token);
    const answer = await ws.request({ type: 'message.send', conversationId: g.id, body: 'no', clientMsgId: randomUUID() });
    expect(answer).toMatchObject({ type: 'error', error: { code: 'forbidden', details: { requiredScope: 'write' } } });
    // It still receives the group's events.
    await call('POST', `/conversations/${g.id}/messages`, alice, { body: 'seen' });
    const ev = await ws.next((f) => f.type === 'message.created' && f.conversationId === g.id);
    expect(ev.message.body).toBe('seen');
    ws.close();
  });

  it('a token with the tokens scope creates only tokens (and bots) no stronger than itself', async () => {
    const alice = await register(server.app);
    const maker = await token(alice, ['read', 'write', 'tokens']);
    const weaker = await token(alice, ['read'], maker);
    expect(weaker.scopes).toEqual(['read']);
    const stronger = await call('POST', '/users/me/tokens', maker, { name: 'x', scopes: ['read', 'admin'] });
    expect(stronger.statusCode).toBe(403);
    expect(stronger.json().error.details).toEqual({ scopes: ['admin'] });
    expect((await call('POST', '/users/me/tokens', maker, { name: 'x', scopes: ['read', 'sessions'] })).statusCode).toBe(403);
    expect((await call('POST', '/users/me/tokens', alice, { name: 'x', scopes: ['read', 'nonsense'] })).statusCode).toBe(400);
    const bot = await call('POST', '/bots', maker, { username: `bot_${randomUUID().slice(0, 8)}`, scopes: ['read', 'write'] });
    expect(bot.statusCode, bot.body).toBe(201);
  });

  it('revoking a token revokes every token it created, and theirs, its bots\' included', async () => {
    const alice = await register(server.app);
    const leaked = await token(alice, ['read', 'write', 'tokens']);
    const child = await token(alice, ['read', 'write', 'tokens'], leaked);
    const grandchild = await token(alice, ['read'], child);
    const bot = (await call('POST', '/bots', leaked, { username: `bot_${randomUUID().slice(0, 8)}` })).json() as { user: { id: string }; token: string };
    const botAccount = { user: { ...bot.user, username: '', displayName: '' }, token: bot.token };
    const unrelated = await token(alice, ['read']);
    const ws = await WsClient.connect(server.wsUrl, grandchild.token);
    for (const t of [child, grandchild, botAccount]) expect((await call('GET', '/users/me', t)).statusCode).toBe(200);
    expect((await call('DELETE', `/users/me/tokens/${leaked.id}`, alice)).statusCode).toBe(204);
    for (const t of [leaked, child, grandchild, botAccount]) expect((await call('GET', '/users/me', t)).statusCode).toBe(401);
    expect((await call('GET', '/users/me', unrelated)).statusCode).toBe(200);
    // Their open sockets are closed at once.
    expect(await ws.closed).toBe(4401);
    // A token made from the login session outlives the session's other tokens being revoked.
    const list = (await call('GET', '/users/me/tokens', alice)).json().tokens as { id: string }[];
    expect(list.map((t) => t.id)).toEqual([unrelated.id]);
  });

  it('a token made before scopes may read, write and administer, nothing more', () => {
    expect(scopesOf({ kind: 'api', scopes: null })).toEqual(['read', 'write', 'admin']);
    expect(scopesOf({ kind: 'session', scopes: null })).toBeNull();
  });
});
