/** Entry point of the web client. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import './styles.css';
import { registerServiceWorker } from './service-worker.js';
import { initI18n } from './i18n/init.js';
import { preloadAllStrings } from './i18n/index.js';

// Shows Web Push notifications while the app is closed (see web/public/sw.js).
registerServiceWorker();

// The browser's language first (its catalog loaded before the first paint); the account's once signed in.
void initI18n().then(() => {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  // The rest of the strings (dialogs, panels, the sign-in screen) once the first screen is up: at the
  // first touch or key, or when the page is idle a few seconds on; a screen that opens sooner waits for them.
  const preload = (): void => {
    for (const type of ['pointerdown', 'keydown'] as const) removeEventListener(type, preload, true);
    preloadAllStrings();
  };
  for (const type of ['pointerdown', 'keydown'] as const) addEventListener(type, preload, { capture: true, once: true });
  setTimeout(() => ('requestIdleCallback' in window ? requestIdleCallback(preload, { timeout: 2000 }) : preload()), 4000);
});
