/**
 * Links that arrive by e-mail or chat: `/#/invite/CODE` (sign up with an invite) and
 * `/#/reset/CODE` (choose a new password). The code stays in the fragment, which browsers never
 * send to the server (no code in access logs or Referer headers).
 */
import { useEffect, useState } from 'react';

export type AuthLink = { kind: 'invite' | 'reset'; code: string } | null;

export function authLinkFromHash(hash = location.hash): AuthLink {
  const m = /^#\/(invite|reset)\/([A-Za-z0-9_-]{1,128})\/?$/.exec(hash);
  return m ? { kind: m[1] as 'invite' | 'reset', code: m[2]! } : null;
}

/** Forgets the link (after it was used), without adding a history entry. */
export function clearAuthLink(): void {
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useAuthLink(): AuthLink {
  const [link, setLink] = useState(authLinkFromHash);
  useEffect(() => {
    const update = () => setLink(authLinkFromHash());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return link;
}
