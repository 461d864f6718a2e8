import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { DEMO_PASSWORD, seed } from '../../src/cli/seed.js';
import { auth, register, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

it('replaces all data with demo users, groups and Chinese and English messages, twice over', async () => {
  const stranger = await register(t.app);
  const logger = createLogger({ level: 'silent', logDir: null });
  await seed(t.database, (t.app as ParleyApp).services, logger);
  await seed(t.database, (t.app as ParleyApp).services, logger);

  // Cleared first: the user made before seeding is gone.
  const gone = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: auth(stranger.token) });
  expect(gone.statusCode).toBe(401);

  const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'zhangwei', password: DEMO_PASSWORD } });
  expect(login.statusCode).toBe(200);
  const headers = auth(login.json().token as string);
  const users = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers });
  expect(users.json().users).toHaveLength(5);
  const inbox = (await t.app.inject({ method: 'GET', url: '/api/v1/conversations', headers })).json().conversations as {
    id: string;
    name: string | null;
    kind: string;
  }[];
  expect(inbox.map((c) => c.name)).toEqual(expect.arrayContaining(['General', '中文讨论', null]));
  const chinese = inbox.find((c) => c.name === '中文讨论')!;
  const history = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${chinese.id}/messages`, headers });
  const bodies = (history.json().messages as { body: string; seq: number }[]).map((m) => m.body);
  expect(bodies).toContain('今天的会议改到下午三点，大家注意时间。');
  expect(bodies.length).toBe(3);
});
