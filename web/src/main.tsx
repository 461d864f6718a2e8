/** Entry point of the web client. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import './styles.css';
import { registerServiceWorker } from './push.js';

// Shows Web Push notifications while the app is closed (see web/public/sw.js).
registerServiceWorker();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
