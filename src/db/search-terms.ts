/**
 * Search terms of a text. Words of space-separated scripts are terms as they are (lowercased,
 * NFKC-folded, so full-width Ｐａｒｌｅｙ is parley); runs of Chinese, Japanese or Korean, which
 * have no spaces, give every pair of neighbouring characters (bigrams), so any substring of two
 * characters or more (讨论 inside 技术讨论组) is found by looking up its own bigrams.
 */
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
const WORD = /[\p{L}\p{N}]+/gu;
const MAX_WORD = 64;

export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** The CJK runs of a folded text. */
export function cjkRuns(folded: string): string[] {
  return folded.match(CJK_RUN) ?? [];
}

export function searchTerms(text: string): string[] {
  const folded = fold(text);
  const terms = new Set<string>();
  for (const run of cjkRuns(folded)) {
    const chars = [...run];
    if (chars.length === 1) terms.add(chars[0]!);
    for (let i = 0; i + 1 < chars.length; i++) terms.add(chars[i]! + chars[i + 1]!);
  }
  for (const word of folded.replace(CJK_RUN, ' ').match(WORD) ?? []) {
    if ([...word].length <= MAX_WORD) terms.add(word);
  }
  return [...terms];
}
