import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, uniqueName, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT: 'on' });
});
afterAll(async () => t.close());

const post = (url: string, payload: object, ip = '10.0.0.1') => t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, remoteAddress: ip });

it('limits registrations per address: 429 rate_limited with Retry-After', async () => {
  const codes: number[] = [];
  for (let i = 0; i < 6; i++) codes.push((await post('/auth/register', { username: uniqueName('r'), password: 'password123' })).statusCode);
  expect(codes).toEqual([201, 201, 201, 201, 201, 429]);
  const res = await post('/auth/register', { username: uniqueName('r'), password: 'password123' });
  expect(res.json().error.code).toBe('rate_limited');
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  // Another address is not affected.
  expect((await post('/auth/register', { username: uniqueName('r'), password: 'password123' }, '10.0.0.2')).statusCode).toBe(201);
});

it('limits password guesses per account, from any address', async () => {
  const username = uniqueName('victim');
  await post('/auth/register', { username, password: 'password123' }, '10.0.1.1');
  const codes: number[] = [];
  for (let i = 0; i < 11; i++) codes.push((await post('/auth/login', { username, password: 'wrong-guess' }, `10.0.2.${i}`)).statusCode);
  expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
  expect(codes[10]).toBe(429);
  expect((await post('/auth/login', { username, password: 'password123' }, '10.0.3.1')).statusCode).toBe(429);
});
