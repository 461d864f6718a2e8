import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../core/config.js';
import { AppError, badRequest } from '../../core/errors.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { CustomEmoji, CustomEmojiList, EmojiImageQuery, EmojiNameParams } from '../../protocol/custom-emoji.js';
import { ErrorBody } from '../../protocol/entities.js';
import type { Services } from '../../services/index.js';

/** Custom emoji (issue 22): everyone lists and shows them; site admins add and delete them. */
export const emojiRoutes =
  (s: Services, config: Config, limits: Pick<RateLimits, 'uploadsByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['emoji'];
    await app.register(multipart, {
      limits: { fileSize: config.emojiMaxBytes, files: 1, fields: 2, fieldSize: 256, parts: 3, headerPairs: 100 },
      throwFileSizeLimit: false,
    });

    app.get(
      '/emoji',
      {
        schema: {
          tags,
          description: 'The site\'s custom emoji, by name. Send the ETag back as If-None-Match: 304 while the list is unchanged. Clients refetch it on (re)connect; `emoji.created` and `emoji.deleted` frames tell of changes meanwhile.',
          response: { 200: CustomEmojiList, 304: Type.Null(), '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        const { emoji, etag } = await s.customEmoji.list();
        void reply.header('etag', etag).header('cache-control', 'private, no-cache');
        if (matches(req.headers['if-none-match'], etag)) return reply.status(304).send(null);
        return { emoji };
      },
    );

    app.post(
      '/emoji',
      {
        schema: {
          tags,
          consumes: ['multipart/form-data'],
          description:
            'Site admins: multipart/form-data with the field `name` (`[a-z0-9_+-]{1,64}`, not a standard emoji\'s), then the image in the field `file`: PNG, GIF, JPEG or WebP by its bytes (415 otherwise), at most EMOJI_MAX_BYTES (413), stored resized to at most 128×128 (animations stay animated). 409 for a name taken or past MAX_CUSTOM_EMOJI. Audited.',
          response: { 201: CustomEmoji, '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        if (!req.isMultipart()) throw new AppError('unsupported_media_type', 'send multipart/form-data with a `name` field and a `file` field');
        await enforce(limits.uploadsByUser, req.actor.user.id, 'too many uploads');
        const file = await req.file();
        if (!file || file.fieldname !== 'file') throw badRequest('a `file` field is required');
        const field = file.fields.name;
        const name = field && !Array.isArray(field) && field.type === 'field' ? String(field.value) : null;
        if (name === null) throw badRequest('a `name` field is required, before the `file` field', { field: 'name' });
        const emoji = await s.customEmoji.create(req.actor, name, { stream: file.file, truncated: () => file.file.truncated });
        return reply.status(201).send(emoji);
      },
    );

    app.delete(
      '/emoji/:name',
      {
        schema: {
          tags,
          params: EmojiNameParams,
          description: 'Site admins: deletes a custom emoji. Messages and reactions keep their `:name:` text. Audited.',
          response: { 204: Type.Null(), '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        await s.customEmoji.delete(req.actor, req.params.name);
        return reply.status(204).send(null);
      },
    );

    // Public: an <img> sends no Authorization header, and the image is shown wherever its name is written.
    app.get(
      '/emoji/:name/image',
      {
        config: { public: true },
        schema: { tags, params: EmojiNameParams, querystring: EmojiImageQuery, description: 'The image of a custom emoji (WebP). With the `v` of its URL in the list it is cacheable for ever.' },
      },
      async (req, reply) => {
        const image = await s.customEmoji.open(req.params.name, req.query.v);
        void reply
          .header('content-type', 'image/webp')
          .header('content-disposition', `inline; filename="${req.params.name}.webp"`)
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cache-control', image.current ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
        if (image.size !== null) void reply.header('content-length', String(image.size));
        return reply.send(image.stream);
      },
    );
  };

/** If-None-Match (a list, or `*`) names this ETag, weak or strong. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}
