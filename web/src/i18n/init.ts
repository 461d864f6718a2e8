/** Starts the web client's i18next instance with React's binding (main.tsx, before the first render). */
import { initReactI18next } from 'react-i18next';
import { browserLocale, i18n, LOCALES, setLocale, type Locale } from './index.js';

/** Starts i18next in the browser's language, its first screen's strings loaded (before the first render, so nothing flashes in English). */
export async function initI18n(locale: Locale = browserLocale(navigator.languages ?? [navigator.language])): Promise<void> {
  i18n.on('languageChanged', (lng) => {
    document.documentElement.lang = lng;
  });
  await i18n.use(initReactI18next).init({
    lng: locale,
    fallbackLng: 'en',
    supportedLngs: [...LOCALES],
    // Catalogs are added as their chunks arrive (index.ts).
    resources: {},
    partialBundledLanguages: true,
    // React escapes what it renders.
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = locale;
  // English when the browser's language could not be loaded.
  await setLocale(locale).catch(() => setLocale('en')).catch(() => undefined);
}

