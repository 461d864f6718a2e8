/**
 * Which requests come from this server's own pages: the session cookie's name and the Origin
 * check, shared by the REST API (src/api/auth.ts) and the WebSocket handshake
 * (src/realtime/session-auth.ts).
 */

/** The web client's HttpOnly session cookie. */
export const SESSION_COOKIE = 'parley_session';

/**
 * Whether an Origin header names this server: PUBLIC_URL's origin, the request's own Host (any
 * scheme), or one of `extra` (CORS_ORIGINS for REST; none for the WebSocket).
 */
export function isTrustedOrigin(origin: string, host: string | undefined, publicUrl: string | null, extra: readonly string[] = []): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const o = parsed.origin.toLowerCase();
  if (publicUrl) {
    try {
      if (new URL(publicUrl).origin.toLowerCase() === o) return true;
    } catch {
      // PUBLIC_URL is validated at start; nothing to trust here otherwise.
    }
  }
  if (host && parsed.host.toLowerCase() === host.toLowerCase()) return true;
  return extra.includes(o);
}
