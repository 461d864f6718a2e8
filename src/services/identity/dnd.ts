/**
 * Do not disturb: until a time someone chose, or during a daily schedule in their time zone
 * (22:00-08:00 on weekdays, say). While it lasts, pushes are not sent and the e-mail digest
 * waits. Pure: the caller gives the clock.
 */
import { badRequest } from '../../core/errors.js';
import { atLocalTime, checkTimeZone, nextDay } from '../../core/time-zone.js';

/** A daily quiet time: from `start` to `end` (local "HH:MM"; an end at or before the start runs past midnight), on `days` (0 = Sunday). */
export interface DndSchedule {
  start: string;
  end: string;
  days: number[];
  timeZone: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutes = (hhmm: string): number => {
  const m = HHMM.exec(hhmm)!;
  return Number(m[1]) * 60 + Number(m[2]);
};

/** Checks a schedule from a request (400 for anything malformed). */
export function checkDndSchedule(v: DndSchedule): DndSchedule {
  if (!HHMM.test(v.start) || !HHMM.test(v.end)) throw badRequest('start and end are times as HH:MM (00:00-23:59)', { field: 'dndSchedule' });
  if (v.start === v.end) throw badRequest('start and end must differ', { field: 'dndSchedule' });
  const days = [...new Set(v.days)].sort();
  if (days.length === 0 || days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) {
    throw badRequest('days are 0 (Sunday) to 6 (Saturday), at least one', { field: 'dndSchedule' });
  }
  return { start: v.start, end: v.end, days, timeZone: checkTimeZone(v.timeZone) };
}

/** One formatter per zone (making one costs tens of microseconds; presenting a member list asks often). */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    if (formatters.size < 1000) formatters.set(tz, f);
  }
  return f;
}

/** The local day (YYYY-MM-DD), weekday and minute of the day of an instant in a zone. */
function localNow(at: Date, tz: string): { day: string; weekday: number; minute: number } {
  const parts = formatter(tz).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day: `${get('year')}-${get('month')}-${get('day')}`, weekday, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** When the schedule's current quiet time ends, or null when `at` is outside it. */
export function scheduleEnd(s: DndSchedule, at: Date): Date | null {
  const { day, weekday, minute } = localNow(at, s.timeZone);
  const start = minutes(s.start);
  const end = minutes(s.end);
  const wraps = end <= start;
  const endOn = (d: string) => atLocalTime(d, end, s.timeZone);
  if (s.days.includes(weekday) && minute >= start) return wraps ? endOn(nextDay(day)) : minute < end ? endOn(day) : null;
  // Past midnight, inside a quiet time that began yesterday.
  if (wraps && minute < end && s.days.includes((weekday + 6) % 7)) return endOn(day);
  return null;
}

/** A schedule as stored in notification prefs (anything malformed reads as none). */
export function storedSchedule(v: unknown): DndSchedule | null {
  if (typeof v !== 'object' || v === null) return null;
  try {
    return checkDndSchedule(v as DndSchedule);
  } catch {
    return null;
  }
}

/** Until when someone is not to be disturbed now (null: they may be), from their chosen end and their schedule. */
export function dndUntil(user: { dndUntil: Date | null }, schedule: DndSchedule | null, at = new Date()): Date | null {
  const manual = user.dndUntil && user.dndUntil.getTime() > at.getTime() ? user.dndUntil : null;
  const scheduled = schedule ? scheduleEnd(schedule, at) : null;
  if (manual && scheduled) return manual.getTime() > scheduled.getTime() ? manual : scheduled;
  return manual ?? scheduled;
}
