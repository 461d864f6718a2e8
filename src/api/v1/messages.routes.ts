import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, Message } from '../../protocol/entities.js';
import { EditMessageBody, IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

export const messagesRoutes =
  (s: Services, limits: Pick<RateLimits, 'editsByUser' | 'reactionsByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['messages'];
    const err = { '4xx': ErrorBody };
    app.get(
      '/search/messages',
      {
        schema: {
          tags: ['search'],
          description:
            'Messages of your conversations matching every word of q (in any order), newest first; deleted messages never match. ' +
            'Case and width are ignored (MEET, ｍｅｅｔ). A word of 3 characters or more matches the words it begins: meet finds meet, Meeting and meetings, ' +
            'but not homeowners (never inside a word); a word of 1-2 characters matches whole words only (go: not gopher). ' +
            'Chinese, Japanese and Korean text matches as a substring of 2 characters or more (讨论 finds 技术讨论组), never as a prefix. ' +
            'Punctuation separates words and is otherwise ignored. A "quoted phrase" must appear as written. ' +
            'Filters (key:value, a full-width colon works too; values may be quoted): from:alice (or from:@alice, from:me) the sender; ' +
            'in:#group-name or in:"group name" a group of yours by name, in:@alice your direct conversation with alice; ' +
            'before:YYYY-MM-DD, after:YYYY-MM-DD, on:YYYY-MM-DD days in the time zone tz (default UTC; before: is before that day, after: after it); ' +
            'has:file, has:link, has:reaction; is:pinned, is:thread (a reply in a thread). A query may be filters alone (from:me has:file); ' +
            'a filter naming no one, or no conversation of yours, matches nothing. ' +
            'q: 2-200 characters, at most 32 words and character pairs and 10 filters. 400 validation_failed otherwise.',
          querystring: Type.Object(
            {
              q: Type.String({ minLength: 1, maxLength: 200, description: 'Words (each a prefix from 3 characters) and CJK substrings, all of which must match.' }),
              conversationId: Type.Optional(Type.String({ maxLength: 64 })),
              tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone of the before:/after:/on: days, e.g. Asia/Shanghai (default UTC)' })),
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
      async (req) => {
        // Each edit is a stored event fanned out to every member (RATE_LIMIT_EDITS_PER_USER).
        await enforce(limits.editsByUser, req.actor.user.id, 'too many edits');
        return s.messages.edit(req.actor, req.params.id, req.body.body);
      },
    );
    const reactionParams = Type.Object({ id: Type.String(), emoji: Type.String({ maxLength: 256 }) });
    app.put(
      '/messages/:id/reactions/:emoji',
      { schema: { tags, params: reactionParams, response: { 204: Type.Null(), ...err } } },
      async (req, reply) => {
        await enforce(limits.reactionsByUser, req.actor.user.id, 'too many reactions');
        await s.reactions.add(req.actor, req.params.id, req.params.emoji);
        return reply.status(204).send(null);
      },
    );
    app.delete(
      '/messages/:id/reactions/:emoji',
      { schema: { tags, params: reactionParams, response: { 204: Type.Null(), ...err } } },
      async (req, reply) => {
        await enforce(limits.reactionsByUser, req.actor.user.id, 'too many reactions');
        await s.reactions.remove(req.actor, req.params.id, req.params.emoji);
        return reply.status(204).send(null);
      },
    );
    app.delete('/messages/:id', { schema: { tags, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      // Deleting shares the edit budget: it too rewrites a message for everyone.
      await enforce(limits.editsByUser, req.actor.user.id, 'too many edits');
      await s.messages.delete(req.actor, req.params.id);
      return reply.status(204).send(null);
    });
  };
