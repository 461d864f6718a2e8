/**
 * The account's language and theme (issue 21): PATCH /users/me saves `locale` ('en' or 'zh-CN'), the own
 * user (GET /users/me, GET /auth/session, PATCH's answer) carries it, others never see it, and
 * anything else is a 400 in the contract's error format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const call = apiCaller(() => t.app);

beforeAll(async () => {
  t = await startTestApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('the account language', () => {
  it('is null until chosen, then saved and returned on the own user only', async () => {
    const [ann, ben] = await Promise.all([register(t.app), register(t.app)]);
    const before = await call('GET', '/users/me', ann);
    expect(before.json().locale).toBeNull();

    const patched = await call('PATCH', '/users/me', ann, { locale: 'zh-CN' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ id: ann.user.id, locale: 'zh-CN', displayName: ann.user.displayName });
    expect((await call('GET', '/users/me', ann)).json().locale).toBe('zh-CN');
    const session = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { authorization: `Bearer ${ann.token}` } });
    expect(session.json().user.locale).toBe('zh-CN');

    // Another person's view of the user has no language.
    const seen = await call('GET', `/users/${ann.user.id}`, ben);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json()).not.toHaveProperty('locale');

    expect((await call('PATCH', '/users/me', ann, { locale: 'en' })).json().locale).toBe('en');
    expect((await call('GET', '/users/me', ann)).json().locale).toBe('en');
  });

  it('refuses a language Parley does not speak with a 400', async () => {
    const ann = await register(t.app);
    for (const locale of ['fr', 'zh', 'EN', '', null, 5]) {
      const res = await call('PATCH', '/users/me', ann, { locale });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBeTruthy();
    }
    expect((await call('GET', '/users/me', ann)).json().locale).toBeNull();
  });
});

describe('the account theme', () => {
  it("is 'system' until chosen, then saved and returned on the own user only", async () => {
    const [ann, ben] = await Promise.all([register(t.app), register(t.app)]);
    expect((await call('GET', '/users/me', ann)).json().theme).toBe('system');

    const patched = await call('PATCH', '/users/me', ann, { theme: 'dark' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ id: ann.user.id, theme: 'dark', locale: null, displayName: ann.user.displayName });
    expect((await call('GET', '/users/me', ann)).json().theme).toBe('dark');
    const session = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { authorization: `Bearer ${ann.token}` } });
    expect(session.json().user.theme).toBe('dark');
    expect((await call('GET', `/users/${ann.user.id}`, ben)).json()).not.toHaveProperty('theme');

    // With the language in one request; then back to the device's.
    expect((await call('PATCH', '/users/me', ann, { theme: 'light', locale: 'zh-CN' })).json()).toMatchObject({ theme: 'light', locale: 'zh-CN' });
    expect((await call('PATCH', '/users/me', ann, { theme: 'system' })).json()).toMatchObject({ theme: 'system', locale: 'zh-CN' });
    expect((await call('GET', '/users/me', ann)).json().theme).toBe('system');
  });

  it('refuses a theme the client does not have with a 400', async () => {
    const ann = await register(t.app);
    for (const theme of ['sepia', 'Dark', '', null, 1, ['dark']]) {
      const res = await call('PATCH', '/users/me', ann, { theme });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBeTruthy();
    }
    expect((await call('GET', '/users/me', ann)).json().theme).toBe('system');
  });
});
