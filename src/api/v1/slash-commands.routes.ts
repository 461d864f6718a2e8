import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { IdParams } from '../../protocol/rest.js';
import { CreatedSlashCommand, CreateSlashCommandBody, SlashCommandList, SlashCommandParams } from '../../protocol/rest-integrations.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

/** A group's custom slash commands (admin only): /groups/{id}/commands. */
export const slashCommandsRoutes =
  (s: Services, limits: Pick<RateLimits, 'webhooksByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['integrations'];
    const err = { '4xx': ErrorBody };
    app.post(
      '/groups/:id/commands',
      {
        schema: {
          tags,
          description:
            "A new custom slash command: `/trigger text` typed in the group POSTs Slack's form to `url` (signed with `signingSecret`, shown in this answer only); " +
            'its answer goes to the caller or, `in_channel`, into the group as the command\'s own integration user (it joins the group). ' +
            'Group admins; counted with webhooks created (RATE_LIMIT_WEBHOOKS_PER_USER), at most MAX_SLASH_COMMANDS_PER_GROUP; 409 for a trigger the group has already.',
          params: IdParams,
          body: CreateSlashCommandBody,
          response: { 201: CreatedSlashCommand, ...err },
        },
      },
      async (req, reply) => {
        await enforce(limits.webhooksByUser, req.actor.user.id, 'too many integrations created');
        return reply.status(201).send(await s.customCommands.create(req.actor, req.params.id, req.body));
      },
    );
    app.get(
      '/groups/:id/commands',
      { schema: { tags, description: "A group's custom slash commands (without their secrets). Group admins.", params: IdParams, response: { 200: SlashCommandList, ...err } } },
      async (req) => s.customCommands.list(req.actor, req.params.id),
    );
    app.delete(
      '/groups/:id/commands/:commandId',
      {
        schema: {
          tags,
          description: "Deletes a custom slash command: it stops at once, and so do its runs' response URLs; its integration user leaves the group. Group admins.",
          params: SlashCommandParams,
          response: { 204: Type.Null(), ...err },
        },
      },
      async (req, reply) => {
        await s.customCommands.delete(req.actor, req.params.id, req.params.commandId);
        return reply.status(204).send(null);
      },
    );
  };
