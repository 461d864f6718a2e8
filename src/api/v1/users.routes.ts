import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, User } from '../../protocol/entities.js';
import { IdParams, PatchMeBody, SetDndBody, SetStatusBody, UserList, UserSearchQuery } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { Me } from '../../protocol/rest-signup.js';

export const usersRoutes =
  (s: Services, limits: Pick<RateLimits, 'profileChangesByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['users'];
    // Your own User, with your e-mail address (no other User carries one).
    app.get('/users/me', { schema: { tags, response: { 200: Me, '4xx': ErrorBody } } }, async (req) => s.accountSecurity.me(req.actor));
    app.patch('/users/me', { schema: { tags, body: PatchMeBody, response: { 200: Me, '4xx': ErrorBody } } }, async (req) => {
      // A profile change is sent to everyone who shares a conversation (RATE_LIMIT_PROFILE_CHANGES_PER_USER).
      await enforce(limits.profileChangesByUser, req.actor.user.id, 'too many profile changes');
      return s.accounts.patchMe(req.actor, req.body);
    });
    const profileChange = (userId: string) => enforce(limits.profileChangesByUser, userId, 'too many profile changes');
    app.put(
      '/users/me/status',
      {
        schema: {
          tags,
          description: 'Sets your status, shown next to your name (user.updated to everyone sharing a conversation with you); it goes away at expiresAt.',
          body: SetStatusBody,
          response: { 200: User, '4xx': ErrorBody },
        },
      },
      async (req) => {
        await profileChange(req.actor.user.id);
        return s.accounts.setStatus(req.actor, req.body);
      },
    );
    app.delete('/users/me/status', { schema: { tags, description: 'Clears your status.', response: { 200: User, '4xx': ErrorBody } } }, async (req) => {
      await profileChange(req.actor.user.id);
      return s.accounts.clearStatus(req.actor);
    });
    app.put(
      '/users/me/dnd',
      {
        schema: {
          tags,
          description: 'Do not disturb until a time: no push notifications, and the e-mail digest waits (a daily schedule is in /users/me/notification-prefs).',
          body: SetDndBody,
          response: { 200: User, '4xx': ErrorBody },
        },
      },
      async (req) => {
        await profileChange(req.actor.user.id);
        return s.accounts.setDnd(req.actor, req.body.until);
      },
    );
    app.delete('/users/me/dnd', { schema: { tags, description: 'Ends the do not disturb you set (not your schedule).', response: { 200: User, '4xx': ErrorBody } } }, async (req) => {
      await profileChange(req.actor.user.id);
      return s.accounts.clearDnd(req.actor);
    });
    app.get('/users/:id', { schema: { tags, params: IdParams, response: { 200: User, '4xx': ErrorBody } } }, async (req) =>
      s.accounts.get(req.params.id),
    );
    app.get('/users', { schema: { tags, querystring: UserSearchQuery, response: { 200: UserList, '4xx': ErrorBody } } }, async (req) =>
      s.accounts.search(req.query.q, req.query.cursor, req.query.limit),
    );
  };
