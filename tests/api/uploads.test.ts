import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { cleanFilename, contentDisposition, decodeMultipartFilename } from '../../src/services/files/uploads.service.js';
import { auth, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
let png: Buffer;
beforeAll(async () => {
  t = await startTestApp({ UPLOAD_MAX_BYTES: String(200 * 1024) });
  png = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#3366cc' } }).png().toBuffer();
});
afterAll(async () => t.close());

function multipart(filename: string, data: Buffer, contentType = 'application/octet-stream', field = 'file') {
  const boundary = `----parley${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    'utf8',
  );
  return { payload: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(who: Account, filename: string, data: Buffer, clientType?: string) {
  const body = multipart(filename, data, clientType);
  return t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(who.token), 'content-type': body.contentType }, payload: body.payload });
}

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Account | null, payload?: object) =>
  t.app.inject({ method, url, headers: who ? auth(who.token) : {}, ...(payload ? { payload } : {}) });

describe('file names', () => {
  it('keeps any script, drops paths and control characters', () => {
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanFilename('C:\\Users\\me\\报告 2026.pdf')).toBe('报告 2026.pdf');
    expect(cleanFilename('a\u0000b\nc.txt')).toBe('abc.txt');
    expect(cleanFilename('..')).toBe('file');
  });

  it('stores a path-traversal upload name as a plain name', async () => {
    const a = await register(t.app);
    const res = await upload(a, '../../../etc/passwd', Buffer.from('root:x:0:0'));
    expect(res.statusCode).toBe(201);
    expect(res.json().filename).toBe('passwd');
  });

  it('decodes a filename the way browsers encode it in multipart (%22, %0A, %0D), and nothing else', async () => {
    const a = await register(t.app);
    // What Chromium sends for a file named "report".png: the quotes percent-encoded.
    const res = await upload(a, '%22report%22.png', png);
    expect(res.statusCode).toBe(201);
    expect(res.json().filename).toBe('"report".png');
    const zh = await upload(a, '%22报告%22 %41.txt', Buffer.from('hello'));
    expect(zh.json().filename).toBe('"报告" %41.txt');
    expect(decodeMultipartFilename('a%0Ab%0dc%2522.txt')).toBe('a\nb\rc%2522.txt');
  });

  it('sends RFC 6266/5987 Content-Disposition with an ASCII fallback', () => {
    expect(contentDisposition('attachment', '报告 "final".pdf')).toBe(
      `attachment; filename="__ _final_.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22.pdf`,
    );
  });
});

describe('POST /uploads and GET /uploads/{id}', () => {
  it('stores a file with its type sniffed from the bytes, makes a WebP thumbnail, and serves it to the owner', async () => {
    const a = await register(t.app);
    const res = await upload(a, '照片.png', png, 'text/html');
    expect(res.statusCode).toBe(201);
    const up = res.json();
    expect(up).toEqual({
      id: expect.any(String),
      filename: '照片.png',
      contentType: 'image/png',
      size: png.length,
      url: expect.stringMatching(new RegExp(`^/api/v1/uploads/${up.id}\\?expires=\\d+&sig=`)),
      thumbnailUrl: expect.stringMatching(new RegExp(`^/api/v1/uploads/${up.id}/thumbnail\\?expires=\\d+&sig=`)),
      createdAt: expect.stringMatching(/Z$/),
    });
    const file = await call('GET', `/api/v1/uploads/${up.id}`, a);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['content-disposition']).toContain(`filename*=UTF-8''%E7%85%A7%E7%89%87.png`);
    expect(file.rawPayload.equals(png)).toBe(true);
    const thumb = await call('GET', `/api/v1/uploads/${up.id}/thumbnail`, a);
    expect(thumb.headers['content-type']).toBe('image/webp');
    const meta = await sharp(thumb.rawPayload).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(400);
  });

  it('never trusts the client type: HTML claimed as an image is served as text, as an attachment, sandboxed', async () => {
    const a = await register(t.app);
    const res = await upload(a, 'evil.png', Buffer.from('<html><script>alert(1)</script></html>'), 'image/png');
    expect(res.json().contentType).toBe('text/plain; charset=utf-8');
    expect(res.json().thumbnailUrl).toBeNull();
    const file = await call('GET', `/api/v1/uploads/${res.json().id}`, a);
    expect(file.headers['content-disposition']).toMatch(/^attachment;/);
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-security-policy']).toContain('sandbox');
  });

  it('answers 413 beyond the size limit and 400 without a file', async () => {
    const a = await register(t.app);
    const big = await upload(a, 'big.bin', Buffer.alloc(300 * 1024, 7));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    const wrongField = multipart('x.txt', Buffer.from('hi'), 'text/plain', 'other');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/uploads',
      headers: { ...auth(a.token), 'content-type': wrongField.contentType },
      payload: wrongField.payload,
    });
    expect(res.statusCode).toBe(400);
    const json = await call('POST', '/api/v1/uploads', a, { file: 'x' });
    expect(json.statusCode).toBe(415);
  });

  it('serves a signed URL without a header, and refuses a tampered or foreign one with 404', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const up = (await upload(a, 'a.png', png)).json();
    expect((await call('GET', up.url, null)).statusCode).toBe(200);
    expect((await call('GET', up.thumbnailUrl, null)).statusCode).toBe(200);
    // Its first character changed (to another one: a signature starting with A stayed intact, 1 run in 64).
    expect((await call('GET', up.url.replace(/sig=(.)/, (_: string, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`), null)).statusCode).toBe(404);
    // The thumbnail's signature does not open the file.
    const thumbSig = new URL(up.thumbnailUrl, 'http://x').search;
    expect((await call('GET', `/api/v1/uploads/${up.id}${thumbSig}`, null)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/uploads/${up.id}`, null)).statusCode).toBe(404);
    // Another user with no conversation in common: 404.
    expect((await call('GET', `/api/v1/uploads/${up.id}`, b)).statusCode).toBe(404);
  });

  it('attaches only the sender’s own uploads; members may then read them, until the message is deleted', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const outsider = await register(t.app);
    const group = (await call('POST', '/api/v1/groups', a, { name: 'files', memberIds: [b.user.id] })).json();
    const mine = (await upload(a, 'mine.png', png)).json();
    const theirs = (await upload(outsider, 'theirs.png', png)).json();

    const foreign = await call('POST', `/api/v1/conversations/${group.id}/messages`, a, { body: 'x', attachmentIds: [theirs.id] });
    expect(foreign.statusCode).toBe(400);

    const sent = await call('POST', `/api/v1/conversations/${group.id}/messages`, a, { body: '', attachmentIds: [mine.id] });
    expect(sent.statusCode).toBe(201);
    expect(sent.json().attachments).toEqual([{ ...mine, url: expect.any(String), thumbnailUrl: expect.any(String) }]);
    expect((await call('GET', `/api/v1/uploads/${mine.id}`, b)).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/uploads/${mine.id}`, outsider)).statusCode).toBe(404);
    const history = (await call('GET', `/api/v1/conversations/${group.id}/messages`, b)).json();
    expect(history.messages[0].attachments[0].id).toBe(mine.id);

    await call('DELETE', `/api/v1/messages/${sent.json().id}`, a);
    expect((await call('GET', `/api/v1/messages/${sent.json().id}`, b)).json().attachments).toEqual([]);
    expect((await call('GET', `/api/v1/uploads/${mine.id}`, b)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/uploads/${mine.id}`, a)).statusCode).toBe(200);
  });

  it('sets an avatar from an own image; any signed-in user may load it; a non-image is refused', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const img = (await upload(a, 'me.png', png)).json();
    const me = await call('PATCH', '/api/v1/users/me', a, { avatarUploadId: img.id });
    expect(me.statusCode).toBe(200);
    expect(me.json().avatarUrl).toMatch(new RegExp(`^/api/v1/uploads/${img.id}/thumbnail\\?`));
    expect((await call('GET', `/api/v1/uploads/${img.id}`, b)).statusCode).toBe(200);
    const seen = (await call('GET', `/api/v1/users/${a.user.id}`, b)).json();
    expect((await call('GET', seen.avatarUrl, null)).statusCode).toBe(200);

    const text = (await upload(a, 'x.txt', Buffer.from('hello'))).json();
    expect((await call('PATCH', '/api/v1/users/me', a, { avatarUploadId: text.id })).statusCode).toBe(400);
    const other = (await upload(b, 'b.png', png)).json();
    expect((await call('PATCH', '/api/v1/users/me', a, { avatarUploadId: other.id })).statusCode).toBe(400);
    expect((await call('PATCH', '/api/v1/users/me', a, { avatarUploadId: null })).json().avatarUrl).toBeNull();
  });

  it('removes uploads never attached after a day, keeping attached ones and avatars', async () => {
    const a = await register(t.app);
    const group = (await call('POST', '/api/v1/groups', a, { name: 'sweep' })).json();
    const loose = (await upload(a, 'loose.txt', Buffer.from('loose bytes'))).json();
    const kept = (await upload(a, 'kept.txt', Buffer.from('kept bytes'))).json();
    const avatar = (await upload(a, 'avatar.png', await sharp(png).resize(50).png().toBuffer())).json();
    await call('POST', `/api/v1/conversations/${group.id}/messages`, a, { body: 'file', attachmentIds: [kept.id] });
    await call('PATCH', '/api/v1/users/me', a, { avatarUploadId: avatar.id });
    await (t.app as ParleyApp).services.uploads.sweep(Date.now() + 25 * 60 * 60 * 1000);
    expect((await call('GET', `/api/v1/uploads/${loose.id}`, a)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/uploads/${kept.id}`, a)).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/uploads/${avatar.id}`, a)).statusCode).toBe(200);
  });
});
