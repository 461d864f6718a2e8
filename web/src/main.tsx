/** Entry point of the web client. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import './styles.css';
import { registerServiceWorker } from './service-worker.js';
import { initI18n } from './i18n/init.js';

// Shows Web Push notifications while the app is closed (see web/public/sw.js).
registerServiceWorker();

// The browser's language first (its catalog loaded before the first paint); the account's once signed in.
void initI18n().then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
