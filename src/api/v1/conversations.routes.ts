import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Conversation, ErrorBody, Message } from '../../protocol/entities.js';
import {
  ConversationList,
  CursorQuery,
  DirectBody,
  EventPage,
  EventsQuery,
  HistoryQuery,
  IdParams,
  MessagePage,
  ReadBody,
  SendMessageBody,
} from '../../protocol/rest.js';
import { CommandList, CommandResult, RunCommandBody } from '../../protocol/rest-integrations.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

export const conversationsRoutes =
  (s: Services, limits: Pick<RateLimits, 'sendsByUser' | 'directConversationsByUser' | 'groupChangesByUser' | 'profileChangesByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['conversations'];
    const err = { '4xx': ErrorBody };
    app.get('/conversations', { schema: { tags, querystring: CursorQuery, response: { 200: ConversationList, ...err } } }, async (req) =>
      s.conversations.inbox(req.actor, req.query.cursor, req.query.limit),
    );
    app.post(
      '/conversations/direct',
      { schema: { tags, body: DirectBody, response: { 200: Conversation, 201: Conversation, ...err } } },
      async (req, reply) => {
        // Only a new conversation counts (RATE_LIMIT_DIRECT_CONVERSATIONS_PER_USER): opening one again is free.
        const newOne = () => enforce(limits.directConversationsByUser, req.actor.user.id, 'too many direct conversations started');
        const { conversation, created } = await s.conversations.openDirect(req.actor, req.body.userId, newOne);
        return reply.status(created ? 201 : 200).send(conversation);
      },
    );
    app.get('/conversations/:id', { schema: { tags, params: IdParams, response: { 200: Conversation, ...err } } }, async (req) =>
      s.conversations.getConversation(req.actor, req.params.id),
    );
    app.get(
      '/conversations/:id/messages',
      { schema: { tags: ['messages'], params: IdParams, querystring: HistoryQuery, response: { 200: MessagePage, ...err } } },
      async (req) => s.messages.history(req.actor, req.params.id, req.query),
    );
    app.post(
      '/conversations/:id/messages',
      { schema: { tags: ['messages'], params: IdParams, body: SendMessageBody, response: { 200: Message, 201: Message, ...err } } },
      async (req, reply) => {
        // One budget per user for REST and WebSocket sends alike (RATE_LIMIT_SENDS_PER_USER).
        await enforce(limits.sendsByUser, req.actor.user.id, 'too many messages');
        const { message, created } = await s.messages.send(req.actor, req.params.id, req.body);
        return reply.status(created ? 201 : 200).send(message);
      },
    );
    app.get(
      '/conversations/:id/commands',
      { schema: { tags: ['integrations'], description: "The slash commands of a conversation (the composer's suggestions).", params: IdParams, response: { 200: CommandList, ...err } } },
      async (req) => s.commands.list(req.actor, req.params.id),
    );
    app.post(
      '/conversations/:id/commands',
      {
        schema: {
          tags: ['integrations'],
          description:
            'Runs a slash command: /me, /shrug (send a message), /mute, /unmute, /invite @user…, /leave, /topic [text], /status [emoji] [text] | clear, /dnd [30m|2h|1d|off]. ' +
            'Answers the message it sent and/or a line for you alone (`response`, never stored). Each is checked and limited as its route is.',
          params: IdParams,
          body: RunCommandBody,
          response: { 200: CommandResult, ...err },
        },
      },
      async (req) => {
        const budget = s.commands.budgetOf(req.body.command);
        const id = req.actor.user.id;
        if (budget === 'send') await enforce(limits.sendsByUser, id, 'too many messages');
        else if (budget === 'group') await enforce(limits.groupChangesByUser, id, 'too many group changes');
        else if (budget === 'profile') await enforce(limits.profileChangesByUser, id, 'too many profile changes');
        return s.commands.run(req.actor, req.params.id, req.body, async (more) => {
          if (more === 'group') await enforce(limits.groupChangesByUser, id, 'too many group changes');
        });
      },
    );
    app.get(
      '/conversations/:id/events',
      { schema: { tags, params: IdParams, querystring: EventsQuery, response: { 200: EventPage, ...err } } },
      async (req) => s.messages.events(req.actor, req.params.id, req.query),
    );
    app.post(
      '/conversations/:id/read',
      { schema: { tags, params: IdParams, body: ReadBody, response: { 204: Type.Null(), ...err } } },
      async (req, reply) => {
        await s.messages.markRead(req.actor, req.params.id, req.body.seq);
        return reply.status(204).send(null);
      },
    );
  };
