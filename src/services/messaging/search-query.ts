/**
 * The search box's language: words, quoted phrases and filters, as Slack and Mattermost take
 * them. `from:alice in:#design before:2026-12-01 has:file "release notes" meeting`. A filter is
 * `key:value` (a full-width colon, as Chinese input methods type it, works too), its value
 * optionally quoted; anything else is text. Pure parsing: names are resolved by the caller.
 */
import { badRequest } from '../../core/errors.js';
import { nextDay, startOfDay } from '../../core/time-zone.js';

export type HasFilter = 'file' | 'link' | 'reaction';
export type IsFilter = 'pinned' | 'thread';

export interface ParsedSearch {
  /** The words and phrases to look up, as one text (what the term index is asked for). */
  text: string;
  /** Quoted phrases (folded by the caller), each to appear as written. */
  phrases: string[];
  /** `from:` values: usernames (without @), or `me`. */
  from: string[];
  /** `in:` values: a group's name (without #), or `@username` for a direct conversation. */
  in: string[];
  /** Days, as YYYY-MM-DD: before the first moment of `before`, after the last of `after`, within `on`. */
  before: string | null;
  after: string | null;
  on: string | null;
  has: HasFilter[];
  is: IsFilter[];
}

const HAS: readonly HasFilter[] = ['file', 'link', 'reaction'];
const IS: readonly IsFilter[] = ['pinned', 'thread'];
const KEYS = new Set(['from', 'in', 'before', 'after', 'on', 'has', 'is']);
/** Filters one query may hold. */
export const MAX_FILTERS = 10;

/**
 * A token: a quoted phrase ("…" or “…”), `key:"quoted value"`, or a run without spaces. Quotes
 * left open run to the end.
 */
const TOKEN = /([\p{L}]+)[:：](?:"([^"]*)"?|“([^”]*)”?|(\S*))|"([^"]*)"?|“([^”]*)”?|(\S+)/gu;

const DAY = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/;

function day(key: string, value: string): string {
  const m = DAY.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.getUTCMonth() !== Number(m[2]) - 1 || date.getUTCDate() !== Number(m[3]) || date.getUTCFullYear() < 1970 || date.getUTCFullYear() > 9998) {
    throw badRequest(`${key}: takes a day as YYYY-MM-DD (got "${value}")`, { field: 'q' });
  }
  return date.toISOString().slice(0, 10);
}

export function parseSearch(q: string): ParsedSearch {
  const out: ParsedSearch = { text: '', phrases: [], from: [], in: [], before: null, after: null, on: null, has: [], is: [] };
  const text: string[] = [];
  let filters = 0;
  for (const m of q.matchAll(TOKEN)) {
    const key = m[1]?.toLowerCase();
    if (key !== undefined && KEYS.has(key)) {
      const value = (m[2] ?? m[3] ?? m[4] ?? '').trim();
      if (!value) throw badRequest(`${key}: needs a value`, { field: 'q' });
      if (++filters > MAX_FILTERS) throw badRequest(`at most ${MAX_FILTERS} filters`, { field: 'q' });
      switch (key) {
        case 'from':
          out.from.push(value.replace(/^@/, ''));
          break;
        case 'in':
          out.in.push(value.startsWith('@') ? value : value.replace(/^#/, ''));
          break;
        case 'before':
        case 'after':
        case 'on':
          out[key] = day(key, value);
          break;
        case 'has': {
          const v = value.toLowerCase() as HasFilter;
          if (!HAS.includes(v)) throw badRequest(`has: takes ${HAS.join(', ')} (got "${value}")`, { field: 'q' });
          if (!out.has.includes(v)) out.has.push(v);
          break;
        }
        case 'is': {
          const v = value.toLowerCase() as IsFilter;
          if (!IS.includes(v)) throw badRequest(`is: takes ${IS.join(', ')} (got "${value}")`, { field: 'q' });
          if (!out.is.includes(v)) out.is.push(v);
          break;
        }
      }
      continue;
    }
    const phrase = m[5] ?? m[6];
    if (phrase !== undefined) {
      const p = phrase.trim().replace(/\s+/g, ' ');
      if (p) {
        out.phrases.push(p);
        text.push(p);
      }
      continue;
    }
    text.push(m[0]);
  }
  out.text = text.join(' ');
  return out;
}

/** Whether the query filters anything (a query of filters alone is allowed: `from:me has:file`). */
export function hasFilters(p: ParsedSearch): boolean {
  return p.from.length + p.in.length + p.has.length + p.is.length > 0 || p.before !== null || p.after !== null || p.on !== null;
}

/** The createdAt range the date filters leave: from (inclusive) and until (exclusive); null ends are open. */
export function dateRange(p: Pick<ParsedSearch, 'before' | 'after' | 'on'>, tz: string): { from: Date | null; until: Date | null } {
  const starts: Date[] = [];
  const ends: Date[] = [];
  if (p.after) starts.push(startOfDay(nextDay(p.after), tz));
  if (p.on) {
    starts.push(startOfDay(p.on, tz));
    ends.push(startOfDay(nextDay(p.on), tz));
  }
  if (p.before) ends.push(startOfDay(p.before, tz));
  const from = starts.length ? new Date(Math.max(...starts.map((d) => d.getTime()))) : null;
  const until = ends.length ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
  return { from, until };
}
