/** Dates, times, relative times and sizes in the language the client shows (web/src/i18n), through Intl. */
import { currentLocale, t } from './i18n/index.js';

/** Intl formatters are costly to make: one of each per locale and options. */
const cache = new Map<string, Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.NumberFormat>();
function cached<F extends Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.NumberFormat>(kind: string, make: (locale: string) => F): F {
  const locale = currentLocale();
  const key = `${locale}|${kind}`;
  let f = cache.get(key) as F | undefined;
  if (!f) {
    f = make(locale);
    cache.set(key, f);
  }
  return f;
}

const timeFmt = () => cached('time', (l) => new Intl.DateTimeFormat(l, { hour: 'numeric', minute: '2-digit' }));
const dayFmt = () => cached('day', (l) => new Intl.DateTimeFormat(l, { weekday: 'long', month: 'long', day: 'numeric' }));
const dayYearFmt = () => cached('dayYear', (l) => new Intl.DateTimeFormat(l, { year: 'numeric', month: 'long', day: 'numeric' }));
const shortDateFmt = () => cached('shortDate', (l) => new Intl.DateTimeFormat(l, { month: 'short', day: 'numeric' }));
const fullFmt = () => cached('full', (l) => new Intl.DateTimeFormat(l, { dateStyle: 'full', timeStyle: 'medium' }));
const relFmt = () => cached('rel', (l) => new Intl.RelativeTimeFormat(l, { numeric: 'auto' }));

/** "14:05", "2:05 PM" or "下午2:05". */
export function formatTime(iso: string): string {
  return timeFmt().format(new Date(iso));
}

/** The full date and time, for a title tooltip. */
export function formatFull(iso: string): string {
  return fullFmt().format(new Date(iso));
}

/** A local calendar day key, to group messages by day. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday", "Monday, March 3" or with the year when not this year ("今天", "3月3日星期一"). */
export function formatDay(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(d)) / 86_400_000);
  if (days === 0 || days === 1) return capitalize(relFmt().format(-days, 'day'));
  return d.getFullYear() === now.getFullYear() ? dayFmt().format(d) : dayYearFmt().format(d);
}

/** For the inbox: the time today, else a short date. */
export function formatInboxTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  return dayKey(iso) === dayKey(now.toISOString()) ? timeFmt().format(d) : shortDateFmt().format(d);
}

/** "5 minutes ago", "in 2 hours", "yesterday": the nearest unit from a minute to days. */
function ago(secs: number): string {
  const abs = Math.abs(secs);
  if (abs < 3600) return relFmt().format(Math.round(secs / 60), 'minute');
  if (abs < 86_400) return relFmt().format(Math.round(secs / 3600), 'hour');
  return relFmt().format(Math.round(secs / 86_400), 'day');
}

/** "last seen 5 minutes ago", or "offline" when never seen. */
export function formatLastSeen(iso: string | null, now = Date.now()): string {
  if (!iso) return t('time.offline');
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  return Math.abs(secs) < 60 ? t('time.lastSeenJustNow') : t('time.lastSeen', { when: ago(secs) });
}

/** "used 5 minutes ago": when a session or token last made a request. */
export function formatLastUsed(iso: string, now = Date.now()): string {
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  return Math.abs(secs) < 60 ? t('time.usedJustNow') : t('time.used', { when: ago(secs) });
}

/** "just now", "5 minutes ago", "yesterday", "3 days ago", else a short date: a thread's last reply. */
export function formatRelative(iso: string, now = Date.now()): string {
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(secs);
  if (abs < 60) return t('time.justNow');
  if (abs < 7 * 86_400) return ago(secs);
  return shortDateFmt().format(new Date(iso));
}

const UNITS = ['kilobyte', 'megabyte', 'gigabyte'] as const;

/** "1.4 MB", "512 B" ("512 字节"). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return t('format.bytes', { count: bytes, n: cached('int', (l) => new Intl.NumberFormat(l)).format(bytes) });
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const unit = UNITS[i]!;
  const digits = v < 10 ? 1 : 0;
  return cached(`${unit}${digits}`, (l) => new Intl.NumberFormat(l, { style: 'unit', unit, unitDisplay: 'short', minimumFractionDigits: digits, maximumFractionDigits: digits })).format(v);
}

/** "12 %" / "12%": a share from 0 to 1. */
export function formatPercent(share: number): string {
  return cached('percent', (l) => new Intl.NumberFormat(l, { style: 'percent', maximumFractionDigits: 0 })).format(share);
}

function capitalize(s: string): string {
  return s.charAt(0).toLocaleUpperCase() + s.slice(1);
}

/** "Sun" / "周日": a day of the week by its number (0 = Sunday). */
export function formatWeekday(day: number): string {
  // 1 January 2023 was a Sunday.
  return cached('weekday', (l) => new Intl.DateTimeFormat(l, { weekday: 'short' })).format(new Date(2023, 0, 1 + day));
}

/** "5 minutes", "2 hours", "1 day" ("5分钟"): a length of time in whole minutes, in its largest whole unit. */
export function formatDuration(minutes: number): string {
  const [value, unit] = minutes % 1440 === 0 ? [minutes / 1440, 'day'] : minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return cached(`duration-${unit}`, (l) => new Intl.NumberFormat(l, { style: 'unit', unit, unitDisplay: 'long' })).format(value);
}
