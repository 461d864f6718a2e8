/**
 * Web Push in the browser: this browser's subscription and the server's side of it (VAPID key,
 * POST/DELETE /users/me/push-subscriptions). The service worker itself: service-worker.ts.
 */
import type { ParleyApi } from '../../src/client/index.js';
import { t } from './i18n/index.js';

/** Whether this browser can do Web Push at all (a secure context with service workers and the Push API). */
export function pushSupported(): boolean {
  return typeof window !== 'undefined' && window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** This browser's current push subscription, or null. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return (await reg?.pushManager.getSubscription()) ?? null;
}

/**
 * Asks for permission, subscribes this browser with the server's VAPID key and registers the
 * subscription with the server. Throws with a readable message when the browser says no.
 */
export async function enablePush(api: ParleyApi): Promise<void> {
  if (!pushSupported()) throw new Error(t('push.unsupported'));
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(t('push.blocked'));
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  const { publicKey } = await api.request<{ publicKey: string }>('GET', '/push/vapid-public-key');
  let sub = await reg.pushManager.getSubscription();
  // A subscription made with another key (the server's keys changed) cannot be used: replace it.
  const current = sub?.options.applicationServerKey;
  if (sub && current && btoa(String.fromCharCode(...new Uint8Array(current))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') !== publicKey) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  await api.request('POST', '/users/me/push-subscriptions', { body: sub.toJSON() });
}

/** Unsubscribes this browser and removes its subscription from the server. */
export async function disablePush(api: ParleyApi): Promise<void> {
  const sub = await currentSubscription();
  if (!sub) return;
  const { subscriptions } = await api.request<{ subscriptions: { id: string; endpoint: string }[] }>('GET', '/users/me/push-subscriptions');
  const mine = subscriptions.find((s) => s.endpoint === sub.endpoint);
  if (mine) await api.request('DELETE', `/users/me/push-subscriptions/${encodeURIComponent(mine.id)}`);
  await sub.unsubscribe();
}
