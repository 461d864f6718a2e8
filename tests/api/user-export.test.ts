/**
 * GET /users/me/export: the caller's own data, complete (profile, sessions, API token names,
 * memberships, messages, reactions, uploads, push subscriptions) and nothing else (no one
 * else's messages, no secret), Chinese and emoji intact, streamed, one export at a time.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';

let t: TestApp;
const call = apiCaller(() => t.app);
let me: Account;
let other: Account;

beforeAll(async () => {
  t = await startTestApp({}, { retention: { intervalMs: null } });
  [me, other] = await Promise.all([register(t.app, uniqueName('me'), 'correct horse'), register(t.app)]);
}, 180_000);
afterAll(async () => t?.close());

async function send(conversationId: string, who: Account, body: string, extra: object = {}): Promise<{ id: string; seq: number }> {
  const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: randomUUID(), ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is checked field by field */

describe('GET /users/me/export', () => {
  it('holds all of my data and none of anyone else’s, as an attachment', async () => {
    expect((await call('PATCH', '/users/me', me, { displayName: '我 Me 🙂' })).statusCode).toBe(200);
    await t.database.db.execute(sql`UPDATE users SET email = 'me@example.com', notification_prefs = '{"emailDigest":false}'::jsonb WHERE id = ${me.user.id}::uuid`);
    await t.database.db.execute(sql`INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth) VALUES (${randomUUID()}::uuid, ${me.user.id}::uuid, 'https://push.example/me-endpoint', 'p256dh-secret', 'auth-secret')`);
    const token = (await call('POST', '/users/me/tokens', me, { name: '备份脚本 backup' })).json();
    const body = multipart('照片.txt', Buffer.from('file content'));
    const up = (await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { authorization: `Bearer ${me.token}`, 'content-type': body.contentType }, payload: body.payload })).json();
    const g = (await call('POST', '/groups', other, { name: '家庭 family', memberIds: [me.user.id] })).json().id as string;
    const direct = (await call('POST', '/conversations/direct', me, { userId: other.user.id })).json().id as string;
    const theirs = await send(g, other, 'their secret words');
    const mine1 = await send(g, me, `你好 @${other.user.username} 🎉`, { attachmentIds: [up.id], replyTo: theirs.id });
    const mine2 = await send(direct, me, 'deleted later');
    expect((await call('DELETE', `/messages/${mine2.id}`, me)).statusCode).toBe(204);
    await send(direct, other, 'their direct reply');
    expect((await call('PUT', `/messages/${theirs.id}/reactions/${encodeURIComponent('❤️')}`, me)).statusCode).toBe(204);
    expect((await call('PUT', `/messages/${mine1.id}/reactions/${encodeURIComponent('👍')}`, other)).statusCode).toBe(204);

    const res = await call('GET', '/users/me/export', me);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="parley-.*-data\.json"$/);
    const doc = JSON.parse(res.body);
    expect(doc.profile).toMatchObject({ id: me.user.id, username: me.user.username, displayName: '我 Me 🙂', email: 'me@example.com', notificationPrefs: { emailDigest: false } });
    expect(doc.sessions.length).toBeGreaterThanOrEqual(1);
    expect(doc.sessions[0]).toEqual(expect.objectContaining({ createdAt: expect.any(String), lastUsedAt: expect.any(String) }));
    expect(doc.apiTokens).toEqual([expect.objectContaining({ id: token.id, name: '备份脚本 backup' })]);
    expect(doc.memberships.map((m: any) => [m.conversationId, m.kind]).sort()).toEqual([[direct, 'direct'], [g, 'group']].sort());
    expect(doc.memberships.find((m: any) => m.conversationId === g)).toMatchObject({ name: '家庭 family', role: 'member', joinedAt: expect.any(String) });
    expect(doc.pushSubscriptions).toEqual([expect.objectContaining({ endpoint: 'https://push.example/me-endpoint' })]);
    expect(doc.uploads).toEqual([expect.objectContaining({ id: up.id, filename: '照片.txt', size: 12 })]);
    expect(doc.reactions).toEqual([expect.objectContaining({ messageId: theirs.id, emoji: '❤️', conversationId: g })]);
    expect(doc.messages).toHaveLength(2);
    expect(doc.messages.find((m: any) => m.id === mine1.id)).toMatchObject({
      conversationId: g,
      seq: mine1.seq,
      body: `你好 @${other.user.username} 🎉`,
      replyTo: theirs.id,
      mentions: [other.user.id],
      attachments: [{ id: up.id, filename: '照片.txt', contentType: expect.any(String), size: 12 }],
      deletedAt: null,
    });
    expect(doc.messages.find((m: any) => m.id === mine2.id)).toMatchObject({ body: '', deletedAt: expect.any(String) });
    // Nothing of anyone else, and no secret.
    for (const leak of ['their secret words', 'their direct reply', 'p256dh-secret', 'auth-secret', '👍', 'token_hash', 'tokenHash', 'passwordHash', 'argon2']) {
      expect(res.body.includes(leak), leak).toBe(false);
    }
  });

  it('streams the document, one export per user at a time (429 with Retry-After)', async () => {
    const exports = (t.app as ParleyApp).services.userExports;
    const actor = (await (t.app as ParleyApp).services.accounts.authenticate(me.token))!;
    const running = await exports.open(actor);
    const second = await call('GET', '/users/me/export', me);
    expect(second.statusCode).toBe(429);
    expect(second.json().error.code).toBe('rate_limited');
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    // Someone else is not held up.
    expect((await call('GET', '/users/me/export', other)).statusCode).toBe(200);
    // The body is a stream read piece by piece, not one string.
    let pieces = 0;
    let text = '';
    for await (const chunk of running.stream) {
      pieces++;
      text += (chunk as Buffer).toString('utf8');
    }
    expect(pieces).toBeGreaterThan(3);
    expect(JSON.parse(text).profile.id).toBe(me.user.id);
    expect((await call('GET', '/users/me/export', me)).statusCode).toBe(200);
    const abandoned = await exports.open(actor);
    abandoned.stream.destroy();
    await new Promise((r) => setImmediate(r));
    expect((await call('GET', '/users/me/export', me)).statusCode).toBe(200);
  });
});
