import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scopesOf } from '../protocol/token-scopes.js';
import { requiredScope } from './token-scope.js';
import { AppError } from '../core/errors.js';
import type { AccountsService } from '../services/identity/accounts.service.js';
import type { Actor } from '../services/identity/identity.js';
import type { SessionsService } from '../services/identity/sessions.service.js';
import { clearSessionCookie, CSRF_HEADER, isTrustedOrigin, SESSION_COOKIE, setSessionCookie } from './session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in caller; set on every route that is not marked public. */
    actor: Actor;
    /** The caller was authenticated by the web client's session cookie (not a bearer token). */
    viaCookie: boolean;
  }
  interface FastifyContextConfig {
    /** The route needs no bearer token. */
    public?: boolean;
  }
}

/** The bearer token of a request, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** What cookie sessions need: the CSRF secret and expiry policy, and the origins trusted besides this server's. */
export interface CookieAuth {
  sessions: SessionsService;
  /** CORS_ORIGINS. */
  corsOrigins: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Requires a valid token on every route of this scope that is not marked `config.public`: a
 * bearer header, or else (with `cookie`) the web client's session cookie. A bearer header wins
 * over a cookie. Cookie requests that change something must come from a trusted Origin (when
 * the browser says one) and carry the session's X-CSRF-Token; otherwise 403 `csrf_failed`.
 */
export function installAuth(app: FastifyInstance, accounts: AccountsService, cookie?: CookieAuth): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('viaCookie', false);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public) return;
    const actor = await optionalActor(request, reply, accounts, cookie);
    if (!actor) throw new AppError('unauthorized', cookie ? 'a valid bearer token or session cookie is required' : 'a valid bearer token is required');
    // An API token does what its scopes allow; a login session what its account may.
    const scopes = scopesOf(actor.session);
    if (scopes) {
      const needed = requiredScope(request.method, request.routeOptions.url ?? request.url);
      if (!scopes.includes(needed)) throw new AppError('forbidden', `this API token lacks the "${needed}" scope`, { requiredScope: needed });
    }
  });
}

/**
 * The caller of a request by bearer token or (with `cookie`) session cookie, set as
 * `request.actor`; null when it brings neither. A bad bearer token is a 401, a dead cookie is
 * cleared; cookie requests that change something are CSRF-checked (403 `csrf_failed`).
 */
export async function optionalActor(request: FastifyRequest, reply: FastifyReply, accounts: AccountsService, cookie?: CookieAuth): Promise<Actor | null> {
  const token = bearerToken(request);
  if (token || !cookie) {
    if (!token) return null;
    const actor = await accounts.authenticate(token);
    if (!actor) throw new AppError('unauthorized', 'a valid bearer token is required');
    request.actor = actor;
    return actor;
  }
  const actor = await cookieActor(request, reply, accounts, cookie);
  if (actor) {
    request.actor = actor;
    request.viaCookie = true;
  }
  return actor;
}

async function cookieActor(request: FastifyRequest, reply: FastifyReply, accounts: AccountsService, cookie: CookieAuth): Promise<Actor | null> {
  const value = request.cookies[SESSION_COOKIE];
  const actor = value ? await accounts.authenticate(value) : null;
  // Only sessions opened for the cookie are accepted from it (never an API token).
  if (!actor || actor.session?.cookie !== true) {
    if (value) clearSessionCookie(reply);
    return null;
  }
  if (!SAFE_METHODS.has(request.method)) {
    const origin = request.headers.origin;
    if (origin !== undefined && !isTrustedOrigin(origin, request.headers.host, cookie.sessions.publicUrl, cookie.corsOrigins)) {
      throw new AppError('csrf_failed', 'this request comes from another site');
    }
    const given = request.headers[CSRF_HEADER];
    if (!(await cookie.sessions.checkCsrf(actor.tokenHash, typeof given === 'string' ? given : undefined))) {
      throw new AppError('csrf_failed', 'missing or wrong X-CSRF-Token header (GET /api/v1/auth/session tells it)');
    }
  }
  // The session slid forward (at most once a minute): so does the cookie's lifetime.
  if (actor.renewed && value) {
    setSessionCookie(reply, value, { maxAgeSeconds: cookie.sessions.remainingSeconds(actor.session?.createdAt), publicUrl: cookie.sessions.publicUrl });
  }
  return actor;
}
