import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { ErrorBody } from '../../protocol/entities.js';
import { AdminEraseBody, EraseMeBody, UserDataExport } from '../../protocol/personal-data.js';
import { IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** A user's own data: its export and erasure; a site admin's erasure of an account. */
export const personalDataRoutes =
  (s: Services, limits: RateLimits): FastifyPluginAsyncTypebox =>
  async (app) => {
    const err = { '4xx': ErrorBody };
    app.get(
      '/users/me/export',
      {
        exposeHeadRoute: false,
        schema: {
          tags: ['users'],
          summary: 'Download my data: profile, sessions, memberships, every message I sent, reactions, uploads (a JSON file)',
          response: { 200: UserDataExport, ...err },
        },
      },
      async (req, reply) => {
        const file = await s.userExports.open(req.actor);
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .header('content-disposition', file.disposition)
          .header('cache-control', 'no-store')
          .send(file.stream as unknown as UserDataExport);
      },
    );
    app.delete(
      '/users/me',
      {
        schema: {
          tags: ['users'],
          summary: 'Delete my account (erasure): confirmed with the password, or the username for an account without one',
          body: EraseMeBody,
          response: { 204: Type.Null(), ...err },
        },
      },
      async (req, reply) => {
        // The password confirms it: guesses are limited like a password change's.
        await enforce(limits.passwordChangeByAccount, req.actor.user.id, 'too many attempts');
        await s.erasure.eraseSelf(req.actor, req.body);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/admin/users/:id/erase',
      {
        schema: {
          tags: ['admin'],
          summary: 'Erase an account and the bots it owns (site admins; audited user.erased)',
          params: IdParams,
          body: AdminEraseBody,
          response: { 204: Type.Null(), ...err },
        },
        // No body means no options.
        preValidation: async (req) => {
          req.body ??= {};
        },
      },
      async (req, reply) => {
        await s.erasure.eraseByAdmin(req.actor, req.params.id, req.body);
        return reply.status(204).send(null);
      },
    );
  };
