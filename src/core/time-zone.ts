/**
 * Days in time zones, with Intl only: whether a zone exists, its offset at an instant, when a
 * local day begins. Search's date filters and do-not-disturb schedules use them.
 */
import { badRequest } from './errors.js';

/** A formatter of each zone seen (making one costs tens of microseconds); only valid zones get one. */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();
function zoneFormatter(tz: string): Intl.DateTimeFormat {
  let f = zoneFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (zoneFormatters.size < 1000) zoneFormatters.set(tz, f);
  }
  return f;
}

/** Checks an IANA time zone name (400 otherwise). */
export function checkTimeZone(tz: string): string {
  try {
    zoneFormatter(tz);
  } catch {
    throw badRequest(`unknown time zone "${tz}"`, { field: 'tz' });
  }
  return tz;
}

/** Minutes a zone is ahead of UTC at an instant. */
function offsetMinutes(at: number, tz: string): number {
  const parts = zoneFormatter(tz).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(at / 1000) * 1000) / 60_000);
}

/** The instant a local wall time (a day YYYY-MM-DD and minutes past its midnight) has in a time zone. */
export function atLocalTime(dayText: string, minutes: number, tz: string): Date {
  const [y, m, d] = dayText.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000;
  // The zone's offset at that wall time (checked again: a change of offset that day moves it).
  let at = wall - offsetMinutes(wall, tz) * 60_000;
  at = wall - offsetMinutes(at, tz) * 60_000;
  return new Date(at);
}

/** The first instant of a day (YYYY-MM-DD) in a time zone. */
export function startOfDay(dayText: string, tz: string): Date {
  return atLocalTime(dayText, 0, tz);
}

/** The day after a YYYY-MM-DD day. */
export function nextDay(dayText: string): string {
  const [y, m, d] = dayText.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

