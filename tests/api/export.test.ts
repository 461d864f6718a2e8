/**
 * GET /groups/{id}/export: who may export, what the document holds (members, every message in
 * seq order with tombstones, reactions and attachments), Chinese round-trips, large groups, one
 * export per user and per group at a time, and the audit entry (export-limits.test.ts has the rest
 * of the limits, export-streaming.test.ts how an export shares the server).
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { newId } from '../../src/core/ids.js';
import { eq } from 'drizzle-orm';
import { repositories } from '../../src/db/repositories/index.js';
import { conversationEvents, conversations, messages } from '../../src/db/schema.js';
import { exportDisposition } from '../../src/services/data/export.service.js';
import { ExportedMessage } from '../../src/protocol/export.js';
import { apiCaller, auth, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/kit.js';

let t: TestApp;
const call = apiCaller(() => t.app);
let owner: Account;
let admin: Account;
let member: Account;
let outsider: Account;

beforeAll(async () => {
  t = await startTestApp();
  [owner, admin, member, outsider] = await Promise.all([register(t.app), register(t.app), register(t.app), register(t.app)]);
});
afterAll(async () => t?.close());

async function createGroup(name: string, visibility: 'public' | 'private' = 'private'): Promise<string> {
  const res = await call('POST', '/groups', owner, { name, visibility, description: '导出测试', memberIds: [admin.user.id, member.user.id] });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  expect((await call('PATCH', `/groups/${id}/members/${admin.user.id}`, owner, { role: 'admin' })).statusCode).toBe(200);
  return id;
}

async function send(groupId: string, who: Account, body: string, extra: object = {}): Promise<{ id: string; seq: number }> {
  const res = await call('POST', `/conversations/${groupId}/messages`, who, { body, clientMsgId: randomUUID(), ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const exportOf = (groupId: string, who: Account) => call('GET', `/groups/${groupId}/export`, who);

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is checked field by field */
async function readAll(stream: Readable): Promise<any> {
  let text = '';
  for await (const chunk of stream) text += (chunk as Buffer).toString('utf8');
  return JSON.parse(text);
}

describe('who may export', () => {
  it('lets the owner and admins export; a member gets 403; a non-member 404 (private) or 403 (public)', async () => {
    const priv = await createGroup('private one');
    const pub = await createGroup('public one', 'public');
    expect((await exportOf(priv, owner)).statusCode).toBe(200);
    expect((await exportOf(priv, admin)).statusCode).toBe(200);
    expectError(await exportOf(priv, member), 403, 'forbidden');
    expectError(await exportOf(priv, outsider), 404, 'not_found');
    expectError(await exportOf(pub, outsider), 403, 'forbidden');
    expectError(await t.app.inject({ method: 'GET', url: `/api/v1/groups/${priv}/export` }), 401, 'unauthorized');
  });

  it('answers 404 for a deleted group, an unknown or malformed id and a direct conversation; 400 for a query', async () => {
    const doomed = await createGroup('doomed');
    expect((await call('DELETE', `/groups/${doomed}`, owner)).statusCode).toBe(204);
    expectError(await exportOf(doomed, owner), 404, 'not_found');
    expectError(await exportOf(randomUUID(), owner), 404, 'not_found');
    expectError(await exportOf('not-a-uuid', owner), 404, 'not_found');
    const direct = await call('POST', '/conversations/direct', owner, { userId: member.user.id });
    expectError(await exportOf(direct.json().id, owner), 404, 'not_found');
    const id = await createGroup('with query');
    expectError(await call('GET', `/groups/${id}/export?format=csv`, owner), 400, 'validation_failed');
  });
});

describe('the document', () => {
  it('holds the group, its members and every message with replies, mentions, reactions, files and tombstones', async () => {
    const name = '技术讨论组 Q&A';
    const id = await createGroup(name);
    const up = await (async () => {
      const boundary = `----parley${randomUUID()}`;
      const payload = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="会议纪要.txt"\r\nContent-Type: text/plain\r\n\r\n`),
        Buffer.from('第一项：发布计划\n', 'utf8'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(owner.token), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { id: string; size: number; contentType: string };
    })();
    const first = await send(id, owner, '大家好 👋 欢迎来到技术讨论组', { attachmentIds: [up.id] });
    const reply = await send(id, member, `收到 @${admin.user.username}，谢谢`, { replyTo: first.id });
    const doomed = await send(id, admin, '这条消息会被删除');
    expect((await call('PUT', `/messages/${first.id}/reactions/${encodeURIComponent('👍')}`, member)).statusCode).toBe(204);
    expect((await call('PUT', `/messages/${first.id}/reactions/${encodeURIComponent('👍')}`, admin)).statusCode).toBe(204);
    expect((await call('PUT', `/messages/${first.id}/reactions/${encodeURIComponent('🎉')}`, owner)).statusCode).toBe(204);
    expect((await call('PUT', `/messages/${doomed.id}/reactions/${encodeURIComponent('👀')}`, owner)).statusCode).toBe(204);
    expect((await call('PATCH', `/messages/${reply.id}`, member, { body: `收到 @${admin.user.username}，谢谢！` })).statusCode).toBe(200);
    expect((await call('DELETE', `/messages/${doomed.id}`, admin)).statusCode).toBe(204);

    const res = await exportOf(id, admin);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(exportDisposition(name));
    const filename = /filename\*=UTF-8''(.+)$/.exec(String(res.headers['content-disposition']))?.[1];
    expect(decodeURIComponent(filename!)).toBe('技术讨论组-Q&A-export.json');
    expect(res.headers['content-disposition']).toContain('filename="Q&A-export.json"');
    expect(res.headers['content-length']).toBeUndefined();

    const doc = res.json();
    expect(Object.keys(doc)).toEqual(['exportedAt', 'group', 'members', 'messages']);
    expect(Date.now() - Date.parse(doc.exportedAt)).toBeLessThan(60_000);
    expect(doc.group).toEqual({ id, name, description: '导出测试', visibility: 'private', createdAt: expect.any(String) });
    expect(doc.members).toHaveLength(3);
    const roles = Object.fromEntries(doc.members.map((m: any) => [m.userId, m.role]));
    expect(roles).toEqual({ [owner.user.id]: 'owner', [admin.user.id]: 'admin', [member.user.id]: 'member' });
    expect(doc.members.find((m: any) => m.userId === owner.user.id)).toEqual({
      userId: owner.user.id,
      username: owner.user.username,
      displayName: owner.user.displayName,
      role: 'owner',
      joinedAt: expect.stringMatching(/Z$/),
    });

    expect(doc.messages.map((m: any) => m.id)).toEqual([first.id, reply.id, doomed.id]);
    const [m1, m2, m3] = doc.messages;
    expect(m1).toEqual({
      id: first.id,
      seq: first.seq,
      senderId: owner.user.id,
      senderUsername: owner.user.username,
      body: '大家好 👋 欢迎来到技术讨论组',
      replyTo: null,
      threadId: null,
      alsoInConversation: false,
      mentions: [],
      attachments: [{ id: up.id, filename: '会议纪要.txt', contentType: up.contentType, size: up.size }],
      reactions: [
        { emoji: '👍', userIds: [member.user.id, admin.user.id] },
        { emoji: '🎉', userIds: [owner.user.id] },
      ],
      createdAt: expect.stringMatching(/Z$/),
      editedAt: null,
      deletedAt: null,
    });
    expect(m2).toMatchObject({ replyTo: first.id, mentions: [admin.user.id], body: `收到 @${admin.user.username}，谢谢！`, editedAt: expect.any(String) });
    expect(m3).toMatchObject({ id: doomed.id, body: '', mentions: [], attachments: [], reactions: [], deletedAt: expect.any(String) });
    // The database writes each message's JSON: its keys in ExportedMessage's order, and the times
    // exactly as the API writes them (UTC, milliseconds, microseconds cut as a Date cuts them).
    expect(Object.keys(m1)).toEqual(Object.keys(ExportedMessage.properties).filter((k) => k !== 'previews'));
    const history = await call('GET', `/conversations/${id}/messages?limit=10`, owner);
    const live = new Map((history.json().messages as any[]).map((m) => [m.id, m]));
    expect(m1.createdAt).toBe(live.get(first.id).createdAt);
    expect([m2.createdAt, m2.editedAt]).toEqual([live.get(reply.id).createdAt, live.get(reply.id).editedAt]);
    expect(m3.createdAt).toBe(live.get(doomed.id)?.createdAt ?? m3.createdAt);
    expect(Date.parse(m3.deletedAt)).toBeGreaterThanOrEqual(Date.parse(m3.createdAt));
    // Written without spaces, as JSON.stringify writes: one line per message.
    expect(res.body).toContain(`\n${JSON.stringify(m1)},\n`);
  });

  it('exports a group of 1,200 messages completely and in seq order', async () => {
    const id = await createGroup(uniqueName('big'));
    // Written in bulk, as 1,198 sends would have written them (sends through the API take half a
    // minute here); real sends before and after them.
    const first = await send(id, owner, '消息 0 — message 0');
    const senders = [owner, admin, member];
    const rows = Array.from({ length: 1198 }, (_, k) => ({
      id: newId(),
      conversationId: id,
      seq: first.seq + 1 + k,
      senderId: senders[(k + 1) % 3]!.user.id,
      body: `消息 ${k + 1} — message ${k + 1}`,
    }));
    await t.database.db.transaction(async (tx) => {
      await tx.insert(messages).values(rows);
      await tx.insert(conversationEvents).values(rows.map((r) => ({ conversationId: id, seq: r.seq, type: 'message.created' as const, messageId: r.id })));
      await tx.update(conversations).set({ lastSeq: first.seq + rows.length }).where(eq(conversations.id, id));
    });
    const sent = [first.id, ...rows.map((r) => r.id)];
    sent.push((await send(id, member, '消息 1199 — message 1199')).id);
    const res = await exportOf(id, owner);
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.messages).toHaveLength(1200);
    const seqs = doc.messages.map((m: any) => m.seq as number);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
    expect(new Set(doc.messages.map((m: any) => m.id))).toEqual(new Set(sent));
    const bodies = new Set(doc.messages.map((m: any) => m.body));
    for (let i = 0; i < 1200; i++) expect(bodies.has(`消息 ${i} — message ${i}`)).toBe(true);
  }, 120_000);
});

describe('bounds and audit', () => {
  it('runs one export per user at a time (429 with Retry-After), leaves out later messages, and audits', async () => {
    const id = await createGroup(uniqueName('busy'));
    const early = await send(id, member, 'before the export');
    const exports = (t.app as ParleyApp).services.exports;
    const actor = (await (t.app as ParleyApp).services.accounts.authenticate(owner.token))!;
    const running = await exports.open(actor, id);

    const second = await exportOf(id, owner);
    expectError(second, 429, 'rate_limited');
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    expect(second.json().error.details).toEqual({ retryAfter: Number(second.headers['retry-after']), busy: 'requester' });
    // The group is busy for another admin too; that admin's export of another group is not held up.
    const sameGroup = await exportOf(id, admin);
    expectError(sameGroup, 429, 'rate_limited');
    expect(sameGroup.json().error.details.busy).toBe('group');
    expect((await exportOf(await createGroup(uniqueName('other')), admin)).statusCode).toBe(200);

    await send(id, member, 'after the export began');
    const doc = await readAll(running.stream);
    expect(doc.messages.map((m: any) => m.id)).toEqual([early.id]);
    expect((await exportOf(id, owner)).statusCode).toBe(200);

    // A client that goes away frees its slot too.
    const abandoned = await exports.open(actor, id);
    abandoned.stream.destroy();
    await new Promise((r) => setImmediate(r));
    expect((await exportOf(id, owner)).statusCode).toBe(200);

    const audit = (await repositories(t.database.db).audit.listNewest(null, 100)).filter((e) => e.conversationId === id);
    expect(audit.filter((e) => e.action === 'group.exported').map((e) => e.actorId).sort()).toEqual(
      [owner.user.id, owner.user.id, owner.user.id, owner.user.id].sort(),
    );
  });

  it('is documented in the OpenAPI as a JSON object', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = spec.paths['/api/v1/groups/{id}/export'].get;
    const schema = op.responses['200'].content['application/json'].schema;
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual(['exportedAt', 'group', 'members', 'messages']);
    expect(spec.paths['/api/v1/groups/{id}/export'].head).toBeUndefined();
  });
});
