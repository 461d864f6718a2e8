/**
 * Security headers (helmet, and the web client's own CSP) on API responses, the web client's
 * page and the API docs; CORS for /api/v1 from CORS_ORIGINS only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { auth, register, uniqueName } from '../helpers/app.js';

const logger = createLogger({ level: 'silent', logDir: null });
const ALLOWED = 'https://chat.example.com';
const OTHER = 'https://evil.example.net';

let database: Database;
let plain: ParleyApp;
let withCors: ParleyApp;
const dirs: string[] = [];

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function start(env: Record<string, string>): Promise<ParleyApp> {
  const distDir = tempDir('parley-web-');
  fs.mkdirSync(path.join(distDir, 'assets'));
  fs.writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><html><body><div id="root"></div></body></html>');
  const config = parseConfig({ LOG_LEVEL: 'silent', RATE_LIMIT: 'off', UPLOAD_DIR: tempDir('parley-uploads-'), ...env });
  const app = await buildApp({ config, database, logger, web: { distDir } });
  await app.ready();
  return app;
}

beforeAll(async () => {
  database = await openDatabase({ kind: 'memory' }, logger);
  plain = await start({});
  withCors = await start({ CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` });
});

afterAll(async () => {
  await plain?.close();
  await withCors?.close();
  await database?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** What every response of the server carries, whatever serves it. */
function expectBaseline(res: LightMyRequestResponse): void {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  // Browsers ignore HSTS over plain http; behind TLS it pins https for a year.
  expect(String(res.headers['strict-transport-security'])).toMatch(/^max-age=(\d+)/);
  expect(Number(/max-age=(\d+)/.exec(String(res.headers['strict-transport-security']))![1])).toBeGreaterThanOrEqual(365 * 24 * 3600);
  expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(res.headers['x-powered-by']).toBeUndefined();
}

describe('security headers', () => {
  it('on API responses, successful or not', async () => {
    const a = await register(plain, uniqueName('h'));
    const ok = await plain.inject({ method: 'GET', url: '/api/v1/users/me', headers: auth(a.token) });
    expect(ok.statusCode).toBe(200);
    expectBaseline(ok);
    expect(ok.headers['cross-origin-resource-policy']).toBe('same-origin');
    const refused = await plain.inject({ method: 'GET', url: '/api/v1/users/me' });
    expect(refused.statusCode).toBe(401);
    expectBaseline(refused);
    const missing = await plain.inject({ method: 'GET', url: '/api/v1/no-such-thing' });
    expect(missing.statusCode).toBe(404);
    expectBaseline(missing);
  });

  it("on the web client's page, with its strict CSP (no inline scripts, not framed)", async () => {
    const res = await plain.inject({ method: 'GET', url: '/', headers: { accept: 'text/html', host: 'chat.example.com' } });
    expect(res.statusCode).toBe(200);
    expectBaseline(res);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('on the API docs page and the OpenAPI and AsyncAPI documents', async () => {
    const docs = await plain.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    expectBaseline(docs);
    for (const url of ['/openapi.json', '/asyncapi.json']) {
      const spec = await plain.inject({ method: 'GET', url });
      expect(spec.statusCode, url).toBe(200);
      expectBaseline(spec);
    }
  });

  it('on health and metrics', async () => {
    expectBaseline(await plain.inject({ method: 'GET', url: '/healthz' }));
    expectBaseline(await plain.inject({ method: 'GET', url: '/metrics' }));
  });
});

describe('CORS (CORS_ORIGINS)', () => {
  const preflight = (app: ParleyApp, origin: string, url = '/api/v1/users/me', method = 'GET') =>
    app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
    });

  it('answers a preflight from a listed origin, Authorization allowed', async () => {
    const res = await preflight(withCors, ALLOWED, '/api/v1/conversations/x/messages', 'POST');
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(res.headers.vary)).toMatch(/origin/i);
    // No cookies are involved: credentials are never allowed.
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const local = await preflight(withCors, 'http://localhost:5173', '/api/v1/groups', 'PATCH');
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  it('lets a listed origin read responses, Retry-After and X-Request-Id included', async () => {
    const a = await register(withCors, uniqueName('c'));
    const res = await withCors.inject({ method: 'GET', url: '/api/v1/users/me', headers: { ...auth(a.token), origin: ALLOWED } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(res.headers['access-control-expose-headers']).toLowerCase()).toContain('retry-after');
    expect(String(res.headers['access-control-expose-headers']).toLowerCase()).toContain('x-request-id');
    // Its <img> may show uploads (signed URLs): the resource policy lets other origins embed them.
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const refused = await withCors.inject({ method: 'GET', url: '/api/v1/users/me', headers: { origin: ALLOWED } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('refuses an origin not listed, a look-alike and the null origin', async () => {
    for (const origin of [OTHER, 'https://chat.example.com.evil.net', 'http://chat.example.com', 'https://chat.example.com:8443', 'null']) {
      const pre = await preflight(withCors, origin);
      // Answered (204) but without Access-Control-Allow-Origin: the browser keeps the request back.
      expect(pre.headers['access-control-allow-origin'], origin).toBeUndefined();
      const get = await withCors.inject({ method: 'GET', url: '/api/v1/users/me', headers: { origin } });
      expect(get.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('applies to /api/v1 only', async () => {
    const res = await withCors.inject({ method: 'GET', url: '/healthz', headers: { origin: ALLOWED } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    for (const url of ['/openapi.json', '/asyncapi.json']) {
      const docs = await withCors.inject({ method: 'GET', url, headers: { origin: ALLOWED } });
      expect(docs.headers['access-control-allow-origin'], url).toBeUndefined();
    }
  });

  it('allows no cross-origin access when CORS_ORIGINS is empty (the default)', async () => {
    const pre = await preflight(plain, ALLOWED);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.statusCode).toBe(404);
    expect(pre.json().error.code).toBe('not_found');
    const get = await plain.inject({ method: 'GET', url: '/api/v1/users/me', headers: { origin: ALLOWED } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});
