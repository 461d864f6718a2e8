import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { BanList, MuteBody } from '../../protocol/rest-admin.js';
import { CursorQuery, IdParams, MemberParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** Group moderation by admins: mutes and bans. */
export const moderationRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['moderation'];
    const done = { 204: Type.Null(), '4xx': ErrorBody };
    app.put(
      '/groups/:id/mutes/:userId',
      { schema: { tags, params: MemberParams, body: MuteBody, response: done, description: 'Mute a member until a time: their sends, edits and reactions get 403 `muted`.' } },
      async (req, reply) => {
        await s.moderation.mute(req.actor, req.params.id, req.params.userId, req.body.until);
        return reply.status(204).send(null);
      },
    );
    app.delete('/groups/:id/mutes/:userId', { schema: { tags, params: MemberParams, response: done } }, async (req, reply) => {
      await s.moderation.unmute(req.actor, req.params.id, req.params.userId);
      return reply.status(204).send(null);
    });
    app.put(
      '/groups/:id/bans/:userId',
      { schema: { tags, params: MemberParams, response: done, description: 'Ban a user: a member is removed (member.left, reason "banned") and cannot rejoin or be added.' } },
      async (req, reply) => {
        await s.moderation.ban(req.actor, req.params.id, req.params.userId);
        return reply.status(204).send(null);
      },
    );
    app.delete('/groups/:id/bans/:userId', { schema: { tags, params: MemberParams, response: done } }, async (req, reply) => {
      await s.moderation.unban(req.actor, req.params.id, req.params.userId);
      return reply.status(204).send(null);
    });
    app.get(
      '/groups/:id/bans',
      { schema: { tags, params: IdParams, querystring: CursorQuery, response: { 200: BanList, '4xx': ErrorBody } } },
      async (req) => s.moderation.listBans(req.actor, req.params.id, req.query.cursor, req.query.limit),
    );
  };
