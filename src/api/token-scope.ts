import type { TokenScope } from '../protocol/token-scopes.js';

/**
 * The scope an API token needs for a route (`url` is its pattern, e.g. /api/v1/bots/:id). The
 * account's own keys (tokens and bots, sessions, password, e-mail, data, deletion) each need
 * their own scope; site administration needs `admin`; otherwise reading needs `read` and
 * anything else `write`. Signing a token out (logout) is every token's.
 */
export function requiredScope(method: string, url: string): TokenScope {
  const path = url.replace(/^\/api\/v1(?=\/)/, '');
  if (path === '/auth/logout' || path === '/auth/session') return 'read';
  if (path.startsWith('/users/me/tokens') || path === '/bots' || path.startsWith('/bots/')) return 'tokens';
  if (path.startsWith('/users/me/sessions')) return 'sessions';
  if (path === '/users/me/password' || path === '/users/me/email' || path === '/users/me/export' || (path === '/users/me' && method === 'DELETE')) return 'account';
  if (path.startsWith('/admin/')) return 'admin';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}
