import { describe, expect, it } from 'vitest';
import { checkDndSchedule, dndUntil, scheduleEnd } from '../../src/services/identity/dnd.js';

const nights = { start: '22:00', end: '08:00', days: [1, 2, 3, 4, 5], timeZone: 'Asia/Shanghai' };

describe('do not disturb', () => {
  it('a schedule past midnight: inside from the start on a listed day until the end the next morning', () => {
    // Monday 2026-11-30 23:00 in Shanghai is 15:00Z; the quiet time ends Tuesday 08:00 local (00:00Z).
    expect(scheduleEnd(nights, new Date('2026-11-30T15:00:00Z'))?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    // Tuesday 07:59 local, still in Monday's night.
    expect(scheduleEnd(nights, new Date('2026-11-30T23:59:00Z'))?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    // Tuesday 08:00 local: over.
    expect(scheduleEnd(nights, new Date('2026-12-01T00:00:00Z'))).toBeNull();
    // Saturday 23:00 local (Saturday is not listed), and Monday 07:00 local after an unlisted Sunday.
    expect(scheduleEnd(nights, new Date('2026-12-05T15:00:00Z'))).toBeNull();
    expect(scheduleEnd(nights, new Date('2026-11-29T23:00:00Z'))).toBeNull();
    // Friday 23:00 runs into Saturday morning.
    expect(scheduleEnd(nights, new Date('2026-12-04T15:00:00Z'))?.toISOString()).toBe('2026-12-05T00:00:00.000Z');
  });

  it('ends at the local time on the days the clocks change', () => {
    const ny = { start: '22:00', end: '08:00', days: [0, 1, 2, 3, 4, 5, 6], timeZone: 'America/New_York' };
    // Saturday 2026-03-07 23:00 EST (04:00Z); 08:00 on Sunday is already EDT: 12:00Z.
    expect(scheduleEnd(ny, new Date('2026-03-08T04:00:00Z'))?.toISOString()).toBe('2026-03-08T12:00:00.000Z');
    // Saturday 2026-10-31 23:00 EDT (03:00Z); 08:00 on Sunday is EST again: 13:00Z.
    expect(scheduleEnd(ny, new Date('2026-11-01T03:00:00Z'))?.toISOString()).toBe('2026-11-01T13:00:00.000Z');
  });

  it('a schedule within a day', () => {
    const lunch = { start: '12:00', end: '13:30', days: [0, 1, 2, 3, 4, 5, 6], timeZone: 'UTC' };
    expect(scheduleEnd(lunch, new Date('2026-12-04T12:10:00Z'))?.toISOString()).toBe('2026-12-04T13:30:00.000Z');
    expect(scheduleEnd(lunch, new Date('2026-12-04T13:30:00Z'))).toBeNull();
    expect(scheduleEnd(lunch, new Date('2026-12-04T11:59:00Z'))).toBeNull();
  });

  it('a chosen end and a schedule: the later end of the two that hold now', () => {
    const at = new Date('2026-11-30T15:00:00Z');
    expect(dndUntil({ dndUntil: new Date('2026-11-30T16:00:00Z') }, null, at)?.toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(dndUntil({ dndUntil: new Date('2026-11-30T14:00:00Z') }, null, at)).toBeNull();
    expect(dndUntil({ dndUntil: new Date('2026-11-30T16:00:00Z') }, nights, at)?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(dndUntil({ dndUntil: new Date('2026-12-02T00:00:00Z') }, nights, at)?.toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });

  it.each([
    [{ ...nights, start: '24:00' }, 'HH:MM'],
    [{ ...nights, end: '22:00' }, 'must differ'],
    [{ ...nights, days: [] }, 'at least one'],
    [{ ...nights, days: [7] }, 'at least one'],
    [{ ...nights, timeZone: 'Nowhere/City' }, 'unknown time zone'],
  ])('refuses a malformed schedule %#', (s, message) => {
    expect(() => checkDndSchedule(s)).toThrow(message);
  });
});
