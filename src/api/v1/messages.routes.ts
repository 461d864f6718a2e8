import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, Message } from '../../protocol/entities.js';
import { EditMessageBody, IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

export const messagesRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['messages'];
    const err = { '4xx': ErrorBody };
    app.get(
      '/search/messages',
      {
        schema: {
          tags: ['search'],
          querystring: Type.Object(
            {
              q: Type.String({ minLength: 1, maxLength: 200 }),
              conversationId: Type.Optional(Type.String({ maxLength: 64 })),
              cursor: Type.Optional(Type.String({ maxLength: 512 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ messages: Type.Array(Message), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...err },
        },
      },
      async (req) => s.search.messages(req.actor, req.query),
    );
    app.get('/messages/:id', { schema: { tags, params: IdParams, response: { 200: Message, ...err } } }, async (req) =>
      s.messages.get(req.actor, req.params.id),
    );
    app.patch(
      '/messages/:id',
      { schema: { tags, params: IdParams, body: EditMessageBody, response: { 200: Message, ...err } } },
      async (req) => s.messages.edit(req.actor, req.params.id, req.body.body),
    );
    const reactionParams = Type.Object({ id: Type.String(), emoji: Type.String({ maxLength: 256 }) });
    app.put(
      '/messages/:id/reactions/:emoji',
      { schema: { tags, params: reactionParams, response: { 204: Type.Null(), ...err } } },
      async (req, reply) => {
        await s.reactions.add(req.actor, req.params.id, req.params.emoji);
        return reply.status(204).send(null);
      },
    );
    app.delete(
      '/messages/:id/reactions/:emoji',
      { schema: { tags, params: reactionParams, response: { 204: Type.Null(), ...err } } },
      async (req, reply) => {
        await s.reactions.remove(req.actor, req.params.id, req.params.emoji);
        return reply.status(204).send(null);
      },
    );
    app.delete('/messages/:id', { schema: { tags, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      await s.messages.delete(req.actor, req.params.id);
      return reply.status(204).send(null);
    });
  };
