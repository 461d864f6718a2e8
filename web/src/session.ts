/**
 * The signed-in session. The web client keeps it in the server's HttpOnly `parley_session`
 * cookie (scripts never see the token); requests that change something carry the session's
 * CSRF token, which GET /auth/session tells a reloaded page.
 */
import { ParleyApi, type FetchLike } from '../../src/client/index.js';

/** Where earlier versions kept the bearer token: removed at start. */
const LEGACY_TOKEN_KEY = 'parley.token';

/** Forgets a token an older version of the client left in localStorage. */
export function forgetLegacyToken(): void {
  try {
    localStorage.removeItem(LEGACY_TOKEN_KEY);
  } catch {
    // Storage may be off (private mode): nothing was kept there then.
  }
}

/** The public auth routes, and the session probe: their 401 means "not signed in", not "session ended". */
const NO_SESSION_YET = ['/api/v1/auth/login', '/api/v1/auth/register', '/api/v1/auth/session'];

/**
 * A ParleyApi for this origin on the cookie session. A 401 on any signed-in request calls
 * `onUnauthorized` (the session was revoked or expired): the app returns to the login screen.
 * The first argument is ignored (the token lives in the cookie); it stays for older callers.
 */
export function createApi(_token: string | null, onUnauthorized: () => void): ParleyApi {
  const fetchWith401: FetchLike = async (input, init) => {
    const res = await globalThis.fetch(input, { ...init, credentials: 'same-origin' });
    if (res.status === 401 && !NO_SESSION_YET.some((p) => input.includes(p))) onUnauthorized();
    return res;
  };
  return new ParleyApi({ baseUrl: '', session: 'cookie', fetch: fetchWith401 });
}
