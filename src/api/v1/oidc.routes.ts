/**
 * Sign-in with an OpenID Connect provider, for browsers: GET /auth/oidc/start sends the browser
 * to the provider, GET /auth/oidc/callback signs it in (the web client's session cookie) and
 * sends it to `/`. Both answer with redirects only: a failure goes to the web client as
 * `/#/login?error=<code>` (codes in OIDC_FAILURES), never as a JSON error page.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { ErrorBody } from '../../protocol/entities.js';
import type { Services } from '../../services/index.js';
import { OIDC_PENDING_TTL_MS, OidcError, type OidcFailure } from '../../services/identity/oidc.service.js';
import { cookieSecure, startCookieSession } from '../session-cookie.js';

/** The sign-in in progress (state, nonce, PKCE verifier), sealed; sent back only to /auth/oidc/*. */
export const OIDC_STATE_COOKIE = 'parley_oidc';
const COOKIE_PATH = '/api/v1/auth/oidc';

/** Where the web client shows why a sign-in did not happen. */
export const oidcErrorLocation = (reason: OidcFailure): string => `/#/login?error=${reason}`;

const Param = Type.Optional(Type.String({ maxLength: 4096 }));
/** The provider's parameters (RFC 6749 4.1.2, RFC 9207); others a provider adds are accepted and ignored. */
const CallbackQuery = Type.Object(
  { code: Param, state: Param, iss: Param, error: Param, error_description: Param, error_uri: Param, session_state: Param },
  { additionalProperties: true },
);
const Redirect = { 302: Type.Null({ description: 'A redirect (Location)' }), '4xx': ErrorBody };

export const oidcRoutes =
  (s: Services, limits: RateLimits): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { publicUrl } = s.sessions;
    // The callback arrives as a cross-site top-level navigation from the provider: Lax, not Strict.
    const setState = (req: FastifyRequest, reply: FastifyReply, value: string, maxAgeMs: number) =>
      void reply.setCookie(OIDC_STATE_COOKIE, value, {
        httpOnly: true,
        sameSite: 'lax',
        path: COOKIE_PATH,
        secure: cookieSecure(req, publicUrl),
        maxAge: Math.floor(maxAgeMs / 1000),
      });
    // Sign-in attempts per client address, counted with password logins (RATE_LIMIT_LOGIN_PER_IP).
    const limit = (req: FastifyRequest) => enforce(limits.loginByIp, req.ip, 'too many sign-in attempts');
    const fail = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
      let reason: OidcFailure = 'oidc_failed';
      if (err instanceof OidcError) reason = err.reason;
      else if (err instanceof AppError && err.code === 'rate_limited') reason = 'rate_limited';
      else req.log.error({ err }, 'OpenID Connect sign-in failed unexpectedly');
      return reply.redirect(oidcErrorLocation(reason), 302);
    };

    app.get(
      '/auth/oidc/start',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          description: 'Browsers: starts a sign-in with the OpenID Connect provider (302 to it). Failures redirect to `/#/login?error=<code>`.',
          response: Redirect,
        },
      },
      async (req, reply) => {
        try {
          await limit(req);
          const { url, sealed } = await s.oidc.begin();
          setState(req, reply, sealed, OIDC_PENDING_TTL_MS);
          return reply.redirect(url, 302);
        } catch (err) {
          return fail(req, reply, err);
        }
      },
    );

    app.get(
      '/auth/oidc/callback',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          querystring: CallbackQuery,
          description: 'The provider sends the browser here; it is signed in (session cookie) and sent to `/`, or to `/#/login?error=<code>`.',
          response: Redirect,
        },
      },
      async (req, reply) => {
        // Used once, whatever happens.
        setState(req, reply, '', 0);
        try {
          await limit(req);
          const query = req.raw.url?.split('?')[1] ?? '';
          const user = await s.oidc.complete(query, req.cookies[OIDC_STATE_COOKIE] ?? null);
          await startCookieSession(req, reply, s, user);
          return reply.redirect('/', 302);
        } catch (err) {
          return fail(req, reply, err);
        }
      },
    );
  };
