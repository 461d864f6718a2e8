import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../core/config.js';
import { AppError, badRequest } from '../../core/errors.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { ErrorBody, Upload } from '../../protocol/entities.js';
import { SiteStorage, StorageUsage } from '../../protocol/rest-admin.js';
import { CursorQuery } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import type { UploadVariant } from '../../services/files/url-signer.js';
import { bearerToken } from '../auth.js';
import { decodeMultipartFilename } from '../../services/files/uploads.service.js';

const SignedQuery = Type.Object(
  { expires: Type.Optional(Type.String({ maxLength: 16 })), sig: Type.Optional(Type.String({ maxLength: 128 })) },
  { additionalProperties: false },
);

export const uploadsRoutes =
  (s: Services, config: Config, limits: Pick<RateLimits, 'uploadsByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['uploads'];
    await app.register(multipart, {
      limits: { fileSize: config.uploadMaxBytes, files: 1, fields: 5, fieldSize: 1024, parts: 6, headerPairs: 100 },
      throwFileSizeLimit: false,
    });

    app.post(
      '/uploads',
      {
        schema: {
          tags,
          consumes: ['multipart/form-data'],
          description: 'multipart/form-data with one file in the field `file`',
          response: { 201: Upload, '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        if (!req.isMultipart()) throw new AppError('unsupported_media_type', 'send multipart/form-data with a `file` field');
        // Refused before a byte is stored: each upload may be UPLOAD_MAX_BYTES of disk (RATE_LIMIT_UPLOADS_PER_USER).
        await enforce(limits.uploadsByUser, req.actor.user.id, 'too many uploads');
        const file = await req.file();
        if (!file || file.fieldname !== 'file') throw badRequest('a `file` field is required');
        const upload = await s.uploads.create(req.actor, {
          stream: file.file,
          filename: decodeMultipartFilename(file.filename),
          truncated: () => file.file.truncated,
        });
        return reply.status(201).send(upload);
      },
    );

    app.get(
      '/users/me/storage',
      { schema: { tags, description: 'What your uploads hold (attached or not) against your storage quota (null: none).', response: { 200: StorageUsage, '4xx': ErrorBody } } },
      async (req) => s.uploads.usage(req.actor),
    );
    app.get(
      '/admin/storage',
      {
        schema: {
          tags: ['admin'],
          description: 'Site admins: the stored files\' bytes against UPLOAD_QUOTA_TOTAL, and the people whose uploads hold the most, most first.',
          querystring: CursorQuery,
          response: { 200: SiteStorage, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const cursor = req.query.cursor ?? '0';
        if (!/^\d{1,9}$/.test(cursor)) throw badRequest('cursor must be a nextCursor this list returned');
        const offset = Number(cursor);
        const limit = req.query.limit ?? 50;
        const page = await s.uploads.siteUsage(req.actor, { limit, offset });
        return { ...page, nextCursor: page.users.length === limit ? String(offset + limit) : null };
      },
    );

    /**
     * Takes the request's parts, not the request: a handler written apart from its route made
     * TypeScript relate its parameter to Fastify's whole request type, 4 s of every typecheck and
     * type-aware lint (tsc --generateTrace); inline handlers below are typed by their routes.
     */
    const serve = async (
      variant: UploadVariant,
      id: string,
      query: { expires?: string; sig?: string },
      token: string | null,
      reply: FastifyReply,
    ) => {
      const actor = token ? await s.accounts.authenticate(token) : null;
      const file = await s.uploads.open(id, variant, { actor, expires: query.expires, sig: query.sig });
      void reply
        .header('content-type', file.contentType)
        .header('content-disposition', file.disposition)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, max-age=3600');
      if (file.size !== null) void reply.header('content-length', String(file.size));
      return reply.send(file.stream);
    };

    // Public at the routing level: a signed URL is enough, or a bearer token with the right to see it.
    app.get(
      '/uploads/:id',
      { config: { public: true }, schema: { tags, params: Type.Object({ id: Type.String() }), querystring: SignedQuery } },
      async (req, reply) => serve('file', req.params.id, req.query, bearerToken(req), reply),
    );
    app.get(
      '/uploads/:id/thumbnail',
      { config: { public: true }, schema: { tags, params: Type.Object({ id: Type.String() }), querystring: SignedQuery } },
      async (req, reply) => serve('thumbnail', req.params.id, req.query, bearerToken(req), reply),
    );
  };
