import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { BotList, CreateBotBody, CreatedBot, CreatedToken, CreateTokenBody, TokenList } from '../../protocol/rest-admin.js';
import { IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

/** Long-lived API tokens (for bots and scripts) and bot accounts. */
export const tokensRoutes =
  (s: Services, limits: Pick<RateLimits, 'botsByUser' | 'apiTokensByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const err = { '4xx': ErrorBody };
    const tokens = ['tokens'];
    const newToken = (userId: string) => enforce(limits.apiTokensByUser, userId, 'too many API tokens created');
    app.post('/users/me/tokens', { schema: { tags: tokens, body: CreateTokenBody, response: { 201: CreatedToken, ...err } } }, async (req, reply) => {
      await newToken(req.actor.user.id);
      return reply.status(201).send(await s.tokens.create(req.actor, req.body));
    });
    app.get('/users/me/tokens', { schema: { tags: tokens, response: { 200: TokenList, ...err } } }, async (req) => s.tokens.list(req.actor));
    app.delete('/users/me/tokens/:id', { schema: { tags: tokens, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      await s.tokens.revoke(req.actor, req.params.id);
      return reply.status(204).send(null);
    });

    const bots = ['bots'];
    app.post(
      '/bots',
      { schema: { tags: bots, body: CreateBotBody, response: { 201: CreatedBot, ...err }, description: 'Create a bot account you own, with its first API token.' } },
      async (req, reply) => {
        await enforce(limits.botsByUser, req.actor.user.id, 'too many bots created');
        return reply.status(201).send(await s.tokens.createBot(req.actor, req.body));
      },
    );
    app.get('/bots', { schema: { tags: bots, response: { 200: BotList, ...err } } }, async (req) => s.tokens.listBots(req.actor));
    app.post(
      '/bots/:id/tokens',
      { schema: { tags: bots, params: IdParams, body: CreateTokenBody, response: { 201: CreatedToken, ...err } } },
      async (req, reply) => {
        await newToken(req.actor.user.id);
        return reply.status(201).send(await s.tokens.createBotToken(req.actor, req.params.id, req.body));
      },
    );
    app.delete('/bots/:id', { schema: { tags: bots, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      await s.tokens.deleteBot(req.actor, req.params.id);
      return reply.status(204).send(null);
    });
  };
