import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { ErrorBody } from '../../protocol/entities.js';
import { IdParams } from '../../protocol/rest.js';
import { AuthOptions, CodeParams, CreateInviteBody, CreatedInvite, InviteCheck, InviteList, InviteListQuery } from '../../protocol/rest-signup.js';
import type { Services } from '../../services/index.js';

/** Sign-up options (public), invite checks (public) and invite management (site admins). */
export const signupRoutes =
  (s: Services, limits: RateLimits): FastifyPluginAsyncTypebox =>
  async (app) => {
    const err = { '4xx': ErrorBody };
    app.get(
      '/auth/options',
      {
        config: { public: true },
        schema: { tags: ['auth'], response: { 200: AuthOptions, ...err }, description: 'What the sign-in and sign-up forms offer: the sign-up mode, password reset by e-mail, OpenID Connect.' },
      },
      async () => ({ ...(await s.signup.options()), oidc: s.oidc.options() }),
    );
    app.get(
      '/auth/invites/:code',
      {
        config: { public: true },
        // Before the code is validated: a malformed code counts as a look-up too.
        onRequest: async (req) => enforce(limits.inviteCheckByIp, req.ip, 'too many invite look-ups from this address'),
        schema: { tags: ['auth'], params: CodeParams, response: { 200: InviteCheck, ...err }, description: 'Whether an invite code can still be used to sign up (404 if not).' },
      },
      async (req) => s.invites.check(req.params.code),
    );
    const tags = ['admin'];
    app.post(
      '/admin/invites',
      { schema: { tags, body: CreateInviteBody, response: { 201: CreatedInvite, ...err }, description: 'A new invite link; its code is shown only here.' } },
      async (req, reply) => {
        await enforce(limits.invitesByUser, req.actor.user.id, 'too many invites created');
        return reply.status(201).send(await s.invites.create(req.actor, req.body));
      },
    );
    app.get('/admin/invites', { schema: { tags, querystring: InviteListQuery, response: { 200: InviteList, ...err } } }, async (req) =>
      s.invites.list(req.actor, req.query.cursor, req.query.limit),
    );
    app.delete('/admin/invites/:id', { schema: { tags, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      await s.invites.revoke(req.actor, req.params.id);
      return reply.status(204).send(null);
    });
  };
