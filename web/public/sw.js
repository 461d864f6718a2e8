/*
 * Parley's service worker: shows a Web Push (sent while you have no open socket) as a
 * notification, and on a click focuses an open Parley window on that conversation or opens one.
 * The push payload is JSON: {type: 'message', conversationId, messageId, seq, title, body, url}, and
 * `threadId` for a reply in a thread (the click opens the thread).
 *
 * It also keeps the app shell for offline use (the PWA): index.html and the hashed files of the
 * current build, in a cache named after the build. Pages are fetched from the network first and
 * fall back to the cached index.html; hashed assets come from the cache first. The API, uploads
 * and WebSockets are never cached.
 */
// Filled in by the build (src/web/vite.config.ts, swShellPlugin); the dev server serves it empty.
const SHELL = { version: 'dev', assets: [] };
const CACHE = `parley-shell-${SHELL.version}`;
/** The server's own paths (as in src/web/plugin.ts): never cached, never answered with the shell. */
const SERVER_PATHS = /^\/(?:api|uploads|healthz|readyz|metrics|docs|openapi\.json|asyncapi\.json)(?:[/?.]|$)/;
/** The same paths as URL patterns: the browser sends them straight to the network (install, below). */
const SERVER_PATTERNS = ['/api', '/api/*', '/uploads', '/uploads/*', '/healthz', '/readyz', '/metrics', '/metrics/*', '/docs', '/docs/*', '/openapi.json', '/asyncapi.json'];

/**
 * Static routes (the Service Worker Static Routing API, Chromium 123+): the API, uploads and the
 * server's other paths go to the network without this worker being started or asked, as the
 * fetch handler below would leave them anyway. A stopped worker (browsers stop an idle one after
 * about 30 s) no longer has to start before each API request of the page. Elsewhere, or if the
 * browser refuses the rules, the fetch handler does the same, a little slower.
 */
function addServerRoutes(event) {
  if (typeof event.addRoutes !== 'function' || typeof URLPattern !== 'function') return Promise.resolve();
  try {
    const or = SERVER_PATTERNS.map((pathname) => ({ urlPattern: new URLPattern({ pathname }) }));
    // Only while the install event is being dispatched: called before anything is awaited.
    return event.addRoutes([{ condition: { or }, source: 'network' }]).catch(() => undefined);
  } catch {
    return Promise.resolve();
  }
}

self.addEventListener('install', (event) => {
  const routes = addServerRoutes(event);
  event.waitUntil(
    (async () => {
      await routes;
      const cache = await caches.open(CACHE);
      // The shell is best effort: a failed fetch (offline while installing) must not block push.
      await cache.addAll(['/', ...SHELL.assets]).catch(() => undefined);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // Older builds' shells go: their hashed files are never asked for again.
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith('parley-shell-') && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

/** A page: the network's answer (kept as the shell), or the cached shell when offline. */
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // Every client route is answered with the same index.html: the latest one is the shell.
    if (response.ok && (response.headers.get('content-type') ?? '').startsWith('text/html')) await cache.put('/', response.clone());
    return response;
  } catch (err) {
    const shell = await cache.match('/');
    if (shell) return shell;
    throw err;
  }
}

/** A hashed asset: never changes, so the cached copy is as good as the network's. */
async function asset(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || SERVER_PATHS.test(url.pathname)) return;
  if (request.mode === 'navigate') event.respondWith(page(request));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(asset(request));
});

/** The conversation's (or thread's) path on this origin (the payload's url may name another host: PUBLIC_URL). */
function conversationPath(conversationId, threadId) {
  if (typeof conversationId !== 'string' || !conversationId) return '/';
  const base = `/c/${encodeURIComponent(conversationId)}`;
  return typeof threadId === 'string' && threadId ? `${base}/t/${encodeURIComponent(threadId)}` : base;
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Parley';
  const options = {
    body: typeof data.body === 'string' ? data.body : '',
    // One notification per conversation: a newer message replaces the older one.
    tag: data.conversationId ? `parley:${data.conversationId}` : 'parley',
    renotify: true,
    data: { conversationId: data.conversationId ?? null, messageId: data.messageId ?? null, threadId: data.threadId ?? null },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const conversationId = event.notification.data ? event.notification.data.conversationId : null;
  const threadId = event.notification.data ? event.notification.data.threadId : null;
  const path = conversationPath(conversationId, threadId);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const mine = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (mine) {
        await mine.focus();
        // The page moves to the conversation itself (client-side routing, no reload).
        mine.postMessage({ type: 'parley.open-conversation', conversationId, threadId });
        return;
      }
      await self.clients.openWindow(path);
    })(),
  );
});
