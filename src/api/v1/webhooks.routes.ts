import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { CreatedWebhook, CreateWebhookBody, IdParams, WebhookList, WebhookParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

/** A group's outgoing webhooks (admin only): POST, GET, DELETE /groups/{id}/webhooks. */
export const webhooksRoutes =
  (s: Services, limits: Pick<RateLimits, 'webhooksByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['webhooks'];
    const err = { '4xx': ErrorBody };
    app.post(
      '/groups/:id/webhooks',
      { schema: { tags, params: IdParams, body: CreateWebhookBody, response: { 201: CreatedWebhook, ...err } } },
      async (req, reply) => {
        await enforce(limits.webhooksByUser, req.actor.user.id, 'too many webhooks created');
        return reply.status(201).send(await s.webhooks.create(req.actor, req.params.id, req.body.url));
      },
    );
    app.get('/groups/:id/webhooks', { schema: { tags, params: IdParams, response: { 200: WebhookList, ...err } } }, async (req) =>
      s.webhooks.list(req.actor, req.params.id),
    );
    app.delete(
      '/groups/:id/webhooks/:hookId',
      { schema: { tags, params: WebhookParams, response: { 204: Type.Null(), ...err } } },
      async (req, reply) => {
        await s.webhooks.delete(req.actor, req.params.id, req.params.hookId);
        return reply.status(204).send(null);
      },
    );
  };
