/*
 * Parley's service worker: shows a Web Push (sent while you have no open socket) as a
 * notification, and on a click focuses an open Parley window on that conversation or opens one.
 * The push payload is JSON: {type: 'message', conversationId, messageId, seq, title, body, url}, and
 * `threadId` for a reply in a thread (the click opens the thread).
 */
self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
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
