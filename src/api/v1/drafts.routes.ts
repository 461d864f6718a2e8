import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { Draft, DraftList, PutDraftBody } from '../../protocol/drafts.js';
import { ErrorBody } from '../../protocol/entities.js';
import { IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** The WebSocket connection (its `ready.connectionId`) a save came from: it is not told of its own change. */
const ConnectionHeader = Type.Object({ 'x-parley-connection': Type.Optional(Type.String({ maxLength: 100 })) });

/** Drafts per conversation, kept across reloads and devices. Saving is a cheap write: the user's edit budget. */
export const draftsRoutes =
  (s: Services, limits: Pick<RateLimits, 'editsByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['drafts'];
    const err = { '4xx': ErrorBody };
    app.get(
      '/drafts',
      { schema: { tags, response: { 200: DraftList, ...err }, description: "The caller's drafts, in conversations they are still a member of." } },
      async (req) => s.drafts.list(req.actor),
    );
    app.put(
      '/conversations/:id/draft',
      {
        schema: {
          tags,
          params: IdParams,
          headers: ConnectionHeader,
          body: PutDraftBody,
          response: { 200: Draft, ...err },
          description:
            "Save the caller's draft of a conversation they are a member of (an empty body deletes it). The caller's other connections get `draft.updated`; `X-Parley-Connection` names the one not to tell.",
        },
      },
      async (req) => {
        await enforce(limits.editsByUser, req.actor.user.id, 'too many draft changes');
        return s.drafts.put(req.actor, req.params.id, req.body.body, req.headers['x-parley-connection']);
      },
    );
    app.delete(
      '/conversations/:id/draft',
      {
        schema: {
          tags,
          params: IdParams,
          headers: ConnectionHeader,
          response: { 204: Type.Null(), ...err },
          description: "Delete the caller's draft of a conversation (idempotent); the other connections get `draft.updated` with an empty body.",
        },
      },
      async (req, reply) => {
        await enforce(limits.editsByUser, req.actor.user.id, 'too many draft changes');
        await s.drafts.remove(req.actor, req.params.id, req.headers['x-parley-connection']);
        return reply.status(204).send(null);
      },
    );
  };
