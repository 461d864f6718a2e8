/** The search box's filter completion: which filter the caret is in, and what it completes to. */

/** Each filter with an example; `key` names its explanation in the catalogs (search.filter.*). */
export const FILTER_HELP = [
  { example: 'from:alice', key: 'from' },
  { example: 'in:#design', key: 'in' },
  { example: 'before:2026-12-01', key: 'before' },
  { example: 'has:file', key: 'has' },
  { example: 'is:pinned', key: 'is' },
  { example: '"quoted phrase"', key: 'phrase' },
] as const;

const VALUES: Record<string, readonly string[]> = { has: ['file', 'link', 'reaction'], is: ['pinned', 'thread'] };

/** The filter being typed at the caret: its key, the value so far, and where the token starts. */
export interface FilterToken {
  key: 'from' | 'in' | 'has' | 'is';
  value: string;
  start: number;
  end: number;
}

/** The `from:`, `in:`, `has:` or `is:` token that ends at the caret, if the caret is in one. */
export function filterAt(text: string, caret: number): FilterToken | null {
  const before = text.slice(0, caret);
  const m = /(?:^|\s)((from|in|has|is)[:：]("?[^\s"]*))$/i.exec(before);
  if (!m) return null;
  const start = caret - m[1]!.length;
  const rest = /^\S*/.exec(text.slice(caret))![0];
  return { key: m[2]!.toLowerCase() as FilterToken['key'], value: m[3]!.replace(/^["@#]/, ''), start, end: caret + rest.length };
}

/** The completions of has: and is: (the others come from the server or the store). */
export function fixedValues(token: FilterToken): string[] {
  return (VALUES[token.key] ?? []).filter((v) => v.startsWith(token.value.toLowerCase())).map((v) => `${token.key}:${v}`);
}

/** A group name as an in: filter: quoted when it has spaces. */
export function inFilter(groupName: string): string {
  return /[\s"]/.test(groupName) ? `in:"${groupName.replace(/"/g, '')}"` : `in:#${groupName}`;
}

/** The text with the token replaced by the chosen completion (and a space after it), and the new caret. */
export function applyCompletion(text: string, token: FilterToken, completion: string): { text: string; caret: number } {
  const after = text.slice(token.end).replace(/^\s*/, '');
  const head = `${text.slice(0, token.start)}${completion} `;
  return { text: head + after, caret: head.length };
}

/** What to send: the query without a filter still waiting for its value (`from:` alone is a 400). */
export function sendableQuery(q: string): string {
  return q.replace(/(?:^|\s)(?:from|in|before|after|on|has|is)[:：]"?$/i, '').trim();
}
