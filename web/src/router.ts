/**
 * The URL holds what is open: a conversation (/c/ID), a thread beside it (/c/ID/t/ROOT_ID) or the
 * Threads view (/threads), so reloads and the back button keep it.
 */
import { useEffect, useState } from 'react';

export type Route = { view: 'inbox' } | { view: 'threads' } | { view: 'conversation'; conversationId: string; threadId: string | null };

export function routeFromPath(path = location.pathname): Route {
  if (/^\/threads\/?$/.test(path)) return { view: 'threads' };
  const m = /^\/c\/([^/]+)(?:\/t\/([^/]+))?\/?$/.exec(path);
  if (!m) return { view: 'inbox' };
  return { view: 'conversation', conversationId: decodeURIComponent(m[1]!), threadId: m[2] ? decodeURIComponent(m[2]) : null };
}

export function conversationFromPath(path = location.pathname): string | null {
  const r = routeFromPath(path);
  return r.view === 'conversation' ? r.conversationId : null;
}

const listeners = new Set<() => void>();

function go(path: string, replace: boolean): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const l of listeners) l();
}

/** Opens a conversation (null: the inbox). `replace` does not add a history entry. */
export function navigate(conversationId: string | null, replace = false): void {
  go(conversationId ? `/c/${encodeURIComponent(conversationId)}` : '/', replace);
}

/** Opens a conversation with a thread's panel beside it. */
export function navigateThread(conversationId: string, rootId: string, replace = false): void {
  go(`/c/${encodeURIComponent(conversationId)}/t/${encodeURIComponent(rootId)}`, replace);
}

/** Opens the Threads view. */
export function navigateThreads(): void {
  go('/threads', false);
}

function useRouteState(): Route {
  const [route, setRoute] = useState(routeFromPath);
  useEffect(() => {
    const update = () => setRoute(routeFromPath());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** What is open. */
export function useFullRoute(): Route {
  return useRouteState();
}

/** The open conversation's id (null: none). */
export function useRoute(): string | null {
  const r = useRouteState();
  return r.view === 'conversation' ? r.conversationId : null;
}
