/** @mention autocomplete: which word is being typed, and which members match it. */
import type { User } from '../../../src/client/index.js';

export interface MentionQuery {
  /** Where the "@" is. */
  start: number;
  /** What follows it, up to the caret. */
  text: string;
}

/** The @word the caret is in, if any (an "@" at the start or after a space). */
export function mentionAt(value: string, caret: number): MentionQuery | null {
  const before = value.slice(0, caret);
  const m = /(^|[\s(])@([A-Za-z0-9_.\-\p{L}]{0,32})$/u.exec(before);
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, text: m[2]! };
}

/** Up to `limit` users whose username or a word of their display name starts with the query. */
export function matchUsers(users: User[], query: string, meId: string, limit = 8): User[] {
  const q = query.toLocaleLowerCase();
  const scored: { u: User; score: number }[] = [];
  for (const u of users) {
    if (u.id === meId) continue;
    const username = u.username.toLowerCase();
    const display = u.displayName.toLocaleLowerCase();
    let score = -1;
    if (username.startsWith(q)) score = 0;
    else if (display.startsWith(q)) score = 1;
    else if (display.split(/\s+/).some((w) => w.startsWith(q))) score = 2;
    else if (q && username.includes(q)) score = 3;
    if (score >= 0) scored.push({ u, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || Number(b.u.online) - Number(a.u.online) || a.u.username.localeCompare(b.u.username))
    .slice(0, limit)
    .map((x) => x.u);
}
