import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { foldUsername } from '../../core/username.js';
import { ErrorBody } from '../../protocol/entities.js';
import { AuthResult, LoginBody, RegisterBody } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import { CookieAuthResult } from '../../protocol/rest-sessions.js';
import { answerSignIn, clearSessionCookie } from '../session-cookie.js';

/** `{user, token}`, or with `"session": "cookie"` `{user, csrfToken}` (the token is in the HttpOnly cookie). */
const SignInResult = Type.Union([AuthResult, CookieAuthResult]);

/**
 * Password guessing and sign-up floods: per client address, and per account for logins (RATE_LIMIT_*).
 * Each attempt also costs an argon2id hash, so these limits protect the CPU as well. The limits
 * per address run in onRequest, before the body is read, parsed or validated: a client over its
 * limit costs no parsing, and a malformed body counts as an attempt.
 */
function limiter(limits: RateLimits) {
  return {
    register: async (req: FastifyRequest) => enforce(limits.registerByIp, req.ip, 'too many registrations from this address'),
    loginByIp: async (req: FastifyRequest) => enforce(limits.loginByIp, req.ip, 'too many attempts'),
    loginByAccount: async (username: string) => {
      // Keyed as the account is looked up (src/core/username.ts): one budget however the name is cased.
      await enforce(limits.loginByAccount, foldUsername(username), 'too many attempts');
    },
  };
}

export const authRoutes =
  (s: Services, rateLimits: RateLimits): FastifyPluginAsyncTypebox =>
  async (app) => {
    const limits = limiter(rateLimits);
    app.post(
      '/auth/register',
      {
        config: { public: true },
        onRequest: limits.register,
        schema: { tags: ['auth'], body: RegisterBody, response: { 201: SignInResult, '4xx': ErrorBody } },
      },
      async (req, reply) => {
        return reply.status(201).send(await answerSignIn(req, reply, s, (meta) => s.accounts.register(req.body, meta)));
      },
    );
    app.post(
      '/auth/login',
      {
        config: { public: true },
        onRequest: limits.loginByIp,
        schema: { tags: ['auth'], body: LoginBody, response: { 200: SignInResult, '4xx': ErrorBody } },
      },
      async (req, reply) => {
        await limits.loginByAccount(req.body.username);
        return answerSignIn(req, reply, s, (meta) => s.accounts.login(req.body, meta));
      },
    );
    app.post(
      '/auth/logout',
      { schema: { tags: ['auth'], response: { 204: Type.Null(), '4xx': ErrorBody } } },
      async (req, reply) => {
        await s.accounts.logout(req.actor);
        clearSessionCookie(reply);
        return reply.status(204).send(null);
      },
    );
  };
