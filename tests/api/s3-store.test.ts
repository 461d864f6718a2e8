/**
 * UPLOAD_STORE=s3://…: every path that stores, serves or removes a file, against a real
 * S3-compatible server (s3rver, its own process on a loopback port) reached through a TCP proxy
 * that can make it hang. Uploads, thumbnails, avatars, signed downloads and link preview images
 * (fetched by the server) are stored in and served from the bucket; the unattached-upload sweep, retention, erasure and gc-files remove
 * objects; quotas refuse and leave nothing behind; move-files copies a running server's files
 * both ways; a bucket that is down or hangs gives 503 `unavailable` in bounded time and recovers.
 * The results cannot depend on the database: PGlite only.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { runAdmin, type AdminDeps, type AdminIo } from '../../src/cli/admin.js';
import { parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { linkPreviewJobs } from '../../src/db/schema.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { openBlobStore } from '../../src/storage/open-blob-store.js';
import { apiCaller, auth, dbKind, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';
import { TestS3 } from '../helpers/s3.js';
import { waitFor } from '../helpers/kit.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const logger = createLogger({ level: 'silent', logDir: null });
const PASSWORD = 'correct horse';
const TIMEOUT_MS = 1_000;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.runIf(dbKind === 'pglite')('UPLOAD_STORE=s3 against s3rver', () => {
  let s3: TestS3;
  let proxy: TcpProxy;
  let t: TestApp;
  /** The same bucket and prefix as the app's, opened directly (not through the proxy). */
  let bucket: BlobStore;
  const prefix = `run-${randomBytes(4).toString('hex')}`;
  const call = apiCaller(() => t.app);
  let png: Buffer;

  beforeAll(async () => {
    s3 = await TestS3.start();
    proxy = await startTcpProxy('127.0.0.1', s3.port);
    t = await startTestApp(
      // WEBHOOK_ALLOW_PRIVATE: link previews of the test's own page on loopback.
      { ...s3.env(prefix, `http://127.0.0.1:${proxy.port}`), S3_TIMEOUT_MS: String(TIMEOUT_MS), UPLOAD_QUOTA_PER_USER: '300KiB', WEBHOOK_ALLOW_PRIVATE: 'on' },
      { retention: { intervalMs: null }, linkPreviews: { pollIntervalMs: 50 } },
    );
    bucket = await openBlobStore({ dir: t.config.uploadDir, s3: s3.config(prefix) }, logger);
    // The first account is the site admin (who may not erase itself): not one of the tests' own.
    await register(t.app);
    png = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#cc6633' } }).png().toBuffer();
  });
  afterAll(async () => {
    await t?.close();
    bucket?.close();
    await proxy?.close();
    await s3?.close();
  });

  async function upload(app: ParleyApp, who: Account, data: Buffer, filename = 'file.bin') {
    const body = multipart(filename, data);
    return app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(who.token), 'content-type': body.contentType }, payload: body.payload });
  }
  async function uploaded(who: Account, data: Buffer, filename?: string): Promise<{ id: string; url: string; thumbnailUrl: string | null }> {
    const res = await upload(t.app, who, data, filename);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  async function send(conversationId: string, who: Account, body: string, extra: object = {}): Promise<{ id: string }> {
    const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: randomUUID(), ...extra });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().message ?? res.json();
  }
  async function group(owner: Account, members: Account[] = [], retentionDays?: number): Promise<string> {
    const res = await call('POST', '/groups', owner, { name: `s3 ${randomUUID().slice(0, 6)}`, memberIds: members.map((m) => m.user.id) });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    if (retentionDays !== undefined) expect((await call('PATCH', `/groups/${id}`, owner, { retentionDays })).statusCode).toBe(200);
    return id;
  }
  /** What UPLOAD_DIR holds besides tmp/: nothing, on S3. */
  const localFiles = (): string[] => fs.readdirSync(t.config.uploadDir).filter((n) => n !== 'tmp');

  async function admin(argv: string[], deps: Partial<AdminDeps>): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: AdminIo = { stdin: Readable.from([]), stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {} };
    const code = await runAdmin(argv, io, {
      logger,
      open: async () => ({ db: t.database.db, close: async () => {} }),
      uploadDir: () => t.config.uploadDir,
      s3: () => s3.config(prefix),
      ...deps,
    });
    return { code, stdout, stderr };
  }

  it('stores an upload and its thumbnail in the bucket and serves both (signed URL, token, avatar), nothing on local disk', async () => {
    const a = await register(t.app);
    const up = await uploaded(a, png, '照片.png');
    expect(await bucket.exists(sha(png))).toBe(true);
    expect(await bucket.exists(`${sha(png)}.thumb.webp`)).toBe(true);
    expect(localFiles()).toEqual([]);
    expect(fs.readdirSync(path.join(t.config.uploadDir, 'tmp'))).toEqual([]);

    const file = await t.app.inject({ method: 'GET', url: up.url });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(file.rawPayload.equals(png)).toBe(true);
    const thumb = await t.app.inject({ method: 'GET', url: up.thumbnailUrl! });
    expect(thumb.statusCode).toBe(200);
    expect((await sharp(thumb.rawPayload).metadata()).format).toBe('webp');
    // A token that may see it; and nobody else without the signature.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/uploads/${up.id}`, headers: auth(a.token) })).statusCode).toBe(200);
    const other = await register(t.app);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/uploads/${up.id}`, headers: auth(other.token) })).statusCode).toBe(404);

    expect((await call('PATCH', '/users/me', a, { avatarUploadId: up.id })).statusCode).toBe(200);
    const avatarUrl = (await call('GET', `/users/${a.user.id}`, other)).json().avatarUrl as string;
    const avatar = await t.app.inject({ method: 'GET', url: avatarUrl });
    expect(avatar.statusCode).toBe(200);
    expect(avatar.rawPayload.length).toBeGreaterThan(0);
  });

  it('link previews: the fetched image is stored in the bucket and served from it to its signed URL only', async () => {
    const image = await sharp({ create: { width: 80, height: 40, channels: 3, background: '#00ff00' } }).png().toBuffer();
    const site = http.createServer((req, res) => {
      if (req.url === '/img.png') {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(image.length) });
        res.end(image);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><head><meta property="og:title" content="On S3"><meta property="og:image" content="/img.png"></head><body></body></html>');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    try {
      const a = await register(t.app);
      const g = await group(a);
      const sent = await send(g, a, `look http://127.0.0.1:${(site.address() as AddressInfo).port}/page`);
      await t.app.services.linkPreviews.flush();
      await waitFor(async () => (await t.database.db.select().from(linkPreviewJobs).where(eq(linkPreviewJobs.messageId, sent.id))).length === 0, 'the preview job', 10_000);
      const preview = ((await call('GET', `/messages/${sent.id}`, a)).json().previews as { title: string; image: { url: string } | null }[])[0]!;
      expect(preview.title).toBe('On S3');
      const key = /images\/([a-f0-9]{64})\?/.exec(preview.image!.url)![1]!;
      expect(await bucket.exists(`${key}.preview.webp`)).toBe(true);
      const res = await t.app.inject({ method: 'GET', url: preview.image!.url });
      expect(res.statusCode).toBe(200);
      expect((await sharp(res.rawPayload).metadata()).format).toBe('webp');
      expect((await t.app.inject({ method: 'GET', url: preview.image!.url.split('?')[0]! })).statusCode).toBe(404);
    } finally {
      await new Promise((resolve) => site.close(resolve));
    }
  });

  it('the same bytes uploaded by two people at once: both stored, one object, each served', async () => {
    const [a, b] = [await register(t.app), await register(t.app)];
    const data = randomBytes(100 * 1024);
    const [ra, rb] = await Promise.all([upload(t.app, a, data), upload(t.app, b, data)]);
    expect([ra.statusCode, rb.statusCode]).toEqual([201, 201]);
    const keys: string[] = [];
    for await (const key of bucket.keys()) if (key.startsWith(sha(data))) keys.push(key);
    expect(keys).toEqual([sha(data)]);
    for (const r of [ra, rb]) expect((await t.app.inject({ method: 'GET', url: (r.json() as { url: string }).url })).rawPayload.equals(data)).toBe(true);
  });

  it('a quota refusal leaves no object behind (the copy made before the transaction is removed)', async () => {
    const a = await register(t.app);
    await uploaded(a, randomBytes(200 * 1024));
    const over = randomBytes(150 * 1024);
    const res = await upload(t.app, a, over);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('quota_exceeded');
    expect(await bucket.exists(sha(over))).toBe(false);
    expect((await call('GET', '/users/me/storage', a)).json()).toMatchObject({ usedBytes: 200 * 1024, quotaBytes: 300 * 1024 });
  });

  it('the unattached-upload sweep, retention and erasure remove their objects; a file still used elsewhere stays', async () => {
    const a = await register(t.app, undefined, PASSWORD);
    const b = await register(t.app);
    // Never attached: swept a day later.
    const loose = Buffer.from(`loose ${randomUUID()}`);
    await uploaded(a, loose);
    // Attached to a message retention purges.
    const old = Buffer.from(`old ${randomUUID()}`);
    const oldUp = await uploaded(a, old);
    const g = await group(a, [b], 1);
    const oldMsg = await send(g, a, 'old file', { attachmentIds: [oldUp.id] });
    // Attached to a live message of a user then erased; the same bytes also uploaded by b, attached in b's message.
    const mine = Buffer.from(`mine ${randomUUID()}`);
    const shared = Buffer.from(`shared ${randomUUID()}`);
    const mineUp = await uploaded(a, mine);
    const sharedA = await uploaded(a, shared);
    const sharedB = await uploaded(b, shared);
    const live = await group(a, [b]);
    await send(live, a, 'my files', { attachmentIds: [mineUp.id, sharedA.id] });
    await send(live, b, 'same bytes', { attachmentIds: [sharedB.id] });
    for (const d of [loose, old, mine, shared]) expect(await bucket.exists(sha(d))).toBe(true);

    expect(await t.app.services.uploads.sweep(Date.now() + 25 * 60 * 60 * 1000)).toBeGreaterThanOrEqual(1);
    expect(await bucket.exists(sha(loose))).toBe(false);

    await t.database.db.execute(sql`UPDATE messages SET created_at = now() - make_interval(days => 3) WHERE id = ${oldMsg.id}::uuid`);
    const summary = await t.app.services.retention.runOnce();
    expect(summary.files).toBeGreaterThanOrEqual(1);
    expect(await bucket.exists(sha(old))).toBe(false);

    expect((await call('DELETE', '/users/me', a, { password: PASSWORD })).statusCode).toBe(204);
    expect(await bucket.exists(sha(mine))).toBe(false);
    expect(await bucket.exists(sha(shared))).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: sharedB.url })).statusCode).toBe(200);
  });

  it('gc-files finds and removes objects no upload uses, in the bucket', async () => {
    const orphan = Buffer.from(`orphan ${randomUUID()}`);
    await bucket.putBuffer(sha(orphan), orphan);
    await bucket.putBuffer(`${sha(orphan)}.thumb.webp`, Buffer.from('thumb'));
    const dry = await admin(['gc-files', '--dry-run'], {});
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`unused: ${sha(orphan)}`);
    const run = await admin(['gc-files'], {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/stored files checked: [1-9]\d* unused removed/);
    expect(await bucket.exists(sha(orphan))).toBe(false);
    expect(await bucket.exists(`${sha(orphan)}.thumb.webp`)).toBe(false);
  });

  it('a group export names its files by id, and a member downloads each from the bucket', async () => {
    const a = await register(t.app);
    const data = Buffer.from(`exported ${randomUUID()}`);
    const up = await uploaded(a, data, 'export.txt');
    const g = await group(a);
    await send(g, a, 'with a file', { attachmentIds: [up.id] });
    const res = await call('GET', `/groups/${g}/export`, a);
    expect(res.statusCode, res.body).toBe(200);
    const messages = res.json().messages as { attachments: { id: string }[] }[];
    expect(messages.flatMap((m) => m.attachments.map((f) => f.id))).toContain(up.id);
    const file = await t.app.inject({ method: 'GET', url: `/api/v1/uploads/${up.id}`, headers: auth(a.token) });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(data)).toBe(true);
  });

  it("move-files copies a running server's files to local disk and back, checked, idempotent, and each store then serves them", async () => {
    const a = await register(t.app);
    const onS3 = Buffer.from(`first on s3 ${randomUUID()}`);
    const s3Up = await uploaded(a, onS3);
    const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-move-'));
    // A node of the same site on local disk (same database, same URL secret): the store switched.
    const localApp = await buildApp({ config: parseConfig({ LOG_LEVEL: 'silent', RATE_LIMIT: 'off', UPLOAD_DIR: localDir }), database: t.database, logger, retention: { intervalMs: null } });
    try {
      expect((await localApp.inject({ method: 'GET', url: s3Up.url })).statusCode).toBe(404);
      const toLocal = await admin(['move-files', '--to', 'local'], { uploadDir: () => localDir });
      expect(toLocal.code, toLocal.stderr).toBe(0);
      expect(toLocal.stdout).toMatch(/^\d+ files: [1-9]\d* copied \(.+\), 0 already there, 0 removed meanwhile, 0 failed$/m);
      const served = await localApp.inject({ method: 'GET', url: s3Up.url });
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.equals(onS3)).toBe(true);
      // Again: nothing left to copy.
      expect((await admin(['move-files', '--to', 'local'], { uploadDir: () => localDir })).stdout).toMatch(/: 0 copied \(0\.0 MiB\), [1-9]\d* already there/);

      // Stored on the local node, then copied to the bucket while both run.
      const onLocal = Buffer.from(`then on local ${randomUUID()}`);
      const localRes = await upload(localApp, a, onLocal);
      expect(localRes.statusCode, localRes.body).toBe(201);
      expect(await bucket.exists(sha(onLocal))).toBe(false);
      const toS3 = await admin(['move-files', '--to', 's3'], { uploadDir: () => localDir });
      expect(toS3.code, toS3.stderr).toBe(0);
      expect(toS3.stdout).toMatch(/: [1-9]\d* copied/);
      const back = await t.app.inject({ method: 'GET', url: (localRes.json() as { url: string }).url });
      expect(back.statusCode).toBe(200);
      expect(back.rawPayload.equals(onLocal)).toBe(true);
    } finally {
      await localApp.close();
      fs.rmSync(localDir, { recursive: true, force: true });
    }
    expect((await admin(['move-files'], {})).code).toBe(2);
    const without = await admin(['move-files', '--to', 's3'], { s3: () => null });
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/UPLOAD_STORE=s3:\/\//);
  });

  it('an erasure while the bucket is down completes (204); gc-files removes the file it left once the bucket is back', async () => {
    const a = await register(t.app, undefined, PASSWORD);
    const data = Buffer.from(`erased while down ${randomUUID()}`);
    const up = await uploaded(a, data);
    await send(await group(a), a, 'a file', { attachmentIds: [up.id] });
    await s3.kill();
    try {
      expect((await call('DELETE', '/users/me', a, { password: PASSWORD })).statusCode).toBe(204);
    } finally {
      await s3.restart();
    }
    expect(await bucket.exists(sha(data))).toBe(true);
    const gc = await admin(['gc-files'], {});
    expect(gc.code, gc.stderr).toBe(0);
    expect(await bucket.exists(sha(data))).toBe(false);
  });

  it('a bucket that is down or hangs: uploads and downloads answer 503 unavailable in bounded time, the server stays up, and it recovers', async () => {
    const a = await register(t.app);
    const before = Buffer.from(`before ${randomUUID()}`);
    const up = await uploaded(a, before);
    const healthy = async () => (await call('GET', '/users/me', a)).statusCode;

    for (const outage of ['down', 'hang'] as const) {
      if (outage === 'down') await s3.kill();
      else await proxy.set('hang');
      // Each answer within about one S3_TIMEOUT_MS (measured: ~50 ms down, ~1,000 ms hung; the bound
      // leaves room for a loaded machine): never a hang.
      let started = Date.now();
      const refused = await upload(t.app, a, Buffer.from(`during ${outage} ${randomUUID()}`));
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.json().error.code).toBe('unavailable');
      expect(refused.headers['retry-after']).toBe('5');
      started = Date.now();
      const download = await t.app.inject({ method: 'GET', url: up.url });
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
      expect(download.statusCode).toBe(503);
      expect(download.json().error.code).toBe('unavailable');
      expect(await healthy()).toBe(200);
      expect(fs.readdirSync(path.join(t.config.uploadDir, 'tmp'))).toEqual([]);

      if (outage === 'down') await s3.restart();
      else await proxy.set('pass');
      const again = Buffer.from(`after ${outage} ${randomUUID()}`);
      const ok = await uploaded(a, again);
      const served = await t.app.inject({ method: 'GET', url: ok.url });
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.equals(again)).toBe(true);
      expect((await t.app.inject({ method: 'GET', url: up.url })).rawPayload.equals(before)).toBe(true);
    }
  });
});
