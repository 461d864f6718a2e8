/** The signed-in session: the token in localStorage, and the ParleyApi that sends it. */
import { ParleyApi, type FetchLike } from '../../src/client/index.js';

const TOKEN_KEY = 'parley.token';

export function savedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode without storage: the session lasts as long as the tab.
  }
}

/**
 * A ParleyApi for this origin. A 401 on any signed-in request calls `onUnauthorized` (the token
 * was revoked or expired): the app returns to the login screen.
 */
export function createApi(token: string | null, onUnauthorized: () => void): ParleyApi {
  const fetchWith401: FetchLike = async (input, init) => {
    const res = await globalThis.fetch(input, init);
    if (res.status === 401 && !input.includes('/api/v1/auth/login') && !input.includes('/api/v1/auth/register')) onUnauthorized();
    return res;
  };
  return new ParleyApi({ baseUrl: '', token, fetch: fetchWith401 });
}
