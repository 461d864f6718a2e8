/** The URL holds the open conversation (/c/ID), so reloads and the back button keep it. */
import { useEffect, useState } from 'react';

export function conversationFromPath(path = location.pathname): string | null {
  const m = /^\/c\/([^/]+)\/?$/.exec(path);
  return m ? decodeURIComponent(m[1]!) : null;
}

const listeners = new Set<() => void>();

/** Opens a conversation (null: the inbox). `replace` does not add a history entry. */
export function navigate(conversationId: string | null, replace = false): void {
  const path = conversationId ? `/c/${encodeURIComponent(conversationId)}` : '/';
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const l of listeners) l();
}

export function useRoute(): string | null {
  const [id, setId] = useState(conversationFromPath);
  useEffect(() => {
    const update = () => setId(conversationFromPath());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return id;
}
