import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { RateLimiter } from '../../core/rate-limiter.js';
import { ErrorBody } from '../../protocol/entities.js';
import { AuthResult, LoginBody, RegisterBody } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/**
 * Password guessing and sign-up floods: per client address, and per account for logins.
 * Each attempt also costs an argon2id hash, so these limits protect the CPU as well.
 */
function limiter(enabled: boolean) {
  const registerByIp = new RateLimiter(5, 5 / 60, enabled);
  const loginByIp = new RateLimiter(20, 20 / 60, enabled);
  const loginByUser = new RateLimiter(10, 10 / 60, enabled);
  const check = (rl: RateLimiter, key: string) => {
    if (rl.take(key)) return;
    const retry = String(rl.retryAfter(key));
    throw new AppError('rate_limited', `too many attempts; retry in ${retry} s`, undefined, { 'retry-after': retry });
  };
  return {
    register: (req: FastifyRequest) => check(registerByIp, req.ip),
    login: (req: FastifyRequest, username: string) => {
      check(loginByIp, req.ip);
      check(loginByUser, username.toLowerCase());
    },
    close: () => [registerByIp, loginByIp, loginByUser].forEach((rl) => rl.close()),
  };
}

export const authRoutes =
  (s: Services, rateLimit: boolean): FastifyPluginAsyncTypebox =>
  async (app) => {
    const limits = limiter(rateLimit);
    app.addHook('onClose', async () => limits.close());
    app.post(
      '/auth/register',
      {
        config: { public: true },
        schema: { tags: ['auth'], body: RegisterBody, response: { 201: AuthResult, '4xx': ErrorBody } },
      },
      async (req, reply) => {
        limits.register(req);
        return reply.status(201).send(await s.accounts.register(req.body));
      },
    );
    app.post(
      '/auth/login',
      { config: { public: true }, schema: { tags: ['auth'], body: LoginBody, response: { 200: AuthResult, '4xx': ErrorBody } } },
      async (req) => {
        limits.login(req, req.body.username);
        return s.accounts.login(req.body);
      },
    );
    app.post(
      '/auth/logout',
      { schema: { tags: ['auth'], response: { 204: Type.Null(), '4xx': ErrorBody } } },
      async (req, reply) => {
        await s.accounts.logout(req.actor);
        return reply.status(204).send(null);
      },
    );
  };
