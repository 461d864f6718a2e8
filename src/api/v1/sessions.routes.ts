import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { IdParams } from '../../protocol/rest.js';
import { SessionList, SessionState } from '../../protocol/rest-sessions.js';
import type { Services } from '../../services/index.js';
import { optionalActor, type CookieAuth } from '../auth.js';

/** A person's login sessions (devices), and GET /auth/session for the web client's cookie. */
export const sessionsRoutes =
  (s: Services, cookieAuth: CookieAuth): FastifyPluginAsyncTypebox =>
  async (app) => {
    const err = { '4xx': ErrorBody };
    // Public: a page that is not signed in learns it from a 200, not from an error (a bad bearer token is still a 401).
    app.get(
      '/auth/session',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          response: { 200: SessionState, ...err },
          description:
            'Who is signed in (session cookie or bearer token), with the CSRF token that unsafe requests made with the cookie carry as X-CSRF-Token; {user: null, csrfToken: null} when nobody.',
        },
      },
      async (req, reply) => {
        const actor = await optionalActor(req, reply, s.accounts, cookieAuth);
        if (!actor) return { user: null, csrfToken: null };
        return { user: s.accountSecurity.me(actor), csrfToken: await s.sessions.csrfToken(actor.tokenHash) };
      },
    );
    const tags = ['sessions'];
    app.get(
      '/users/me/sessions',
      { schema: { tags, response: { 200: SessionList, ...err }, description: 'Your login sessions (devices); API tokens are under /users/me/tokens.' } },
      async (req) => s.sessions.list(req.actor),
    );
    app.delete(
      '/users/me/sessions/:id',
      { schema: { tags, params: IdParams, response: { 204: Type.Null(), ...err }, description: 'Sign one device out: its requests get 401 and its sockets close (4401).' } },
      async (req, reply) => {
        await s.sessions.revoke(req.actor, req.params.id);
        return reply.status(204).send(null);
      },
    );
    app.delete(
      '/users/me/sessions',
      { schema: { tags, response: { 204: Type.Null(), ...err }, description: 'Sign out everywhere else: every login session but this one is revoked.' } },
      async (req, reply) => {
        await s.sessions.revokeOthers(req.actor);
        return reply.status(204).send(null);
      },
    );
  };
