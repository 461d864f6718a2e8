/**
 * The web client's languages (i18next): English is bundled, Simplified Chinese is loaded when it
 * is first needed (a separate chunk). The language is the account's saved choice (Me.locale) once
 * signed in, else the browser's (navigator.languages); <html lang> follows it. The instance is
 * started by init.ts (with React's binding), so this module stays free of React for the store and tests.
 */
import i18next from 'i18next';
import type { Catalog } from './types.js';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** The language each locale's switch shows, in that language. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

export const i18n = i18next.createInstance();

/** The catalog of a locale other than English, as a chunk of its own. */
const loaders: Record<Exclude<Locale, 'en'>, () => Promise<Catalog>> = {
  'zh-CN': () => import('./zh-CN/zh-CN.js').then((m) => m.zhCN),
};

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

/** Shows the client in this locale, loading its catalog first when it is not English. */
export async function setLocale(locale: Locale): Promise<void> {
  if (locale !== 'en' && !i18n.hasResourceBundle(locale, 'translation')) {
    i18n.addResourceBundle(locale, 'translation', await loaders[locale]());
  }
  if (i18n.language !== locale) await i18n.changeLanguage(locale);
}

/** Shorthand for code outside components (toasts of the store, formatters). */
export const t = i18n.t.bind(i18n);
