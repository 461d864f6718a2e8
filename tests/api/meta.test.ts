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
