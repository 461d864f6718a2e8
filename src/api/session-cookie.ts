/**
 * The web client's session cookie: `parley_session=<token>`, HttpOnly (scripts never see the
 * token), SameSite=Strict (never sent on a cross-site request or navigation), Path=/, Secure
 * when the request came over https or PUBLIC_URL is https, Max-Age = the session's idle expiry.
 * Requests it authenticates are CSRF-checked (src/api/auth.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../protocol/entities.js';
import type { CookieAuthResult } from '../protocol/rest-sessions.js';
import { hashToken, type UserRow } from '../services/identity/identity.js';
import type { Services } from '../services/index.js';
import type { SessionMeta } from '../services/identity/identity.js';
import { cleanUserAgent } from '../services/identity/user-agent.js';
import { isTrustedOrigin, SESSION_COOKIE } from '../core/origin.js';

export { isTrustedOrigin, SESSION_COOKIE };

/** The header that carries the CSRF token on POST, PUT, PATCH and DELETE made with the cookie. */
export const CSRF_HEADER = 'x-csrf-token';

/** Where a sign-in came from (User-Agent, client address as TRUST_PROXY allows), for its session row. */
export function sessionMeta(request: FastifyRequest, cookie = false): SessionMeta {
  return { userAgent: cleanUserAgent(request.headers['user-agent']), ip: request.ip || null, cookie };
}

/** Whether cookies set on this reply get `Secure`: the request came over https, or PUBLIC_URL is https. */
export function cookieSecure(request: FastifyRequest, publicUrl: string | null): boolean {
  return request.protocol === 'https' || (publicUrl ?? '').toLowerCase().startsWith('https:');
}

/**
 * Sets the session cookie on a reply. `maxAgeSeconds`: the session's remaining idle lifetime
 * (`services.sessions.remainingSeconds(createdAt)`); `publicUrl`: PUBLIC_URL, which decides Secure with the request's scheme.
 */
export function setSessionCookie(reply: FastifyReply, token: string, opts: { maxAgeSeconds: number; publicUrl: string | null }): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: cookieSecure(reply.request, opts.publicUrl),
    maxAge: Math.max(0, Math.floor(opts.maxAgeSeconds)),
  });
}

/** Removes the session cookie (logout, or a cookie whose session is gone). */
export function clearSessionCookie(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: reply.request.protocol === 'https' });
}

/**
 * Opens a cookie login session for a user (the web client's sign-in: password, or an OpenID
 * Connect callback), sets the cookie on `reply` and returns what the client may see: the user
 * and the session's CSRF token, never the token. The caller has already checked the user may
 * sign in (not deactivated).
 */
export async function startCookieSession(request: FastifyRequest, reply: FastifyReply, services: Services, user: UserRow): Promise<CookieAuthResult> {
  const token = await services.accounts.openSession(user.id, sessionMeta(request, true));
  return { user: await services.accounts.get(user.id), csrfToken: await finishCookieSignIn(reply, services, token) };
}

/** Sets the cookie of a cookie session just opened with `token`; returns its CSRF token. */
export async function finishCookieSignIn(reply: FastifyReply, services: Services, token: string): Promise<string> {
  setSessionCookie(reply, token, { maxAgeSeconds: services.sessions.remainingSeconds(), publicUrl: services.sessions.publicUrl });
  return services.sessions.csrfToken(hashToken(token));
}

/**
 * Answers a password sign-in (login, register): `signIn` opens the session with the request's
 * device; in cookie mode (`"session": "cookie"` in the body) the token goes into the cookie and
 * the answer is `{user, csrfToken}`, otherwise the contract's `{user, token}`.
 */
export async function answerSignIn<T extends { user: User; token: string }>(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  signIn: (meta: SessionMeta) => Promise<T>,
): Promise<T | CookieAuthResult> {
  const cookie = (request.body as { session?: unknown } | undefined)?.session === 'cookie';
  const result = await signIn(sessionMeta(request, cookie));
  if (!cookie) return result;
  return { user: result.user, csrfToken: await finishCookieSignIn(reply, services, result.token) };
}
