/**
 * The service worker (/sw.js): registered at start for the offline shell and Web Push, and the
 * app moved to a conversation when it says a notification was clicked. Apart from push.ts (the
 * subscription), which only the Notifications dialog needs.
 */
import { navigate, navigateThread } from './router.js';

/** Registers /sw.js (scope /) and follows its "open this conversation" messages. Safe to call more than once. */
export function registerServiceWorker(): void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
    const data = e.data as { type?: string; conversationId?: unknown; threadId?: unknown } | null;
    if (data?.type !== 'parley.open-conversation' || typeof data.conversationId !== 'string') return;
    if (typeof data.threadId === 'string' && data.threadId) navigateThread(data.conversationId, data.threadId);
    else navigate(data.conversationId);
  });
}
