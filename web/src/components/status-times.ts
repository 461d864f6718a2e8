/** The ends a person picks for a status or a pause, as local times in this browser. */

export type StatusExpiry = '30m' | '1h' | '4h' | 'today' | 'week' | 'never';

export const EXPIRY_LABELS: Record<StatusExpiry, string> = {
  '30m': '30 minutes',
  '1h': '1 hour',
  '4h': '4 hours',
  today: 'Today',
  week: 'This week',
  never: "Don't clear",
};

/** Local midnight at the end of `now`'s day. */
function endOfDay(now: Date): Date {
  const d = new Date(now);
  d.setHours(24, 0, 0, 0);
  return d;
}

/** When a status chosen now with this expiry goes away (null: never). */
export function statusExpiresAt(expiry: StatusExpiry, now = new Date()): Date | null {
  switch (expiry) {
    case '30m':
      return new Date(now.getTime() + 30 * 60_000);
    case '1h':
      return new Date(now.getTime() + 60 * 60_000);
    case '4h':
      return new Date(now.getTime() + 4 * 60 * 60_000);
    case 'today':
      return endOfDay(now);
    case 'week': {
      // The end of Sunday: the week ends with the weekend.
      const d = endOfDay(now);
      d.setDate(d.getDate() + ((7 - now.getDay()) % 7));
      return d;
    }
    case 'never':
      return null;
  }
}

export interface StatusPreset {
  emoji: string;
  text: string;
  expiry: StatusExpiry;
}

export const STATUS_PRESETS: readonly StatusPreset[] = [
  { emoji: '📅', text: 'In a meeting', expiry: '1h' },
  { emoji: '🚌', text: 'Commuting', expiry: '30m' },
  { emoji: '🤒', text: 'Out sick', expiry: 'today' },
  { emoji: '🌴', text: 'On holiday', expiry: 'never' },
  { emoji: '🏠', text: 'Working remotely', expiry: 'today' },
];

export type PauseChoice = '30m' | '1h' | '2h' | 'tomorrow';

export const PAUSE_LABELS: Record<PauseChoice, string> = {
  '30m': 'For 30 minutes',
  '1h': 'For 1 hour',
  '2h': 'For 2 hours',
  tomorrow: 'Until tomorrow 9:00',
};

/** The end of a pause chosen now. */
export function pauseUntil(choice: PauseChoice, now = new Date()): Date {
  if (choice === 'tomorrow') {
    const d = new Date(now);
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return d;
  }
  const minutes = { '30m': 30, '1h': 60, '2h': 120 }[choice];
  return new Date(now.getTime() + minutes * 60_000);
}

/** A Date as the value of an <input type="datetime-local"> (local time, to the minute). */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
