/**
 * Uploads against path traversal (in upload ids, file names and blob keys) and content-type
 * spoofing (a declared type is never believed; nothing uploaded is ever rendered as a page).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanFilename, contentDisposition } from '../../src/services/files/uploads.service.js';
import { LocalBlobStore } from '../../src/storage/blob-store.js';
import { auth, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
let a: Account;
let png: Buffer;
beforeAll(async () => {
  t = await startTestApp();
  a = await register(t.app);
  png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#118844' } }).png().toBuffer();
});
afterAll(async () => t.close());

function multipart(filename: string, data: Buffer, contentType: string) {
  const boundary = `----parley${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    'utf8',
  );
  return { payload: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(filename: string, data: Buffer, declared = 'application/octet-stream') {
  const body = multipart(filename, data, declared);
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(a.token), 'content-type': body.contentType }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; filename: string; contentType: string; url: string; thumbnailUrl: string | null };
}

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('path traversal', () => {
  it('answers 404 (never a file, never a 5xx) for upload ids that try to leave the upload folder', async () => {
    const up = await upload('real.png', png, 'image/png');
    const signed = new URL(up.url, 'http://x').search;
    const ids = [
      '..%2F..%2F..%2Fetc%2Fpasswd',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '%2E%2E',
      '..',
      '..%252f..%252fetc%252fpasswd',
      '%2Fetc%2Fpasswd',
      '%5C..%5C..%5Cwindows%5Cwin.ini',
      `${up.id}%00`,
      `${up.id}%00.png`,
      `${up.id}%2F..%2F..`,
      up.id.toUpperCase().replace(/-/g, ''),
      'a'.repeat(5000),
    ];
    for (const id of ids) {
      for (const suffix of ['', '/thumbnail']) {
        for (const query of ['', signed]) {
          const res = await t.app.inject({ method: 'GET', url: `/api/v1/uploads/${id}${suffix}${query}`, headers: auth(a.token) });
          expect(res.statusCode, `${id}${suffix}${query}`).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, `${id}${suffix}${query}`).toBeLessThan(500);
          expect(res.headers['content-type'], id).toMatch(/^application\/json/);
          expect(res.body).not.toContain('root:');
        }
      }
    }
    // Raw dot segments, unencoded, are resolved by nobody: still no file outside the folder.
    const raw = await t.app.inject({ method: 'GET', url: `/api/v1/uploads/../../../../etc/passwd`, headers: auth(a.token) });
    expect(raw.statusCode).toBe(404);
    expect(raw.body).not.toContain('root:');
  });

  it('keeps only the last path segment of a file name and stores the bytes under their hash', async () => {
    const cases: [string, string][] = [
      ['../../../../tmp/parley-pwned.txt', 'parley-pwned.txt'],
      ['..\\..\\..\\Windows\\parley-pwned.txt', 'parley-pwned.txt'],
      ['/etc/cron.d/parley-pwned', 'parley-pwned'],
      ['C:\\parley-pwned.txt', 'parley-pwned.txt'],
      ['%2e%2e%2fparley-pwned.txt', '%2e%2e%2fparley-pwned.txt'],
      ['..', 'file'],
      ['./', 'file'],
    ];
    for (const [given, stored] of cases) {
      const up = await upload(given, Buffer.from(`contents of ${given}`), 'text/plain');
      expect(up.filename, given).toBe(stored);
    }
    expect(fs.existsSync('/tmp/parley-pwned.txt')).toBe(false);
    // Only hash-named files (and the temporary folder) under UPLOAD_DIR: no client name reaches the disk.
    for (const f of filesUnder(t.config.uploadDir)) {
      expect(f).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}(\.thumb\.webp)?$/);
    }
  });

  it('drops NUL, control and bidirectional-override characters and caps the length of a name', async () => {
    expect(cleanFilename('report\u0000.pdf')).toBe('report.pdf');
    expect(cleanFilename('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(cleanFilename('a\u2066b\u2069c\u200f.txt')).toBe('abc.txt');
    expect(cleanFilename('שלום.txt')).toBe('שלום.txt');
    expect([...cleanFilename('名'.repeat(5000))].length).toBe(200);
    const up = await upload(`${'x'.repeat(3000)}.png`, png, 'image/png');
    expect(up.filename.length).toBe(200);
    const nul = await upload('evil.png\u0000.html', Buffer.from('<html><script>alert(1)</script></html>'), 'text/html');
    expect(nul.filename).toBe('evil.png.html');
  });

  it('puts no line break or bare quote of a name into Content-Disposition', async () => {
    const header = contentDisposition('attachment', 'a"\r\nSet-Cookie: x=1.txt');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.startsWith('attachment; filename="a_')).toBe(true);
    // A name that tries to add parameters stays inside the quotes, and percent-encoded in filename*.
    const up = await upload('report; filename=evil.html', Buffer.from('hi there'), 'text/plain');
    const res = await t.app.inject({ method: 'GET', url: up.url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="report; filename=evil.html"; filename*=UTF-8''report%3B%20filename%3Devil.html`,
    );
  });

  it('refuses blob keys that are not our own hashes (the store never sees a client path)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-blobs-'));
    try {
      const store = new LocalBlobStore(root);
      const bad = ['../../etc/passwd', '/etc/passwd', `${'a'.repeat(64)}/../../x`, `${'a'.repeat(64)}\u0000`, 'A'.repeat(64), 'a'.repeat(63), '..'];
      for (const key of bad) {
        await expect(store.read(key), key).rejects.toThrow(/bad blob key/);
        await expect(store.putBuffer(key, Buffer.from('x')), key).rejects.toThrow(/bad blob key/);
        await expect(store.delete(key), key).rejects.toThrow(/bad blob key/);
      }
      expect(fs.readdirSync(root)).toEqual(['tmp']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('content-type spoofing', () => {
  /** Fetches an upload with its signed URL (no header), as an <img> or a link would. */
  async function served(url: string) {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    // Whatever it is: never sniffed by the browser, never able to run script as this origin.
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    return res;
  }

  it.each([
    ['evil.html', 'text/html', '<!doctype html><html><body><script>alert(document.domain)</script></body></html>'],
    ['evil.png', 'image/png', '<html><body onload="alert(1)"></body></html>'],
    ['evil.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'],
    ['evil.svg', 'image/svg+xml', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(3)</script></svg>'],
    ['evil.xhtml', 'application/xhtml+xml', '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(4)</script></html>'],
    ['evil.js', 'application/javascript', 'alert(document.cookie)'],
  ])('%s declared %s: stored by its bytes, downloaded as an attachment, never inline', async (name, declared, content) => {
    const up = await upload(name, Buffer.from(content), declared);
    expect(up.contentType).not.toMatch(/html|svg|javascript|image\//);
    expect(up.thumbnailUrl).toBeNull();
    const res = await served(up.url);
    expect(String(res.headers['content-type'])).toBe(up.contentType);
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment;/);
    // No thumbnail of it either.
    const thumb = await t.app.inject({ method: 'GET', url: `/api/v1/uploads/${up.id}/thumbnail`, headers: auth(a.token) });
    expect(thumb.statusCode).toBe(404);
  });

  it('a real image declared as HTML is an image; one with HTML appended stays an image, sandboxed', async () => {
    const up = await upload('photo.html', png, 'text/html');
    expect(up.contentType).toBe('image/png');
    const res = await served(up.url);
    expect(res.headers['content-type']).toBe('image/png');
    expect(String(res.headers['content-disposition'])).toMatch(/^inline;/);
    // A PNG/HTML polyglot: the bytes say PNG, so it is served as one (nosniff: never as a page).
    const polyglot = await upload('poly.png', Buffer.concat([png, Buffer.from('<html><script>alert(5)</script></html>')]), 'image/png');
    expect(polyglot.contentType).toBe('image/png');
    expect((await served(polyglot.url)).headers['content-type']).toBe('image/png');
  });

  it('a thumbnail is always a WebP the server made, whatever the original', async () => {
    const up = await upload('photo.png', png, 'image/png');
    const res = await served(up.thumbnailUrl!);
    expect(res.headers['content-type']).toBe('image/webp');
    expect((await sharp(res.rawPayload).metadata()).format).toBe('webp');
  });
});
