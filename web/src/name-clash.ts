/**
 * Which people's display names could be taken for someone else's, among the people shown
 * together (a conversation's members and senders): two people with the same name once folded
 * (case, width, accents, the Cyrillic and Greek letters that look Latin), a display name that is
 * another person's username, or a name that mixes Latin with Cyrillic or Greek letters (the
 * look-alike trick). The client shows their @username beside the name.
 */
import type { User } from '../../src/client/index.js';

/** Cyrillic and Greek letters drawn like Latin ones, to their Latin twin. */
const LOOK_ALIKES: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', і: 'i', ј: 'j', ԁ: 'd', ӏ: 'l', ԛ: 'q', ԝ: 'w', һ: 'h', ү: 'y',
  α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ζ: 'z', η: 'n',
};

/** A name folded to what a reader would see: NFKC, no accents, lower case, look-alikes mapped, no spaces. */
export function nameSkeleton(name: string): string {
  const folded = name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  let out = '';
  for (const ch of folded) out += LOOK_ALIKES[ch] ?? ch;
  return out.replace(/[\s._-]+/g, '');
}

/** True when a name mixes Latin letters with Cyrillic or Greek ones. */
export function mixesScripts(name: string): boolean {
  return /\p{Script=Latin}/u.test(name) && /[\p{Script=Cyrillic}\p{Script=Greek}]/u.test(name);
}

/** The ids of the people (of `people`) whose display name needs their @username beside it. */
export function ambiguousNames(people: readonly Pick<User, 'id' | 'username' | 'displayName'>[]): Set<string> {
  const bySkeleton = new Map<string, string[]>();
  const usernames = new Map<string, string>();
  for (const p of people) {
    const key = nameSkeleton(p.displayName);
    bySkeleton.set(key, [...(bySkeleton.get(key) ?? []), p.id]);
    usernames.set(nameSkeleton(p.username), p.id);
  }
  const out = new Set<string>();
  for (const p of people) {
    const key = nameSkeleton(p.displayName);
    const owner = usernames.get(key);
    if ((bySkeleton.get(key)?.length ?? 0) > 1 || (owner !== undefined && owner !== p.id) || mixesScripts(p.displayName)) out.add(p.id);
  }
  return out;
}
