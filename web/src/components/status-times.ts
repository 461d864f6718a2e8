/** The ends a person picks for a status or a pause, as local times in this browser. */

export type StatusExpiry = '30m' | '1h' | '4h' | 'today' | 'week' | 'never';

/** The ends offered, shortest first (labelled status.expiry.* in the catalogs). */
export const EXPIRIES: readonly StatusExpiry[] = ['30m', '1h', '4h', 'today', 'week', 'never'];

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
  /** Its text is status.preset.<id> in the catalogs: set in the language of whoever picks it. */
  id: 'meeting' | 'commuting' | 'sick' | 'holiday' | 'remote';
  expiry: StatusExpiry;
}

export const STATUS_PRESETS: readonly StatusPreset[] = [
  { emoji: '📅', id: 'meeting', expiry: '1h' },
  { emoji: '🚌', id: 'commuting', expiry: '30m' },
  { emoji: '🤒', id: 'sick', expiry: 'today' },
  { emoji: '🌴', id: 'holiday', expiry: 'never' },
  { emoji: '🏠', id: 'remote', expiry: 'today' },
];

export type PauseChoice = '30m' | '1h' | '2h' | 'tomorrow';

/** The pauses offered (labelled status.pause.* in the catalogs). */
export const PAUSE_CHOICES: readonly PauseChoice[] = ['30m', '1h', '2h', 'tomorrow'];

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
