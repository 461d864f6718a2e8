import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { CreatedWebhook, CreateWebhookBody, IdParams, WebhookList, WebhookParams } from '../../protocol/rest.js';
import { CreateIncomingWebhookBody, CreatedIncomingWebhook, IncomingWebhookList } from '../../protocol/rest-integrations.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

/** A group's webhooks (admin only): outgoing (/groups/{id}/webhooks) and incoming (/groups/{id}/incoming-webhooks). */
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
    const itags = ['integrations'];
    app.post(
      '/groups/:id/incoming-webhooks',
      {
        schema: {
          tags: itags,
          description:
            'A new incoming webhook: POSTing Slack\'s payload to its `url` posts into the group as the hook\'s own integration user (it joins the group). ' +
            'The url is shown in this answer only. Group admins; counted with webhooks created (RATE_LIMIT_WEBHOOKS_PER_USER), at most MAX_INCOMING_WEBHOOKS_PER_GROUP.',
          params: IdParams,
          body: CreateIncomingWebhookBody,
          response: { 201: CreatedIncomingWebhook, ...err },
        },
      },
      async (req, reply) => {
        await enforce(limits.webhooksByUser, req.actor.user.id, 'too many webhooks created');
        return reply.status(201).send(await s.incomingWebhooks.create(req.actor, req.params.id, req.body));
      },
    );
    app.get(
      '/groups/:id/incoming-webhooks',
      { schema: { tags: itags, description: "A group's live incoming webhooks (without their URLs). Group admins.", params: IdParams, response: { 200: IncomingWebhookList, ...err } } },
      async (req) => s.incomingWebhooks.list(req.actor, req.params.id),
    );
    app.delete(
      '/groups/:id/incoming-webhooks/:hookId',
      {
        schema: {
          tags: itags,
          description: 'Revokes an incoming webhook: its URL answers 404 no_service at once; its integration user leaves the group. Group admins.',
          params: WebhookParams,
          response: { 204: Type.Null(), ...err },
        },
      },
      async (req, reply) => {
        await s.incomingWebhooks.revoke(req.actor, req.params.id, req.params.hookId);
        return reply.status(204).send(null);
      },
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
