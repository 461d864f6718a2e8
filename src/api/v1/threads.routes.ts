import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, Thread } from '../../protocol/entities.js';
import { CursorQuery, IdParams, MessagePage, ReadBody, ThreadList, ThreadRepliesQuery } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** Threads: the replies of a top-level message, following them, and reading them. */
export const threadsRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['threads'];
    const err = { '4xx': ErrorBody };
    app.get(
      '/threads',
      {
        schema: {
          tags,
          description:
            'The threads you follow in conversations you belong to: those with unread replies first, then by last reply, newest first. ' +
            '`unreadThreads` and `unreadMentions` count over all of them (for a badge).',
          querystring: CursorQuery,
          response: { 200: ThreadList, ...err },
        },
      },
      async (req) => s.threads.list(req.actor, req.query),
    );
    app.get(
      '/threads/:id',
      {
        schema: {
          tags,
          description: 'A thread by its root message id, as you see it (also a root without replies yet). 404 for a reply or a message you cannot read.',
          params: IdParams,
          response: { 200: Thread, ...err },
        },
      },
      async (req) => s.threads.get(req.actor, req.params.id),
    );
    app.get(
      '/threads/:id/messages',
      {
        schema: {
          tags,
          description: "A page of the thread's replies in ascending seq: the newest page, or before/after a seq (as conversation history).",
          params: IdParams,
          querystring: ThreadRepliesQuery,
          response: { 200: MessagePage, ...err },
        },
      },
      async (req) => s.threads.replies(req.actor, req.params.id, req.query),
    );
    app.put(
      '/threads/:id/follow',
      {
        schema: { tags, description: 'Follow the thread: its replies count as unread for you and notify you.', params: IdParams, response: { 200: Thread, ...err } },
      },
      async (req) => s.threads.setFollowing(req.actor, req.params.id, true),
    );
    app.delete(
      '/threads/:id/follow',
      {
        schema: {
          tags,
          description: 'Stop following the thread (replying to it, or being mentioned in it, follows it again).',
          params: IdParams,
          response: { 200: Thread, ...err },
        },
      },
      async (req) => s.threads.setFollowing(req.actor, req.params.id, false),
    );
    app.post(
      '/threads/:id/read',
      {
        schema: {
          tags,
          description: 'Moves your read pointer in the thread forward to seq (never back; clamped to the last reply).',
          params: IdParams,
          body: ReadBody,
          response: { 204: Type.Null(), ...err },
        },
      },
      async (req, reply) => {
        await s.threads.markRead(req.actor, req.params.id, req.body.seq);
        return reply.status(204).send(null);
      },
    );
  };
