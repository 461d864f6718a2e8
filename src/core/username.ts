/**
 * How usernames compare: the one case-folding rule for every look-up (login, password reset,
 * mentions, ADMIN_USERNAME, the admin CLI) and every key (the per-account login limit).
 *
 * A username is 3-32 of [A-Za-z0-9_.-] (USERNAME_PATTERN, src/protocol/rest.ts; OpenID Connect
 * names are made to fit it), so the rule is ASCII case folding: A-Z to a-z, nothing else. Unicode
 * folding would differ between JavaScript's toLowerCase() and the database's lower() (U+0130 "İ"
 * is "i̇" to one and may be "i" to the other; U+212A KELVIN SIGN is "k" to both), and each such
 * character gave one account another login budget (issue 26.5). Text with any other character
 * names no account: it is never looked up.
 */

/** Characters a username may have (its length is checked where names are made). */
const USERNAME_CHARS = /^[A-Za-z0-9_.-]+$/;

/** ASCII case folding: A-Z become a-z, every other character stays as it is. */
export function foldUsername(name: string): string {
  return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * The key a name is looked up by (its folded form), or null when it has a character no username
 * has, so that no account can be found by it. The database matches it against lower(username),
 * which on usernames (ASCII) folds exactly as foldUsername does.
 */
export function usernameKey(name: string): string | null {
  return name.length <= 64 && USERNAME_CHARS.test(name) ? foldUsername(name) : null;
}

/** Whether two names are the same username. */
export const sameUsername = (a: string, b: string): boolean => foldUsername(a) === foldUsername(b);
