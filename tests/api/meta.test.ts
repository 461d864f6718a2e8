import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

describe('outside /api/v1', () => {
  it('answers /healthz and /readyz with 200 while the database is reachable', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('serves an OpenAPI document that the OpenAPI 3 schema validator accepts', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Record<string, unknown>;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('serves an OpenAPI 3 document listing every foundation route, generated from the route schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const expected: [string, string][] = [
      ['post', '/api/v1/auth/register'],
      ['post', '/api/v1/auth/login'],
      ['post', '/api/v1/auth/logout'],
      ['get', '/api/v1/users/me'],
      ['patch', '/api/v1/users/me'],
      ['get', '/api/v1/users/{id}'],
      ['get', '/api/v1/users'],
      ['post', '/api/v1/groups'],
      ['get', '/api/v1/groups'],
      ['get', '/api/v1/groups/{id}'],
      ['patch', '/api/v1/groups/{id}'],
      ['delete', '/api/v1/groups/{id}'],
      ['get', '/api/v1/groups/{id}/members'],
      ['post', '/api/v1/groups/{id}/members'],
      ['patch', '/api/v1/groups/{id}/members/{userId}'],
      ['delete', '/api/v1/groups/{id}/members/{userId}'],
      ['get', '/api/v1/conversations'],
      ['post', '/api/v1/conversations/direct'],
      ['get', '/api/v1/conversations/{id}'],
      ['get', '/api/v1/conversations/{id}/messages'],
      ['post', '/api/v1/conversations/{id}/messages'],
      ['get', '/api/v1/conversations/{id}/events'],
      ['post', '/api/v1/conversations/{id}/read'],
      ['get', '/api/v1/messages/{id}'],
      ['patch', '/api/v1/messages/{id}'],
      ['delete', '/api/v1/messages/{id}'],
    ];
    for (const [method, path] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const register = doc.paths['/api/v1/auth/register']!.post as { requestBody?: unknown };
    expect(register.requestBody).toBeDefined();
  });

  it('serves the API reference page at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('answers an unknown route with 404 in the contract error format and a request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect(res.headers['x-request-id']).toMatch(/^\S+$/);
  });

  it('keeps a sane X-Request-Id from the client and replaces an unsafe one', async () => {
    const kept = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'a b\u00e9' } });
    expect(replaced.headers['x-request-id']).not.toBe('a b\u00e9');
  });
});

describe('hostile input is a 400, never a 500', () => {
  it('refuses NUL characters in bodies and query strings, and out-of-range seqs', async () => {
    const reg = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'nul_user', password: 'pass\u0000word1' } });
    expect(reg.statusCode).toBe(400);
    expect(reg.json().error.code).toBe('validation_failed');
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'nul_user', password: 'password1' } });
    expect(ok.statusCode).toBe(201);
    const headers = { authorization: `Bearer ${ok.json().token as string}` };
    const search = await t.app.inject({ method: 'GET', url: '/api/v1/users?q=a%00b', headers });
    expect(search.statusCode).toBe(400);
    const group = await t.app.inject({ method: 'POST', url: '/api/v1/groups', headers, payload: { name: 'g' } });
    const id = group.json().id as string;
    for (const q of ['before=99999999999999999999', 'after=1e30', 'limit=1e400', 'before=1.5']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}/messages?${q}`, headers });
      expect(res.statusCode, q).toBe(400);
    }
    const read = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/read`, headers, payload: { seq: 2 ** 64 } });
    expect(read.statusCode).toBe(400);
  });
});

describe('route schemas, compiled on first use (src/api/lazy-schemas.ts)', () => {
  it('leaves the schemas of routes not called yet uncompiled, and every one of them compiles', async () => {
    const fresh = await startTestApp();
    try {
      await fresh.app.ready();
      const before = fresh.app.schemas.uncompiled;
      // Hundreds of routes: a start compiles none of them.
      expect(before).toBeGreaterThan(100);
      // A route used once compiles its own schemas (its 400 names the problem) and no others.
      const res = await fresh.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'x' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(/password/);
      expect(fresh.app.schemas.uncompiled).toBeLessThan(before);
      expect(fresh.app.schemas.uncompiled).toBeGreaterThan(before - 10);
      // Every schema of every route compiles: a broken one would fail here, not on a user's request.
      fresh.app.schemas.compileAll();
      expect(fresh.app.schemas.uncompiled).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
