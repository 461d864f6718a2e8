import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { GroupExport } from '../../protocol/export.js';
import { IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

export const exportRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/groups/:id/export',
      {
        // A HEAD would run (and audit) a whole export only to throw it away.
        exposeHeadRoute: false,
        schema: {
          tags: ['groups'],
          summary: 'Export a group: members and every message, as a JSON file (group admins)',
          params: IdParams,
          // Documentation only: a stream is sent as it is, never through the serializer.
          response: { 200: GroupExport, '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        const file = await s.exports.open(req.actor, req.params.id);
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .header('content-disposition', file.disposition)
          .header('cache-control', 'no-store')
          // The stream is the document: the type provider expects the object it documents.
          .send(file.stream as unknown as GroupExport);
      },
    );
  };
