import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, startTestApp, type TestApp } from '../helpers/app.js';

describe('site settings (GET/PATCH /admin/settings)', () => {
  let t: TestApp;
  let admin: string;
  let plain: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = (await register(t.app, 'settingsadmin')).token;
    plain = (await register(t.app, 'settingsplain')).token;
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'PATCH', token: string, payload?: unknown) => apiCaller(() => t.app)(method, '/admin/settings', token, payload);

  it('starts open, with no domains and no retention', async () => {
    const res = await call('GET', admin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ signupMode: 'open', allowedEmailDomains: [], retentionDays: null, linkPreviews: true });
  });

  it('is for site admins only', async () => {
    expect((await call('GET', plain)).statusCode).toBe(403);
    expect((await call('PATCH', plain, { retentionDays: 30 })).statusCode).toBe(403);
  });

  it('keeps what is not patched, normalizes domains and audits the change', async () => {
    const res = await call('PATCH', admin, { signupMode: 'domain', allowedEmailDomains: ['Example.COM', '@corp.example.org', 'example.com'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ signupMode: 'domain', allowedEmailDomains: ['example.com', 'corp.example.org'], retentionDays: null, linkPreviews: true });
    expect((await call('PATCH', admin, { retentionDays: 90 })).json()).toMatchObject({ signupMode: 'domain', retentionDays: 90 });
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: { authorization: `Bearer ${admin}` } });
    const entries = audit.json().entries as { action: string; details: Record<string, unknown> }[];
    expect(entries.filter((e) => e.action === 'site.settings_changed').map((e) => e.details)).toEqual([
      { retentionDays: 90 },
      { signupMode: 'domain', allowedEmailDomains: ['example.com', 'corp.example.org'] },
    ]);
    await call('PATCH', admin, { signupMode: 'open', allowedEmailDomains: [], retentionDays: null, linkPreviews: true });
  });

  it('refuses bad values with 400', async () => {
    for (const body of [
      { signupMode: 'closed' },
      { signupMode: 'domain', allowedEmailDomains: [] },
      { allowedEmailDomains: ['not a domain'] },
      { allowedEmailDomains: ['a..b'] },
      { retentionDays: 0 },
      { retentionDays: 1.5 },
      { other: true },
    ]) {
      const res = await call('PATCH', admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
  });
});
