/**
 * The web client's languages (i18next). Each catalog comes in two chunks of its own, so a page
 * loads only its language: the first screen's strings (core), awaited before the first render, and
 * the rest (the sign-in screen, dialogs, panels), loaded after it; every lazily loaded screen that
 * shows them waits for them too (`withStrings`). The language is the account's saved choice (Me.locale) once
 * signed in, else the browser's (navigator.languages); <html lang> follows it. The instance is
 * started by init.ts (with React's binding), so this module stays free of React for the store and tests.
 */
import i18next from 'i18next';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** The language each locale's switch shows, in that language. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

export const i18n = i18next.createInstance();

type Part = Record<string, unknown>;

/** Each locale's two parts, as chunks of their own. */
const loaders: Record<Locale, { core: () => Promise<Part>; rest: () => Promise<Part> }> = {
  en: { core: () => import('./en/en-core.js').then((m) => m.core), rest: () => import('./en/en-rest.js').then((m) => m.rest) },
  'zh-CN': { core: () => import('./zh-CN/zh-CN-core.js').then((m) => m.core), rest: () => import('./zh-CN/zh-CN-rest.js').then((m) => m.rest) },
};

/** A locale's part once asked for (and added to i18next); a failed load is asked again next time. */
const parts = new Map<string, Promise<void>>();
function loadPart(locale: Locale, part: 'core' | 'rest'): Promise<void> {
  const key = `${locale}:${part}`;
  let loading = parts.get(key);
  if (!loading) {
    loading = loaders[locale][part]().then(
      (strings) => void i18n.addResourceBundle(locale, 'translation', strings, true, true),
      (err: unknown) => {
        parts.delete(key);
        throw err;
      },
    );
    parts.set(key, loading);
  }
  return loading;
}

/** The supported locale for a BCP 47 tag: any Chinese is Simplified Chinese, any English English; else null. */
export function matchLocale(tag: string): Locale | null {
  const lower = tag.toLowerCase();
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  return null;
}

/** The first of the browser's languages (navigator.languages) Parley speaks; English when none. */
export function browserLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const l = matchLocale(tag);
    if (l) return l;
  }
  return 'en';
}

/** The locale the page shows now. */
export function currentLocale(): Locale {
  return (LOCALES as readonly string[]).includes(i18n.language) ? (i18n.language as Locale) : 'en';
}

/** Whether the rest of the strings are wanted now (after the first screen), not only on demand. */
let restWanted = false;

/**
 * Shows the client in this locale once its strings are there: the first screen's before the first
 * render; all of them once the page is past it (a dialog may be open, the profile's switch is one).
 */
export async function setLocale(locale: Locale): Promise<void> {
  await Promise.all([loadPart(locale, 'core'), restWanted ? loadPart(locale, 'rest') : undefined]);
  // A screen may have asked for the rest (of the language shown now) meanwhile.
  if (restWanted) await loadPart(locale, 'rest');
  if (i18n.language !== locale) await i18n.changeLanguage(locale);
}

/** Loads the rest of the page's strings ahead of need (main.tsx, once the first screen is shown). */
export function preloadAllStrings(): void {
  void allStrings().catch(() => undefined);
}

/** Resolves once the strings of the page's locale are all there (the sign-in screen, dialogs, panels); a later switch of language loads them all too. */
export function allStrings(): Promise<void> {
  restWanted = true;
  return loadPart(currentLocale(), 'rest');
}

/** A lazily loaded screen's module, given once its strings are there too (for React's `lazy`). */
export function withStrings<T>(load: () => Promise<T>): () => Promise<T> {
  return () => Promise.all([load(), allStrings()]).then(([m]) => m);
}

/**
 * Shorthand for code outside components (toasts of the store, formatters). i18next binds an
 * instance's methods to it when it is made, so `t` works detached; `i18n.t.bind(i18n)` made
 * TypeScript work out the bound type of i18next's overloaded TFunction, 1 s of every typecheck.
 */
export const t = i18n.t;
