/**
 * Search terms of a text. Words of space-separated scripts are terms as they are (lowercased,
 * NFKC-folded, so full-width Ｐａｒｌｅｙ is parley), and so are their shorter prefixes of
 * MIN_PREFIX..MAX_PREFIX characters, marked with a trailing `*` (meeting gives mee*, meet*,
 * meeti*, meetin*), so that a word prefix is an index lookup (meet: the word meet or the prefix
 * meet*); runs of Chinese, Japanese or Korean, which
 * have no spaces, give every pair of neighbouring characters (bigrams), so any substring of two
 * characters or more (讨论 inside 技术讨论组) is found by looking up its own bigrams.
 *
 * `*` cannot occur in a word (words are letters and digits), so a prefix term never equals a
 * word or a bigram. messages.repository's prefix backfill derives the same prefix terms in SQL
 * from the stored words: keep the two in step.
 */
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
const WORD = /[\p{L}\p{N}]+/gu;
const MAX_WORD = 64;
/** Shorter query words match whole words only: two-letter prefixes (co, re, th) select too much to help. */
export const MIN_PREFIX = 3;
/** Longest stored prefix: a longer query word looks up its first MAX_PREFIX characters, then is checked against the stored words. */
export const MAX_PREFIX = 10;
/** Marks a prefix term. */
export const PREFIX_MARK = '*';

export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** The CJK runs of a folded text. */
export function cjkRuns(folded: string): string[] {
  return folded.match(CJK_RUN) ?? [];
}

/** Bigrams of each CJK run (a run of one character is its own term). */
function cjkTerms(folded: string, terms: Set<string>): void {
  for (const run of cjkRuns(folded)) {
    const chars = [...run];
    if (chars.length === 1) terms.add(chars[0]!);
    for (let i = 0; i + 1 < chars.length; i++) terms.add(chars[i]! + chars[i + 1]!);
  }
}

/** The words (not CJK) of a folded text, as arrays of code points, at most MAX_WORD long. */
function words(folded: string): string[][] {
  return (folded.replace(CJK_RUN, ' ').match(WORD) ?? []).map((w) => [...w]).filter((w) => w.length <= MAX_WORD);
}

/** The terms a message is stored with. */
export function searchTerms(text: string): string[] {
  const folded = fold(text);
  const terms = new Set<string>();
  cjkTerms(folded, terms);
  for (const chars of words(folded)) {
    terms.add(chars.join(''));
    for (let n = MIN_PREFIX; n <= Math.min(chars.length - 1, MAX_PREFIX); n++) terms.add(chars.slice(0, n).join('') + PREFIX_MARK);
  }
  return [...terms];
}

/**
 * What a query looks up. A message must hold every term of `all` (each CJK run's bigrams, and
 * the words shorter than MIN_PREFIX, which match whole words only) and one term of each group of
 * `anyOf` (a word of MIN_PREFIX..MAX_PREFIX characters: itself, or itself as a prefix); each word
 * longer than MAX_PREFIX is looked up by its first MAX_PREFIX characters as a prefix and is in
 * `longPrefixes`, which must also begin one of the message's words.
 */
export function queryTerms(q: string): { all: string[]; anyOf: string[][]; longPrefixes: string[] } {
  const folded = fold(q);
  const all = new Set<string>();
  const anyOf = new Map<string, string[]>();
  const longPrefixes = new Set<string>();
  cjkTerms(folded, all);
  for (const chars of words(folded)) {
    const word = chars.join('');
    if (chars.length < MIN_PREFIX) all.add(word);
    else if (chars.length <= MAX_PREFIX) anyOf.set(word, [word, word + PREFIX_MARK]);
    else {
      all.add(chars.slice(0, MAX_PREFIX).join('') + PREFIX_MARK);
      longPrefixes.add(word);
    }
  }
  return { all: [...all], anyOf: [...anyOf.values()], longPrefixes: [...longPrefixes] };
}
