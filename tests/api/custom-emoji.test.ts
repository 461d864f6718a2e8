/**
 * Custom emoji (issue 22): site admins add an image under a name (sniffed PNG, GIF, JPEG or WebP,
 * EMOJI_MAX_BYTES at most, resized to 128×128 WebP, animations kept); everyone lists them (ETag,
 * 304) and sees the image; `:name:` reactions need a standard or a current custom name; deleting
 * keeps old reactions' names; changes reach every socket as emoji.created / emoji.deleted.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, auth, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

const MAX_BYTES = 16 * 1024;
const MAX_COUNT = 6;

function form(parts: { name?: string; file?: { filename: string; data: Buffer } }) {
  const boundary = `----emoji${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  if (parts.name !== undefined) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n${parts.name}\r\n`, 'utf8'));
  if (parts.file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${parts.file.filename}"\r\nContent-Type: image/png\r\n\r\n`, 'utf8'));
    chunks.push(parts.file.data, Buffer.from('\r\n', 'utf8'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

const png = (w = 300, h = 200, background = '#ff8800') => sharp({ create: { width: w, height: h, channels: 4, background } }).png().toBuffer();

describe('custom emoji', () => {
  let t: TestServer;
  let admin: Account;
  let alice: Account;
  const call = apiCaller(() => t.app);
  const add = (who: Account, name: string | undefined, data?: Buffer, filename = 'emoji.png') => {
    const body = form({ name, file: data ? { filename, data } : undefined });
    return t.app.inject({ method: 'POST', url: '/api/v1/emoji', headers: { ...auth(who.token), 'content-type': body.contentType }, payload: body.payload });
  };

  beforeAll(async () => {
    t = await startTestServer({ EMOJI_MAX_BYTES: String(MAX_BYTES), MAX_CUSTOM_EMOJI: String(MAX_COUNT) });
    // The first account is the site admin.
    admin = await register(t.app);
    alice = await register(t.app);
  }, 60_000);
  afterAll(async () => t?.close());

  it('a site admin adds one: resized to WebP within 128×128, public image with long caching, listed, announced to every socket', async () => {
    const ws = await WsClient.connect(t.wsUrl, alice.token);
    const res = await add(admin, 'party_cat', await png());
    expect(res.statusCode, res.body).toBe(201);
    const emoji = res.json();
    expect(emoji).toMatchObject({ name: 'party_cat', creator: { id: admin.user.id, username: admin.user.username } });
    expect(emoji.url).toMatch(/^\/api\/v1\/emoji\/party_cat\/image\?v=[0-9a-f]{16}$/);
    expect(Date.parse(emoji.createdAt)).not.toBeNaN();
    const frame = await ws.next((f) => f.type === 'emoji.created');
    expect(frame).toEqual({ type: 'emoji.created', emoji });
    ws.close();

    // No token needed (an <img>); the URL with its version is cacheable for ever.
    const image = await t.app.inject({ method: 'GET', url: emoji.url });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/webp');
    expect(image.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(image.headers['x-content-type-options']).toBe('nosniff');
    const meta = await sharp(image.rawPayload).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 128, height: 85 });
    // Without the current version: a short cache.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/emoji/party_cat/image' })).headers['cache-control']).toBe('public, max-age=300');

    const list = await call('GET', '/emoji', alice);
    expect(list.statusCode).toBe(200);
    expect(list.json().emoji).toContainEqual(emoji);
  });

  it('keeps an animated GIF animated', async () => {
    const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map((c) => png(64, 64, c)));
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    const res = await add(admin, 'blink', gif, 'blink.gif');
    expect(res.statusCode, res.body).toBe(201);
    const meta = await sharp((await t.app.inject({ method: 'GET', url: res.json().url })).rawPayload).metadata();
    expect(meta).toMatchObject({ format: 'webp', pages: 3, width: 64 });
  });

  it('sniffs the type from the bytes: text, SVG and PDF named .png are 415; an image that does not decode is 400', async () => {
    for (const data of [
      Buffer.from('just some text, not an image\n'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'),
      Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1'),
    ]) {
      const res = await add(admin, 'sneaky', data, 'sneaky.png');
      expect(res.statusCode, res.body).toBe(415);
      expect(res.json().error.code).toBe('unsupported_media_type');
    }
    // A PNG's signature, header and the start of its first data chunk, then bytes that are not
    // deflate data: sniffed as PNG (deterministically: no random bytes), refused when decoding.
    const real = await png();
    const idat = real.indexOf('IDAT', 0, 'latin1');
    expect(idat).toBeGreaterThan(8);
    const broken = Buffer.concat([real.subarray(0, idat + 6), Buffer.alloc(200, 0xab)]);
    const res = await add(admin, 'broken', broken);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect((await add(admin, 'empty', Buffer.alloc(0))).statusCode).toBe(400);
    expect((await call('GET', '/emoji', admin)).json().emoji.map((e: { name: string }) => e.name)).not.toContain('sneaky');
  });

  it('refuses an image over EMOJI_MAX_BYTES with 413', async () => {
    const noise = await sharp(randomBytes(120 * 120 * 3), { raw: { width: 120, height: 120, channels: 3 } }).png().toBuffer();
    expect(noise.length).toBeGreaterThan(MAX_BYTES);
    const res = await add(admin, 'huge', noise);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'payload_too_large', details: { maxBytes: MAX_BYTES } });
  });

  it('checks names: the pattern (400), a standard emoji (400), one taken (409), none given (400)', async () => {
    const image = await png(32, 32);
    for (const name of ['Upper', 'with space', 'dot.name', '', 'x'.repeat(65), 'ümlaut', ':colons:']) {
      const res = await add(admin, name, image);
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect((await add(admin, 'x'.repeat(64), image)).statusCode).toBe(201);
    for (const name of ['thumbsup', '+1', 'tada', 'heart']) {
      const res = await add(admin, name, image);
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error.message).toContain('standard emoji');
    }
    const taken = await add(admin, 'party_cat', image);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('conflict');
    expect((await add(admin, undefined, image)).statusCode).toBe(400);
    expect((await add(admin, 'nofile')).statusCode).toBe(400);
    const json = await call('POST', '/emoji', admin, { name: 'json' });
    expect(json.statusCode).toBe(415);
  });

  it('only site admins add and delete; signed-in users list; anonymous callers get 401 for the list', async () => {
    const res = await add(alice, 'mine', await png(32, 32));
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect((await call('DELETE', '/emoji/party_cat', alice)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/emoji' })).statusCode).toBe(401);
    expect((await call('DELETE', '/emoji/no_such_emoji', admin)).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/emoji/no_such_emoji/image' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/emoji/..%2F..%2Fetc/image' })).statusCode).toBe(404);
  });

  it('answers 304 to a matching If-None-Match, and a new ETag after a change', async () => {
    const first = await call('GET', '/emoji', alice);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/emoji', headers: { ...auth(alice.token), 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/emoji', headers: { ...auth(alice.token), 'if-none-match': `W/${etag}` } })).statusCode).toBe(304);
    expect((await add(admin, 'etag_test', await png(20, 20))).statusCode).toBe(201);
    const changed = await t.app.inject({ method: 'GET', url: '/api/v1/emoji', headers: { ...auth(alice.token), 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json().emoji.map((e: { name: string }) => e.name)).toContain('etag_test');
  });

  it('reactions take a custom name, a standard one, or any other :short_name: as before (the contract takes any); deleting keeps old reactions and message text', async () => {
    const group = (await call('POST', '/groups', alice, { name: 'emoji fans', memberIds: [admin.user.id] })).json();
    const msg = (await call('POST', `/conversations/${group.id}/messages`, alice, { body: 'look :party_cat: here' })).json();
    const react = (who: Account, emoji: string, method: 'PUT' | 'DELETE' = 'PUT') => call(method, `/messages/${msg.id}/reactions/${encodeURIComponent(emoji)}`, who);
    expect((await react(alice, ':party_cat:')).statusCode).toBe(204);
    expect((await react(admin, ':party_cat:')).statusCode).toBe(204);
    expect((await react(alice, ':tada:')).statusCode).toBe(204);
    // A name this site does not know is taken as it always was (clients show it as text).
    expect((await react(alice, ':no_such_emoji:')).statusCode).toBe(204);
    expect((await react(alice, ':no_such_emoji:', 'DELETE')).statusCode).toBe(204);
    expect((await react(alice, 'no colons')).statusCode).toBe(400);

    const ws = await WsClient.connect(t.wsUrl, alice.token);
    expect((await call('DELETE', '/emoji/party_cat', admin)).statusCode).toBe(204);
    expect(await ws.next((f) => f.type === 'emoji.deleted')).toEqual({ type: 'emoji.deleted', name: 'party_cat' });
    ws.close();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/emoji/party_cat/image' })).statusCode).toBe(404);
    expect((await call('GET', '/emoji', alice)).json().emoji.map((e: { name: string }) => e.name)).not.toContain('party_cat');

    const after = (await call('GET', `/messages/${msg.id}`, alice)).json();
    expect(after.body).toBe('look :party_cat: here');
    expect(after.reactions).toEqual([
      { emoji: ':party_cat:', count: 2, me: true },
      { emoji: ':tada:', count: 1, me: true },
    ]);
    // Gone now: its reactions are taken back as any other.
    expect((await react(alice, ':party_cat:', 'DELETE')).statusCode).toBe(204);
    expect((await call('GET', `/messages/${msg.id}`, alice)).json().reactions).toContainEqual({ emoji: ':party_cat:', count: 1, me: false });

    const audit = (await call('GET', '/admin/audit', admin)).json().entries as { action: string; details: { name?: string } }[];
    expect(audit).toContainEqual(expect.objectContaining({ action: 'emoji.deleted', details: { name: 'party_cat' } }));
    expect(audit).toContainEqual(expect.objectContaining({ action: 'emoji.created', details: { name: 'party_cat' } }));
  });

  it('holds at most MAX_CUSTOM_EMOJI (409 beyond); a deleted name is free again', async () => {
    const have = (await call('GET', '/emoji', admin)).json().emoji.length as number;
    for (let i = have; i < MAX_COUNT; i++) expect((await add(admin, `fill_${i}`, await png(16, 16))).statusCode).toBe(201);
    const full = await add(admin, 'one_too_many', await png(16, 16));
    expect(full.statusCode).toBe(409);
    expect(full.json().error.message).toContain('MAX_CUSTOM_EMOJI');
    expect((await call('DELETE', '/emoji/blink', admin)).statusCode).toBe(204);
    expect((await add(admin, 'blink', await png(16, 16, '#000000'))).statusCode).toBe(201);
  });
});
