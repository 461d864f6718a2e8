import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { AddBlockList, AddBlockParams } from '../../protocol/add-blocks.js';
import { ErrorBody } from '../../protocol/entities.js';
import { CursorQuery } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** The people who may not add the caller to groups (403 `add_blocked` when they try). */
export const addBlocksRoutes =
  (s: Services, limits: Pick<RateLimits, 'profileChangesByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['users'];
    const done = { 204: Type.Null(), '4xx': ErrorBody };
    app.get(
      '/users/me/add-blocks',
      { schema: { tags, querystring: CursorQuery, response: { 200: AddBlockList, '4xx': ErrorBody }, description: 'People who may not add you to groups.' } },
      async (req) => s.addBlocks.list(req.actor, req.query.cursor, req.query.limit),
    );
    app.put(
      '/users/me/add-blocks/:userId',
      { schema: { tags, params: AddBlockParams, response: done, description: 'Refuse group adds by this person (idempotent). Groups you are in stay as they are.' } },
      async (req, reply) => {
        // A setting of one's own, counted with profile changes (RATE_LIMIT_PROFILE_CHANGES_PER_USER).
        await enforce(limits.profileChangesByUser, req.actor.user.id, 'too many changes');
        await s.addBlocks.block(req.actor, req.params.userId);
        return reply.status(204).send(null);
      },
    );
    app.delete(
      '/users/me/add-blocks/:userId',
      { schema: { tags, params: AddBlockParams, response: done, description: 'Let this person add you to groups again (idempotent).' } },
      async (req, reply) => {
        await enforce(limits.profileChangesByUser, req.actor.user.id, 'too many changes');
        await s.addBlocks.unblock(req.actor, req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };
