/** Dates, times and sizes in the reader's locale. */

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
const shortDateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "14:05" or "2:05 PM". */
export function formatTime(iso: string): string {
  return timeFmt.format(new Date(iso));
}

/** The full date and time, for a title tooltip. */
export function formatFull(iso: string): string {
  return fullFmt.format(new Date(iso));
}

/** A local calendar day key, to group messages by day. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday", "Monday, March 3" or with the year when not this year. */
export function formatDay(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(d)) / 86_400_000);
  if (days === 0 || days === 1) return capitalize(relFmt.format(-days, 'day'));
  return d.getFullYear() === now.getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

/** For the inbox: the time today, else a short date. */
export function formatInboxTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  return dayKey(iso) === dayKey(now.toISOString()) ? timeFmt.format(d) : shortDateFmt.format(d);
}

/** "last seen 5 minutes ago". */
export function formatLastSeen(iso: string | null, now = Date.now()): string {
  if (!iso) return 'offline';
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(secs);
  if (abs < 60) return 'last seen just now';
  if (abs < 3600) return `last seen ${relFmt.format(Math.round(secs / 60), 'minute')}`;
  if (abs < 86_400) return `last seen ${relFmt.format(Math.round(secs / 3600), 'hour')}`;
  return `last seen ${relFmt.format(Math.round(secs / 86_400), 'day')}`;
}

/** "just now", "5 minutes ago", "yesterday", "3 days ago", else a short date: a thread's last reply. */
export function formatRelative(iso: string, now = Date.now()): string {
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(secs);
  if (abs < 60) return 'just now';
  if (abs < 3600) return relFmt.format(Math.round(secs / 60), 'minute');
  if (abs < 86_400) return relFmt.format(Math.round(secs / 3600), 'hour');
  if (abs < 7 * 86_400) return relFmt.format(Math.round(secs / 86_400), 'day');
  return shortDateFmt.format(new Date(iso));
}

/** "1.4 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toLocaleUpperCase() + s.slice(1);
}
