/** Status and do not disturb (issue 22): shown on the User while they last, set and cleared by their owner. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const hhmm = (d: Date) => d.toISOString().slice(11, 16);

describe('status', () => {
  it('is set with a text and an emoji until a time, shown to others, cleared, and gone once expired', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const until = inMinutes(60);
    const set = await call('PUT', '/users/me/status', a, { text: '  在开会 \u202E ', emoji: '📅', expiresAt: until });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().status).toEqual({ text: '在开会', emoji: '📅', expiresAt: new Date(until).toISOString() });
    expect((await call('GET', `/users/${a.user.id}`, b)).json().status).toMatchObject({ text: '在开会', emoji: '📅' });
    // An emoji alone, until cleared.
    expect((await call('PUT', '/users/me/status', a, { emoji: ':palm_tree:' })).json().status).toEqual({ text: null, emoji: ':palm_tree:', expiresAt: null });
    expect((await call('DELETE', '/users/me/status', a)).json()).not.toHaveProperty('status');
    // Expired: not shown any more (checked when the user is shown, no job needed).
    await call('PUT', '/users/me/status', a, { text: 'lunch', expiresAt: inMinutes(30) });
    await t.database.db.execute(sql`UPDATE users SET status_expires_at = now() - interval '1 second' WHERE id = ${a.user.id}::uuid`);
    expect((await call('GET', `/users/${a.user.id}`, b)).json()).not.toHaveProperty('status');
  });

  it.each([
    [{}, 'a status needs a text or an emoji'],
    [{ text: '   ' }, 'a status needs a text or an emoji'],
    [{ emoji: 'smile' }, 'emoji must be'],
    [{ text: 'x'.repeat(101) }, 'longer than 100'],
    [{ text: 'x', expiresAt: '2020-01-01T00:00:00Z' }, 'in the next year'],
    [{ text: 'x', expiresAt: '2099-01-01T00:00:00Z' }, 'in the next year'],
  ])('refuses %j', async (body, message) => {
    const a = await register(t.app);
    const res = await call('PUT', '/users/me/status', a, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining(message) });
  });
});

describe('do not disturb', () => {
  it('until a time: dndUntil on the User until it passes or is ended', async () => {
    const a = await register(t.app);
    const until = inMinutes(90);
    expect((await call('PUT', '/users/me/dnd', a, { until })).json().dndUntil).toBe(new Date(until).toISOString());
    expect((await call('GET', `/users/${a.user.id}`, a)).json().dndUntil).toBe(new Date(until).toISOString());
    expect((await call('DELETE', '/users/me/dnd', a)).json()).not.toHaveProperty('dndUntil');
    expect((await call('PUT', '/users/me/dnd', a, { until: '2020-01-01T00:00:00Z' })).statusCode).toBe(400);
  });

  it('a daily schedule in the notification preferences, in the person\'s time zone', async () => {
    const a = await register(t.app);
    const now = new Date();
    const schedule = { start: hhmm(new Date(now.getTime() - 60_000)), end: hhmm(new Date(now.getTime() + 3_600_000)), days: [0, 1, 2, 3, 4, 5, 6], timeZone: 'UTC' };
    const prefs = await call('PATCH', '/users/me/notification-prefs', a, { dndSchedule: schedule });
    expect(prefs.statusCode, prefs.body).toBe(200);
    expect(prefs.json().dndSchedule).toEqual(schedule);
    const shown = (await call('GET', `/users/${a.user.id}`, a)).json();
    expect(new Date(shown.dndUntil).getTime()).toBeGreaterThan(now.getTime());
    // Another zone's clock: the same hours in a zone 12 hours away are not now.
    await call('PATCH', '/users/me/notification-prefs', a, { dndSchedule: { ...schedule, timeZone: 'Pacific/Kiritimati' } });
    expect((await call('GET', `/users/${a.user.id}`, a)).json()).not.toHaveProperty('dndUntil');
    expect((await call('PATCH', '/users/me/notification-prefs', a, { dndSchedule: null })).json().dndSchedule).toBeNull();
    for (const bad of [{ ...schedule, start: '25:00' }, { ...schedule, days: [] }, { ...schedule, timeZone: 'Mars/Base' }, { ...schedule, end: schedule.start }]) {
      expect((await call('PATCH', '/users/me/notification-prefs', a, { dndSchedule: bad })).statusCode).toBe(400);
    }
  });
});
