/**
 * Desktop notifications while the tab is hidden (issue 21): a new message the user's level for
 * its conversation lets through (All, Mentions, Nothing, or muted; the same rule as the server's
 * Web Push, which covers the user while no tab is open) shows a Notification; clicking it brings
 * the tab forward and opens the conversation. Off until the user turns it on in the
 * Notifications settings (the browser's permission is asked then, never on load); the choice is
 * kept per browser.
 */
import type { ConversationEvent } from '../../src/client/index.js';
import { markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../src/protocol/markdown.js';
import { conversationTitle } from './components/inbox.js';
import { t } from './i18n/index.js';
import { navigate, navigateThread } from './router.js';
import type { ChatStore } from './store/chat-store.js';
import type { ChatState } from './store/types.js';
import { wantsNotification } from './notify-rule.js';

const SETTING_KEY = 'parley.desktopNotifications';
const BODY_MAX = 200;

type Created = Extract<ConversationEvent, { type: 'message.created' }>;

/** Whether this browser can show notifications from a page. */
export function desktopNotificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** On in this browser: turned on here, and still allowed by the browser. */
export function desktopNotificationsOn(): boolean {
  return desktopNotificationsSupported() && Notification.permission === 'granted' && localStorage.getItem(SETTING_KEY) === 'on';
}

/** Turns them on (asking the browser's permission: call from the user's click). Throws a readable message when refused. */
export async function enableDesktopNotifications(): Promise<void> {
  if (!desktopNotificationsSupported()) throw new Error(t('notify.desktop.unsupported'));
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(t('push.blocked'));
  localStorage.setItem(SETTING_KEY, 'on');
}

export function disableDesktopNotifications(): void {
  localStorage.setItem(SETTING_KEY, 'off');
}

/** The notification's title and text, as the server's pushes word them. */
export function notificationContent(s: ChatState, ev: Created): { title: string; body: string } {
  const m = ev.message;
  const c = s.conversations[ev.conversationId]!;
  const sender = s.users[m.senderId]?.displayName ?? t('common.someone');
  const title = c.kind === 'group' ? t('notify.desktop.inGroup', { name: sender, group: conversationTitle(c, s.users) }) : sender;
  const text = m.body.trim() ? markdownToPlainText(m.body, { maxSource: PREVIEW_SOURCE_MAX }) : t('notify.desktop.attachments', { count: m.attachments.length });
  return { title, body: text.length > BODY_MAX ? `${text.slice(0, BODY_MAX - 1)}…` : text };
}

/** Shows a notification for each new message the user wants to hear of while the tab is hidden; returns the unsubscriber. */
export function watchDesktopNotifications(store: ChatStore): () => void {
  const shown = new Map<string, Notification>();
  const off = store.realtime.on('event', (ev) => {
    if (ev.type !== 'message.created' || document.visibilityState !== 'hidden' || !desktopNotificationsOn()) return;
    const s = store.getState();
    if (!wantsNotification(s, ev)) return;
    const { title, body } = notificationContent(s, ev);
    const m = ev.message;
    const cid = ev.conversationId;
    const threadId = m.threadId !== null && !m.alsoInConversation ? m.threadId : null;
    // One per conversation: a newer message replaces the one still shown (same tag).
    const options = { body, tag: `parley:${cid}`, data: { conversationId: cid, threadId } };
    let n: Notification;
    try {
      n = new Notification(title, options);
    } catch {
      // Chrome on Android makes pages show notifications through their service worker (its click opens the conversation: sw.js).
      void navigator.serviceWorker?.getRegistration('/').then((reg) => reg?.showNotification(title, options)).catch(() => undefined);
      return;
    }
    shown.get(cid)?.close();
    shown.set(cid, n);
    n.onclick = () => {
      window.focus();
      if (threadId) navigateThread(cid, threadId);
      else navigate(cid);
      n.close();
    };
    n.onclose = () => {
      if (shown.get(cid) === n) shown.delete(cid);
    };
  });
  // Back on the tab: what it said is in view now.
  const visible = () => {
    if (document.visibilityState !== 'visible') return;
    for (const n of shown.values()) n.close();
    shown.clear();
  };
  document.addEventListener('visibilitychange', visible);
  return () => {
    off();
    document.removeEventListener('visibilitychange', visible);
  };
}
