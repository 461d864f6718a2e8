/**
 * Issue 26.2, error amplification: a 400 lists the first few problems only, in a bounded body;
 * routes open to anyone take small bodies (PUBLIC_BODY_LIMIT) and check their per-address rate
 * limit before the body is read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/config.js';
import { MAX_VALIDATION_ERRORS } from '../../src/core/errors.js';
import { auth, register, startTestApp, uniqueName, type TestApp } from '../helpers/app.js';

/** A JSON object of n unknown keys (k0..), plus the given fields. */
function manyKeys(n: number, fields: Record<string, unknown> = {}): string {
  const body: Record<string, unknown> = { ...fields };
  for (let i = 0; i < n; i++) body[`k${i}`] = 1;
  return JSON.stringify(body);
}

const json = { 'content-type': 'application/json' };

describe('validation errors are capped', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('answers 80,000 unknown keys on an authenticated route with the first few problems, in a few KB', async () => {
    const me = await register(t.app);
    const payload = manyKeys(80_000, { displayName: 'ok' });
    expect(payload.length).toBeGreaterThan(800_000);
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...auth(me.token), ...json }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.rawPayload.length).toBeLessThan(8 * 1024);
    const { error } = res.json();
    expect(error.code).toBe('validation_failed');
    expect(error.details).toHaveLength(MAX_VALIDATION_ERRORS);
    expect(error.details[0]).toMatchObject({ field: 'body', property: 'k0' });
    expect(error.message).toMatch(/and 79990 more problems/);
  });

  it('quotes a long key or path to a bounded length', async () => {
    const me = await register(t.app);
    const key = 'x'.repeat(50_000);
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...auth(me.token), ...json }, payload: JSON.stringify({ [key]: 1 }) });
    expect(res.statusCode).toBe(400);
    expect(res.rawPayload.length).toBeLessThan(2 * 1024);
    expect(res.json().error.details[0].property.length).toBeLessThanOrEqual(129);
  });

  it('still lists every problem of an ordinary bad body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: JSON.stringify({ username: 'a', password: 1 }) });
    expect(res.statusCode).toBe(400);
    const fields = (res.json().error.details as { field: string }[]).map((d) => d.field).sort();
    expect(fields).toEqual(['body.password', 'body.username', 'body.username']);
  });
});

describe('routes open to anyone', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_PER_IP: '3/min', RATE_LIMIT_PASSWORD_RESET_PER_IP: '2/min', RATE_LIMIT_INVITE_CHECK_PER_IP: '2/min' });
  });
  afterAll(async () => t.close());

  const post = (url: string, payload: string, ip: string) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: json, payload, remoteAddress: ip });

  it('refuse a body over PUBLIC_BODY_LIMIT (16 KiB) with 413 before parsing it: the 869 KB login of the issue', async () => {
    const res = await post('/auth/login', manyKeys(80_000, { username: 'someone', password: 'x' }), '10.1.0.1');
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
    expect(res.rawPayload.length).toBeLessThan(512);
    for (const url of ['/auth/register', '/auth/password-reset', '/auth/password-reset/confirm']) {
      expect((await post(url, JSON.stringify({ pad: 'x'.repeat(17 * 1024) }), '10.1.0.2')).statusCode, url).toBe(413);
    }
    // Under the limit, a body is read as before.
    expect((await post('/auth/register', JSON.stringify({ username: uniqueName('pb'), password: 'password123', pad: 'x'.repeat(8 * 1024) }), '10.1.0.3')).statusCode).toBe(400);
  });

  it('count malformed bodies against the per-address limit, checked before the body is read', async () => {
    const ip = '10.1.1.1';
    expect((await post('/auth/login', '{"username":', ip)).statusCode).toBe(400);
    expect((await post('/auth/login', manyKeys(100), ip)).statusCode).toBe(400);
    expect((await post('/auth/login', JSON.stringify({ username: 'nobody_here', password: 'x' }), ip)).statusCode).toBe(401);
    // Over the limit: 429, whatever the body (unreadable, oversized): it is never parsed.
    for (const payload of ['{"username":', manyKeys(80_000)]) {
      const res = await post('/auth/login', payload, ip);
      expect(res.statusCode).toBe(429);
      expect(res.json().error.details.retryAfter).toBeGreaterThanOrEqual(1);
      expect(res.headers['retry-after']).toBe(String(res.json().error.details.retryAfter));
    }
    // Another address is not affected.
    expect((await post('/auth/login', JSON.stringify({ username: 'nobody_here', password: 'x' }), '10.1.1.2')).statusCode).toBe(401);
  });

  it('limit password resets and invite look-ups per address before reading them', async () => {
    const ip = '10.1.2.1';
    const codes: number[] = [];
    for (const payload of ['{', '{}', '{', manyKeys(80_000)]) codes.push((await post('/auth/password-reset', payload, ip)).statusCode);
    expect(codes).toEqual([400, 400, 429, 429]);
    const looks: number[] = [];
    for (const code of ['x', 'y', 'z']) {
      looks.push((await t.app.inject({ method: 'GET', url: `/api/v1/auth/invites/${code}`, remoteAddress: '10.1.2.2' })).statusCode);
    }
    expect(looks.slice(2)).toEqual([429]);
  });
});

it('reads PUBLIC_BODY_LIMIT, at most BODY_LIMIT, naming the variable when it is bad', () => {
  expect(parseConfig({}).publicBodyLimit).toBe(16 * 1024);
  expect(parseConfig({ PUBLIC_BODY_LIMIT: '4096' }).publicBodyLimit).toBe(4096);
  for (const env of [{ PUBLIC_BODY_LIMIT: '12kb' }, { PUBLIC_BODY_LIMIT: '10' }, { PUBLIC_BODY_LIMIT: '65536', BODY_LIMIT: '32768' }]) {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(/PUBLIC_BODY_LIMIT/);
  }
});
