import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { ErrorBody } from '../../protocol/entities.js';
import { PinList, PinParams } from '../../protocol/pins.js';
import { IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** Pinned messages of a conversation. Pinning writes an event, so it shares the user's send budget. */
export const pinsRoutes =
  (s: Services, limits: Pick<RateLimits, 'sendsByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['pins'];
    const err = { '4xx': ErrorBody };
    const done = { 204: Type.Null(), ...err };
    app.get(
      '/conversations/:id/pins',
      { schema: { tags, params: IdParams, response: { 200: PinList, ...err }, description: 'Pinned messages, newest pin first; deleted messages are left out.' } },
      async (req) => s.pins.list(req.actor, req.params.id),
    );
    app.put(
      '/conversations/:id/pins/:messageId',
      {
        schema: {
          tags,
          params: PinParams,
          response: done,
          description: 'Pin a message (group admins; either member of a direct conversation). Idempotent; at most 50 pins (409 `pin_limit_reached`).',
        },
      },
      async (req, reply) => {
        await enforce(limits.sendsByUser, req.actor.user.id, 'too many changes');
        await s.pins.pin(req.actor, req.params.id, req.params.messageId);
        return reply.status(204).send(null);
      },
    );
    app.delete(
      '/conversations/:id/pins/:messageId',
      { schema: { tags, params: PinParams, response: done, description: 'Unpin a message (who may pin). Idempotent.' } },
      async (req, reply) => {
        await enforce(limits.sendsByUser, req.actor.user.id, 'too many changes');
        await s.pins.unpin(req.actor, req.params.id, req.params.messageId);
        return reply.status(204).send(null);
      },
    );
  };
