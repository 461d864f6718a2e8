import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { ErrorBody } from '../../protocol/entities.js';
import { IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** Link previews: the sender's removal, and the preview images (served from this server, signed). */
export const linkPreviewsRoutes =
  (s: Services, limits: Pick<RateLimits, 'editsByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['messages'];
    app.delete(
      '/messages/:id/previews',
      {
        schema: {
          tags,
          description:
            "The sender removes the link previews of their message: the one of `url`, or all of them without it. Members get `message.updated` (editedAt unchanged); " +
            'removed previews are never fetched again for this message, and removing before they came stops them coming. ' +
            '403 for anyone but the sender, 404 `not_found` for a `url` the message has no preview of, 409 for a deleted message.',
          params: IdParams,
          querystring: Type.Object(
            { url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The preview to remove (its `url`); absent: all' })) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        // It rewrites a message for everyone, as an edit does (RATE_LIMIT_EDITS_PER_USER).
        await enforce(limits.editsByUser, req.actor.user.id, 'too many edits');
        await s.linkPreviews.remove(req.actor, req.params.id, req.query.url);
        return reply.status(204).send(null);
      },
    );

    // Public at the routing level: the signed URL a message's preview carries is the capability.
    app.get(
      '/link-previews/images/:key',
      {
        config: { public: true },
        schema: {
          tags,
          description: "A link preview's image (WebP), as the server copied it: the URL in `previews[].image.url`, signed and expiring like upload URLs. 404 without a valid signature.",
          params: Type.Object({ key: Type.String({ maxLength: 64 }) }),
          querystring: Type.Object(
            { expires: Type.Optional(Type.String({ maxLength: 16 })), sig: Type.Optional(Type.String({ maxLength: 128 })) },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const stream = await s.linkPreviews.openImage(req.params.key, req.query.expires, req.query.sig);
        void reply
          .header('content-type', 'image/webp')
          .header('content-disposition', 'inline; filename="preview.webp"')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cache-control', 'private, max-age=3600');
        return reply.send(stream);
      },
    );
  };
