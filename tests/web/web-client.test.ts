/**
 * The web client plugin: static files with the right caching, index.html for client-side routes
 * but never for the server's own paths, the CSP on pages, and a 503 page while the client is
 * being built or when its build failed (the API keeps working meanwhile).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { SERVER_PATHS, type WebClientOptions } from '../../src/web/plugin.js';
import { WEB_ROOT } from '../../src/web/paths.js';
import { precompressed } from '../../src/web/precompress-plugin.js';

const logger = createLogger({ level: 'silent', logDir: null });
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

function fixtureDist(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-web-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'export {};\n');
  fs.writeFileSync(path.join(dir, 'robots.txt'), 'User-agent: *\n');
  return dir;
}

let database: Database;
const apps: ParleyApp[] = [];
const dirs: string[] = [];

async function start(web: WebClientOptions | undefined): Promise<ParleyApp> {
  const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-uploads-'));
  dirs.push(uploadDir);
  const config = parseConfig({ LOG_LEVEL: 'silent', RATE_LIMIT: 'off', UPLOAD_DIR: uploadDir });
  const app = await buildApp({ config, database, logger, ...(web ? { web } : {}) });
  await app.ready();
  apps.push(app);
  return app;
}

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

beforeAll(async () => {
  database = await openDatabase({ kind: 'memory' }, logger);
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

afterAll(async () => {
  await database.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('web client: serving a build', () => {
  it('serves index.html at / with a strict CSP, revalidated on every load', async () => {
    const distDir = fixtureDist();
    dirs.push(distDir);
    const app = await start({ distDir });
    const res = await app.inject({ method: 'GET', url: '/', headers: { ...html, host: 'chat.example.org' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(INDEX);
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("img-src 'self' blob: data:");
    expect(csp).toContain("connect-src 'self' ws://chat.example.org wss://chat.example.org");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('leaves a malformed Host header out of the CSP', async () => {
    const distDir = fixtureDist();
    dirs.push(distDir);
    const app = await start({ distDir });
    const res = await app.inject({ method: 'GET', url: '/', headers: { ...html, host: "evil; script-src 'unsafe-inline'" } });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-security-policy'])).toMatch(/connect-src 'self';/);
    expect(String(res.headers['content-security-policy'])).not.toContain('evil');
  });

  it('caches hashed assets for a year as immutable', async () => {
    const distDir = fixtureDist();
    dirs.push(distDir);
    const app = await start({ distDir });
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await app.inject({ method: 'GET', url: '/assets/nope-123.js' });
    expect(missing.statusCode).toBe(404);
    const traversal = await app.inject({ method: 'GET', url: '/assets/..%2F..%2Fpackage.json' });
    expect(traversal.statusCode).toBe(404);
  });

  it("sends an asset's build-time Brotli or gzip copy to a client that accepts it, else the file itself", async () => {
    const distDir = fixtureDist();
    dirs.push(distDir);
    // As the build writes them (src/web/precompress-plugin.ts), from a file worth compressing.
    const source = Buffer.from(`export const words = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `word ${i} 你好`))};\n`);
    const file = path.join(distDir, 'assets', 'chunk-def456.js');
    fs.writeFileSync(file, source);
    const copies = await precompressed(source);
    expect(copies.map((c) => c.suffix)).toEqual(['.br', '.gz']);
    for (const { suffix, bytes } of copies) fs.writeFileSync(file + suffix, bytes);
    const app = await start({ distDir });
    const get = (acceptEncoding?: string) =>
      app.inject({ method: 'GET', url: '/assets/chunk-def456.js', headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });

    const br = await get('gzip, deflate, br, zstd');
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.rawPayload.length).toBeLessThan(source.length / 4);
    expect(zlib.brotliDecompressSync(br.rawPayload).equals(source)).toBe(true);

    const gz = await get('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.rawPayload).equals(source)).toBe(true);

    for (const plain of [await get(), await get('identity'), await get('deflate')]) {
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.rawPayload.equals(source)).toBe(true);
    }
    // A file without copies (too small to be worth it) is sent as it is, to anyone.
    expect(await precompressed(Buffer.from('export {};\n'))).toEqual([]);
    const small = await app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body).toBe('export {};\n');
  });

  it('serves other top-level files of the build', async () => {
    const distDir = fixtureDist();
    dirs.push(distDir);
    const app = await start({ distDir });
    const res = await app.inject({ method: 'GET', url: '/robots.txt' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('User-agent');
  });

  it('answers client-side routes with index.html when the browser asks for HTML', async () => {
    const distDir = fixtureDist();
    dirs.push(distDir);
    const app = await start({ distDir });
    for (const url of ['/c/01abc', '/c/01abc?x=1', '/settings/profile']) {
      const res = await app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-security-policy']).toBeDefined();
    }
    // Not a browser navigation: the ordinary JSON 404.
    const json = await app.inject({ method: 'GET', url: '/c/01abc', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(404);
    expect(json.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('never answers the server paths with index.html: they keep their JSON', async () => {
    const distDir = fixtureDist();
    dirs.push(distDir);
    const app = await start({ distDir });
    for (const url of ['/api/v1/nope', '/api/v2/x', '/api', '/uploads/abc', '/docs/nope.html', '/metrics/x']) {
      const res = await app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: { code: 'not_found' } });
    }
    const protectedRoute = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: html });
    expect(protectedRoute.statusCode).toBe(401);
    expect(protectedRoute.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const health = await app.inject({ method: 'GET', url: '/healthz', headers: html });
    expect(health.json()).toMatchObject({ status: 'ok', protocol: 1, minProtocol: 1 });
    const openapi = await app.inject({ method: 'GET', url: '/openapi.json', headers: html });
    expect(openapi.statusCode).toBe(200);
    expect(openapi.json()).toHaveProperty('openapi');
    const asyncapi = await app.inject({ method: 'GET', url: '/asyncapi.json', headers: html });
    expect(asyncapi.statusCode).toBe(200);
    expect(asyncapi.json()).toHaveProperty('asyncapi', '3.0.0');
    const post = await app.inject({ method: 'POST', url: '/c/abc', headers: html });
    expect(post.statusCode).toBe(404);
  });

  it("the service worker leaves the same server paths to the network (it repeats the server's list)", () => {
    const sw = fs.readFileSync(path.join(WEB_ROOT, 'public', 'sw.js'), 'utf8');
    expect(sw).toContain(`const SERVER_PATHS = ${String(SERVER_PATHS)};`);
    // Its static routes' URL patterns: each names server paths only, never a page or asset of the client.
    const listed = /const SERVER_PATTERNS = (\[[^\]]*\]);/.exec(sw)?.[1];
    expect(listed).toBeDefined();
    const patterns = JSON.parse(listed!.replaceAll("'", '"')) as string[];
    const matches = (pattern: string, p: string) => (pattern.endsWith('/*') ? p.startsWith(pattern.slice(0, -1)) : p === pattern);
    for (const pattern of patterns) expect(SERVER_PATHS.test(pattern.replace('*', 'some/path')), pattern).toBe(true);
    for (const page of ['/', '/c/01abc', '/c/01abc/t/01def', '/settings/profile', '/assets/index-abc123.js', '/sw.js', '/manifest.webmanifest', '/icon-192.png', '/apis', '/docsx']) {
      expect(patterns.filter((pattern) => matches(pattern, page)), page).toEqual([]);
    }
    for (const server of ['/api', '/api/v1/users/me', '/uploads/abc', '/healthz', '/readyz', '/metrics', '/docs', '/docs/json', '/openapi.json', '/asyncapi.json']) {
      expect(patterns.some((pattern) => matches(pattern, server)), server).toBe(true);
    }
  });

  it('without the web option, / is the API 404 as before', async () => {
    const app = await start(undefined);
    const res = await app.inject({ method: 'GET', url: '/', headers: html });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('web client: building', () => {
  it('answers 503 with a page that reloads itself while building, then serves the build', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-webbuild-'));
    dirs.push(root);
    const src = path.join(root, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'main.tsx'), 'x');
    const distDir = path.join(root, 'dist', 'web');
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    let builds = 0;
    const app = await start({
      distDir,
      build: {
        sources: [src],
        run: async (outDir) => {
          builds++;
          await gate;
          fs.mkdirSync(path.join(outDir, 'assets'), { recursive: true });
          fs.writeFileSync(path.join(outDir, 'index.html'), INDEX);
        },
      },
    });
    const during = await app.inject({ method: 'GET', url: '/', headers: html });
    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBe('5');
    expect(during.body).toContain('http-equiv="refresh"');
    expect(during.body).toContain('data-status="building"');
    expect(String(during.headers['content-security-policy'])).toContain("default-src 'none'");
    // The API does not wait for the client.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    finish();
    await expect.poll(async () => (await app.inject({ method: 'GET', url: '/', headers: html })).statusCode).toBe(200);
    expect(builds).toBe(1);
    expect(fs.readdirSync(path.dirname(distDir)).sort()).toEqual(['web']);
  });

  it('a failed build leaves the API up and / answering a clear 503 page', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-webbuild-'));
    dirs.push(root);
    const distDir = path.join(root, 'dist', 'web');
    const app = await start({
      distDir,
      build: {
        sources: [root],
        run: async () => {
          throw new Error('syntax error in app.tsx');
        },
      },
    });
    await expect.poll(async () => (await app.inject({ method: 'GET', url: '/', headers: html })).body).toContain('data-status="failed"');
    const res = await app.inject({ method: 'GET', url: '/c/abc', headers: html });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('could not be built');
    expect((await app.inject({ method: 'GET', url: '/api/v1/conversations' })).statusCode).toBe(401);
    // Nothing half-built is left behind: no temporary folder, no lock, an empty dist/web.
    expect(fs.readdirSync(path.join(root, 'dist'))).toEqual(['web']);
    expect(fs.readdirSync(distDir)).toEqual([]);
  });

  it('does not build when the build is newer than its sources, and rebuilds when a source changes', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-webbuild-'));
    dirs.push(root);
    const src = path.join(root, 'src');
    fs.mkdirSync(src);
    const file = path.join(src, 'main.tsx');
    fs.writeFileSync(file, 'x');
    const distDir = fixtureDist();
    dirs.push(distDir);
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(file, past, past);
    let builds = 0;
    const build = {
      sources: [src],
      run: async (outDir: string) => {
        builds++;
        fs.mkdirSync(outDir, { recursive: true });
        fs.writeFileSync(path.join(outDir, 'index.html'), '<!doctype html><p>rebuilt</p>');
      },
    };
    const app = await start({ distDir, build });
    await expect.poll(async () => (await app.inject({ method: 'GET', url: '/', headers: html })).statusCode).toBe(200);
    expect(builds).toBe(0);
    await app.close();
    apps.splice(apps.indexOf(app), 1);

    const future = new Date(Date.now() + 60_000);
    fs.utimesSync(file, future, future);
    const again = await start({ distDir, build });
    await expect.poll(async () => (await again.inject({ method: 'GET', url: '/', headers: html })).body).toContain('rebuilt');
    expect(builds).toBe(1);
  });

  it('two apps in one process share one build', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-webbuild-'));
    dirs.push(root);
    const distDir = path.join(root, 'dist', 'web');
    let builds = 0;
    const build = {
      sources: [root],
      run: async (outDir: string) => {
        builds++;
        await new Promise((r) => setTimeout(r, 100));
        fs.mkdirSync(outDir, { recursive: true });
        fs.writeFileSync(path.join(outDir, 'index.html'), INDEX);
      },
    };
    const [a, b] = await Promise.all([start({ distDir, build }), start({ distDir, build })]);
    for (const app of [a, b]) await expect.poll(async () => (await app.inject({ method: 'GET', url: '/', headers: html })).statusCode).toBe(200);
    expect(builds).toBe(1);
  });
});
