/** Starts the web client's i18next instance with React's binding (main.tsx, before the first render). */
import { initReactI18next } from 'react-i18next';
import { en } from './en/index.js';
import { browserLocale, i18n, LOCALES, setLocale, type Locale } from './index.js';

/** Starts i18next in the browser's language (before the first render, so nothing flashes in English). */
export async function initI18n(locale: Locale = browserLocale(navigator.languages ?? [navigator.language])): Promise<void> {
  i18n.on('languageChanged', (lng) => {
    document.documentElement.lang = lng;
  });
  await i18n.use(initReactI18next).init({
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: [...LOCALES],
    resources: { en: { translation: en } },
    // React escapes what it renders.
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = 'en';
  await setLocale(locale).catch(() => undefined);
}

