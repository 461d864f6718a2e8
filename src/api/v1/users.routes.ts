import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, User } from '../../protocol/entities.js';
import { IdParams, PatchMeBody, UserList, UserSearchQuery } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { Me } from '../../protocol/rest-signup.js';

export const usersRoutes =
  (s: Services, limits: Pick<RateLimits, 'profileChangesByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['users'];
    // Your own User, with your e-mail address (no other User carries one).
    app.get('/users/me', { schema: { tags, response: { 200: Me, '4xx': ErrorBody } } }, async (req) => s.accountSecurity.me(req.actor));
    app.patch('/users/me', { schema: { tags, body: PatchMeBody, response: { 200: User, '4xx': ErrorBody } } }, async (req) => {
      // A profile change is sent to everyone who shares a conversation (RATE_LIMIT_PROFILE_CHANGES_PER_USER).
      await enforce(limits.profileChangesByUser, req.actor.user.id, 'too many profile changes');
      return s.accounts.patchMe(req.actor, req.body);
    });
    app.get('/users/:id', { schema: { tags, params: IdParams, response: { 200: User, '4xx': ErrorBody } } }, async (req) =>
      s.accounts.get(req.params.id),
    );
    app.get('/users', { schema: { tags, querystring: UserSearchQuery, response: { 200: UserList, '4xx': ErrorBody } } }, async (req) =>
      s.accounts.search(req.query.q, req.query.cursor, req.query.limit),
    );
  };
