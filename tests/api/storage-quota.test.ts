/**
 * Storage quotas (issue 24, item 1): one person's uploads may hold UPLOAD_QUOTA_PER_USER bytes
 * and the site's stored files UPLOAD_QUOTA_TOTAL; past either an upload gets 413
 * quota_exceeded with the figures; usage is shown to the person and, per person, to site admins;
 * uploads are rate-limited per user like sends.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';

function multipart(filename: string, data: Buffer) {
  const boundary = `----parley${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8');
  return { payload: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

function uploader(t: () => TestApp) {
  return (who: Account, bytes: number) => {
    const body = multipart('data.bin', randomBytes(bytes));
    return t().app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(who.token), 'content-type': body.contentType }, payload: body.payload });
  };
}

describe('quotas', () => {
  let t: TestApp;
  let admin: Account;
  beforeAll(async () => {
    t = await startTestApp({ UPLOAD_QUOTA_PER_USER: '2500', UPLOAD_QUOTA_TOTAL: '9000' });
    // The first account is the site admin.
    admin = await register(t.app);
  });
  afterAll(async () => t?.close());
  const upload = uploader(() => t);
  const get = (url: string, who: Account) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: auth(who.token) });

  it("refuses an upload past the person's quota with 413 quota_exceeded and the figures, and shows the usage", async () => {
    const a = await register(t.app);
    expect((await upload(a, 1000)).statusCode).toBe(201);
    const second = await upload(a, 1000);
    expect(second.statusCode).toBe(201);
    // Attached to a message, a file still counts against its uploader.
    const dm = await t.app.inject({ method: 'POST', url: '/api/v1/conversations/direct', headers: auth(a.token), payload: { userId: admin.user.id } });
    const sent = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${dm.json().id}/messages`, headers: auth(a.token), payload: { body: 'file', attachmentIds: [second.json().id] } });
    expect(sent.statusCode, sent.body).toBe(201);
    expect((await get('/users/me/storage', a)).json()).toEqual({ usedBytes: 2000, files: 2, quotaBytes: 2500 });
    const over = await upload(a, 1000);
    expect(over.statusCode).toBe(413);
    expect(over.json().error).toMatchObject({ code: 'quota_exceeded', details: { usedBytes: 2000, quotaBytes: 2500, fileBytes: 1000 } });
    // What still fits is taken; then even a small file is refused.
    expect((await upload(a, 500)).statusCode).toBe(201);
    expect((await upload(a, 1)).json().error.code).toBe('quota_exceeded');
    expect((await get('/users/me/storage', a)).json()).toMatchObject({ usedBytes: 2500, files: 3 });
  });

  it('refuses uploads once the site holds UPLOAD_QUOTA_TOTAL, whoever sends them; admins see the heaviest uploaders first', async () => {
    const [b, c, d] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    expect((await upload(b, 2400)).statusCode).toBe(201);
    expect((await upload(c, 2000)).statusCode).toBe(201);
    // 2,500 + 2,400 + 2,000 = 6,900 stored; 2,200 more fits, 2,200 after that does not.
    expect((await upload(d, 2100)).statusCode).toBe(201);
    const full = await upload(admin, 2200);
    expect(full.statusCode).toBe(413);
    expect(full.json().error).toMatchObject({ code: 'quota_exceeded', details: { quotaBytes: 9000, site: true } });
    expect((await get('/admin/storage', b)).statusCode).toBe(403);
    const site = await get('/admin/storage?limit=2', admin);
    expect(site.statusCode, site.body).toBe(200);
    const page = site.json();
    expect(page).toMatchObject({ storedBytes: 9000, quotaBytes: 9000, perUserQuotaBytes: 2500, nextCursor: '2' });
    expect(page.users.map((u: { usedBytes: number }) => u.usedBytes)).toEqual([2500, 2400]);
    const next = (await get(`/admin/storage?limit=2&cursor=${page.nextCursor}`, admin)).json();
    expect(next.users.map((u: { user: { id: string }; usedBytes: number }) => [u.user.id, u.usedBytes])).toEqual([
      [d.user.id, 2100],
      [c.user.id, 2000],
    ]);
    expect((await get('/admin/storage?cursor=abc', admin)).statusCode).toBe(400);
  });
});

describe('upload rate', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT: 'on', RATE_LIMIT_UPLOADS_PER_USER: '3/min,burst=3' });
  });
  afterAll(async () => t?.close());
  const upload = uploader(() => t);

  it('limits uploads per user like sends: 429 rate_limited with retryAfter, others unaffected', async () => {
    const [a, b] = await Promise.all([register(t.app), register(t.app)]);
    for (let i = 0; i < 3; i++) expect((await upload(a, 100)).statusCode).toBe(201);
    const limited = await upload(a, 100);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.json().error.details.retryAfter).toBeGreaterThan(0);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await upload(b, 100)).statusCode).toBe(201);
  });
});
