/**
 * Message retention: the site's period and a group's own, tombstones that keep history and the
 * events feed gap-free, files removed only when nothing else uses them (avatars kept), bounded
 * batches, the `messages.purged` frame to members, and concurrent runs that never repeat work.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { repositories } from '../../src/db/repositories/index.js';
import { queryRows } from '../../src/db/sql.js';
import { RetentionService } from '../../src/services/data/retention.service.js';
import { LocalBlobStore } from '../../src/storage/blob-store.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';
import { WsClient } from '../helpers/ws.js';

let t: TestApp;
let app: ParleyApp;
const call = apiCaller(() => t.app);
let siteAdmin: Account;
let alice: Account;
let bob: Account;
let png: Buffer;
const BATCH = 4;

beforeAll(async () => {
  t = await startTestApp({}, { retention: { intervalMs: null, batchSize: BATCH } });
  app = t.app as ParleyApp;
  siteAdmin = await register(t.app);
  [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
}, 180_000);
afterAll(async () => t?.close());
afterEach(async () => {
  await setSite(null);
});

const db = (): Db => t.database.db;

async function setSite(days: number | null): Promise<void> {
  const res = await call('PATCH', '/admin/settings', siteAdmin, { retentionDays: days });
  expect(res.statusCode, res.body).toBe(200);
}

async function group(owner: Account, members: Account[] = [], retentionDays?: number | null): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: `留存 retention ${randomUUID().slice(0, 6)}`, memberIds: members.map((m) => m.user.id) });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  if (retentionDays !== undefined) {
    const patched = await call('PATCH', `/groups/${id}`, owner, { retentionDays });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().retentionDays).toBe(retentionDays);
  }
  return id;
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

/** Makes messages look `days` old. */
async function age(messageIds: string[], days: number): Promise<void> {
  for (const id of messageIds) {
    await db().execute(sql`UPDATE messages SET created_at = now() - make_interval(days => ${days}) WHERE id = ${id}::uuid`);
  }
}

async function history(conversationId: string, who: Account) {
  const res = await call('GET', `/conversations/${conversationId}/messages?limit=100`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().messages as { id: string; seq: number; body: string; deletedAt: string | null; attachments: unknown[]; reactions: unknown[]; mentions: string[] }[];
}

const blobPath = (sha256: string) => path.join(t.config.uploadDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
async function sha(uploadId: string): Promise<string> {
  const [row] = await queryRows<{ sha256: string }>(db(), sql`SELECT sha256 FROM uploads WHERE id = ${uploadId}::uuid`);
  return row!.sha256;
}
async function uploadExists(uploadId: string): Promise<boolean> {
  return (await queryRows(db(), sql`SELECT 1 FROM uploads WHERE id = ${uploadId}::uuid`)).length > 0;
}

describe('periods', () => {
  it('purges expired thread replies like any message; the root\'s summary counts the replies left', async () => {
    const g = await group(alice, [bob], 30);
    const send = async (body: string, threadId?: string) =>
      (await call('POST', `/conversations/${g}/messages`, alice, { body, ...(threadId ? { threadId } : {}) })).json() as { id: string; seq: number };
    const root = await send('root');
    const old = await send('old reply', root.id);
    const recent = await send('recent reply', root.id);
    await age([old.id], 40);
    await app.services.retention.runOnce();
    const replies = (await call('GET', `/threads/${root.id}/messages`, bob)).json().messages as { id: string; body: string; deletedAt: string | null }[];
    expect(replies.map((m) => [m.id, m.body, m.deletedAt !== null])).toEqual([
      [old.id, '', true],
      [recent.id, 'recent reply', false],
    ]);
    expect((await call('GET', `/threads/${root.id}`, bob)).json()).toMatchObject({ replyCount: 1, lastReplySeq: recent.seq });
    // Every reply expired: the root shows no thread any more.
    await age([recent.id], 40);
    await app.services.retention.runOnce();
    expect((await call('GET', `/messages/${root.id}`, bob)).json().thread).toBeNull();
  });

  it('purges messages older than the site period in groups and direct conversations, keeping newer ones', async () => {
    const g = await group(alice, [bob]);
    const direct = (await call('POST', '/conversations/direct', alice, { userId: bob.user.id })).json().id as string;
    const oldG = await send(g, alice, '旧消息 old group message 🎉');
    const newG = await send(g, bob, 'new group message');
    const oldD = await send(direct, bob, 'old direct message');
    const newD = await send(direct, alice, 'new direct message');
    await age([oldG.id, oldD.id], 10);
    await setSite(7);
    const summary = await app.services.retention.runOnce();
    expect(summary.messages).toBeGreaterThanOrEqual(2);
    const hg = await history(g, alice);
    expect(hg.find((m) => m.id === oldG.id)).toMatchObject({ body: '', deletedAt: expect.any(String) });
    expect(hg.find((m) => m.id === newG.id)).toMatchObject({ body: 'new group message', deletedAt: null });
    const hd = await history(direct, bob);
    expect(hd.find((m) => m.id === oldD.id)).toMatchObject({ body: '', deletedAt: expect.any(String) });
    expect(hd.find((m) => m.id === newD.id)?.body).toBe('new direct message');
  });

  it("a group's own period overrides the site's, longer or shorter; null goes back to the site's", async () => {
    const longer = await group(alice, [], 30);
    const shorter = await group(alice, [], 2);
    const siteDefault = await group(alice, [], null);
    const msgs = { longer: await send(longer, alice, 'kept by 30 days'), shorter: await send(shorter, alice, 'gone after 2 days'), site: await send(siteDefault, alice, 'site decides') };
    await age(Object.values(msgs).map((m) => m.id), 10);
    await setSite(null);
    await app.services.retention.runOnce();
    expect((await history(longer, alice))[0]!.body).toBe('kept by 30 days');
    expect((await history(shorter, alice))[0]!.deletedAt).not.toBeNull();
    expect((await history(siteDefault, alice))[0]!.body).toBe('site decides');
    await setSite(5);
    await app.services.retention.runOnce();
    expect((await history(longer, alice))[0]!.body).toBe('kept by 30 days');
    expect((await history(siteDefault, alice))[0]!.deletedAt).not.toBeNull();
    // The group's setting is shown to members and can be cleared.
    const cleared = await call('PATCH', `/groups/${longer}`, alice, { retentionDays: null });
    expect(cleared.json().retentionDays).toBeNull();
    await app.services.retention.runOnce();
    expect((await history(longer, alice))[0]!.deletedAt).not.toBeNull();
  });

  it('only group admins set a period, within 1..36500 days; direct conversations show null', async () => {
    const g = await group(alice, [bob]);
    expect((await call('PATCH', `/groups/${g}`, bob, { retentionDays: 3 })).statusCode).toBe(403);
    for (const bad of [0, 36_501, 1.5, '7']) {
      const res = await call('PATCH', `/groups/${g}`, alice, { retentionDays: bad });
      expect(res.statusCode, String(bad)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    const direct = (await call('POST', '/conversations/direct', alice, { userId: bob.user.id })).json();
    expect(direct.retentionDays).toBeNull();
    const patched = await call('PATCH', `/groups/${g}`, alice, { retentionDays: 36_500 });
    expect(patched.json().retentionDays).toBe(36_500);
  });
});

describe('tombstones', () => {
  it('keeps seqs gap-free in history and the events feed; reactions, mentions, pins and search terms go', async () => {
    const g = await group(alice, [bob], 1);
    const sent: { id: string; seq: number }[] = [];
    for (let i = 0; i < 6; i++) sent.push(await send(g, alice, `关键词 keyword${i} @${bob.user.username}`));
    expect((await call('PUT', `/messages/${sent[0]!.id}/reactions/${encodeURIComponent('👍')}`, bob)).statusCode).toBe(204);
    const fresh = await send(g, bob, 'fresh one');
    await age(sent.map((m) => m.id), 3);
    const before = (await call('GET', `/conversations/${g}/events?after=0&limit=100`, alice)).json().events as { seq: number }[];
    await app.services.retention.runOnce();

    const h = await history(g, alice);
    // Every message keeps its place: the purged ones as tombstones.
    expect(h.map((m) => m.seq)).toEqual([...sent.map((m) => m.seq), fresh.seq]);
    for (const m of h.filter((x) => sent.some((s) => s.id === x.id))) {
      expect(m).toMatchObject({ body: '', attachments: [], reactions: [], mentions: [], deletedAt: expect.any(String) });
    }
    expect(h.find((m) => m.id === fresh.id)?.body).toBe('fresh one');
    const after = (await call('GET', `/conversations/${g}/events?after=0&limit=100`, alice)).json().events as { seq: number; type: string; message?: { body: string } }[];
    // The same events, seq for seq: nothing was added or removed, the messages show as they are now.
    expect(after.map((e) => e.seq)).toEqual(before.map((e) => e.seq));
    expect(after.map((e) => e.seq)).toEqual(Array.from({ length: after.length }, (_, i) => i + 1));
    expect(after.filter((e) => e.type === 'message.created' && e.message?.body.startsWith('关键词'))).toEqual([]);
    const mentions = await queryRows(db(), sql`SELECT 1 FROM message_mentions WHERE conversation_id = ${g}::uuid`);
    expect(mentions).toEqual([]);
    const reactions = await queryRows(db(), sql`SELECT 1 FROM reactions WHERE message_id = ${sent[0]!.id}::uuid`);
    expect(reactions).toEqual([]);
    const found = await call('GET', `/search/messages?q=${encodeURIComponent('关键词')}&conversationId=${g}`, alice);
    expect(found.json().messages).toEqual([]);
    const terms = await queryRows<{ n: number }>(db(), sql`SELECT count(*)::int AS n FROM messages WHERE conversation_id = ${g}::uuid AND cardinality(search_terms) > 0`);
    expect(terms[0]!.n).toBe(1);
  });

  it('works in bounded batches and runs again without doing anything twice', async () => {
    const g = await group(alice, [], 1);
    const sent: { id: string; seq: number }[] = [];
    for (let i = 0; i < BATCH * 3 + 1; i++) sent.push(await send(g, alice, `batch ${i}`));
    await age(sent.map((m) => m.id), 2);
    const first = await app.services.retention.runOnce();
    expect(first.messages).toBe(sent.length);
    expect(first.batches).toBeGreaterThanOrEqual(4);
    const again = await app.services.retention.runOnce();
    expect(again.messages).toBe(0);
  });

  it('the next run starts above the purged history (the floor), which never passes a live message', async () => {
    const g = await group(alice, [], 1);
    const sent: { id: string; seq: number }[] = [];
    for (let i = 0; i < BATCH * 2 + 2; i++) sent.push(await send(g, alice, `floor ${i}`));
    const floor = async () => Number((await queryRows<{ f: string }>(db(), sql`SELECT retention_floor_seq AS f FROM conversations WHERE id = ${g}::uuid`))[0]!.f);
    // Out of order on purpose: the second message is still recent while later ones expired (clocks
    // of two nodes, or a row a concurrent run skipped): the floor must stop below it.
    const expired = sent.filter((_, i) => i !== 1 && i < BATCH * 2);
    await age(expired.map((m) => m.id), 2);
    expect((await app.services.retention.runOnce()).messages).toBe(expired.length);
    expect(await floor()).toBe(sent[0]!.seq);
    await age([sent[1]!.id], 2);
    expect((await app.services.retention.runOnce()).messages).toBe(1);
    // Now everything up to the last expired one is a tombstone; the two newest are live.
    expect(await floor()).toBe(sent[BATCH * 2 - 1]!.seq);
    await age(sent.slice(BATCH * 2).map((m) => m.id), 2);
    expect((await app.services.retention.runOnce()).messages).toBe(2);
    expect(await floor()).toBe(sent.at(-1)!.seq);
    const h = await history(g, alice);
    expect(h.filter((m) => m.deletedAt === null)).toEqual([]);
    // A message sent after the floor reached the end is above it, and expires like any other.
    const late = await send(g, alice, 'after the floor');
    await age([late.id], 2);
    expect((await app.services.retention.runOnce()).messages).toBe(1);
    expect(await floor()).toBe(late.seq);
  });
});

describe('files', () => {
  it('removes files attached only to purged messages; keeps files still used elsewhere and avatars', async () => {
    const g = await group(alice, [bob], 1);
    const onlyOld = await uploadFile(alice, Buffer.from(`only in an old message ${randomUUID()}`), 'old.txt');
    const shared = Buffer.from(`same bytes twice ${randomUUID()}`);
    const sharedOld = await uploadFile(alice, shared, 'a.txt');
    const sharedNew = await uploadFile(bob, shared, 'b.txt');
    const reused = await uploadFile(alice, Buffer.from(`attached to old and new ${randomUUID()}`), 'both.txt');
    const avatar = await uploadFile(alice, png, 'me.png');
    expect((await call('PATCH', '/users/me', alice, { avatarUploadId: avatar.id })).statusCode).toBe(200);

    const old = await send(g, alice, 'old files', { attachmentIds: [onlyOld.id, sharedOld.id, reused.id, avatar.id] });
    await send(g, bob, 'new file', { attachmentIds: [sharedNew.id] });
    await send(g, alice, 'new with reused', { attachmentIds: [reused.id] });
    const shas = { onlyOld: await sha(onlyOld.id), shared: await sha(sharedOld.id), reused: await sha(reused.id), avatar: await sha(avatar.id) };
    for (const s of Object.values(shas)) expect(fs.existsSync(blobPath(s))).toBe(true);
    await age([old.id], 3);
    const summary = await app.services.retention.runOnce();
    expect(summary.uploads).toBeGreaterThanOrEqual(2);

    expect(await uploadExists(onlyOld.id)).toBe(false);
    expect(fs.existsSync(blobPath(shas.onlyOld))).toBe(false);
    // The other upload of the same bytes keeps the file.
    expect(await uploadExists(sharedOld.id)).toBe(false);
    expect(await uploadExists(sharedNew.id)).toBe(true);
    expect(fs.existsSync(blobPath(shas.shared))).toBe(true);
    // Still attached to a newer message.
    expect(await uploadExists(reused.id)).toBe(true);
    expect(fs.existsSync(blobPath(shas.reused))).toBe(true);
    // An avatar in use stays, and so does its file.
    expect(await uploadExists(avatar.id)).toBe(true);
    expect(fs.existsSync(blobPath(shas.avatar))).toBe(true);
    expect((await call('GET', '/users/me', alice)).json().avatarUrl).toEqual(expect.any(String));
  });
});

describe('live clients and concurrency', () => {
  it('sends members an ephemeral messages.purged frame (no seq)', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const g = await group(alice, [bob], 1);
    const old = [await send(g, alice, 'one'), await send(g, alice, 'two')];
    await send(g, alice, 'three (new)');
    await age(old.map((m) => m.id), 2);
    const ws = await WsClient.connect(`ws://127.0.0.1:${port}/api/v1/ws`, bob.token);
    try {
      await app.services.retention.runOnce();
      const frame = await ws.next((f) => f.type === 'messages.purged' && f.conversationId === g);
      expect(frame).toEqual({ type: 'messages.purged', conversationId: g, beforeSeq: old[1]!.seq + 1 });
    } finally {
      ws.close();
    }
  });

  it('two runs at once (two nodes) share the work: each message purged once, no error, no gap', async () => {
    const g = await group(alice, [], 1);
    const sent: { id: string; seq: number }[] = [];
    for (let i = 0; i < BATCH * 5; i++) sent.push(await send(g, alice, `concurrent ${i}`));
    await age(sent.map((m) => m.id), 2);
    const other = new RetentionService(
      db(),
      repositories(db()),
      { ephemeral: () => undefined },
      app.services.siteSettings,
      new LocalBlobStore(t.config.uploadDir),
      app.log as never,
      { intervalMs: null, batchSize: BATCH },
    );
    const [a, b] = await Promise.all([app.services.retention.runOnce(), other.runOnce()]);
    expect(a.messages + b.messages).toBe(sent.length);
    const h = await history(g, alice);
    expect(h.filter((m) => m.deletedAt === null)).toEqual([]);
    expect(h.map((m) => m.seq)).toEqual(sent.map((m) => m.seq));
  });
});
