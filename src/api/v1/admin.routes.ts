import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AdminUser, ErrorBody } from '../../protocol/entities.js';
import { AdminUserList, AdminUserQuery, AuditList, PatchAdminUserBody, PatchSiteSettingsBody, SiteSettings } from '../../protocol/rest-admin.js';
import { CursorQuery, IdParams } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

/** Site administration (site admins only): the audit log and accounts. */
export const adminRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['admin'];
    const err = { '4xx': ErrorBody };
    app.get('/admin/audit', { schema: { tags, querystring: CursorQuery, response: { 200: AuditList, ...err } } }, async (req) =>
      s.audit.list(req.actor, req.query.cursor, req.query.limit),
    );
    app.get('/admin/users', { schema: { tags, querystring: AdminUserQuery, response: { 200: AdminUserList, ...err } } }, async (req) =>
      s.admin.listUsers(req.actor, req.query),
    );
    app.patch(
      '/admin/users/:id',
      { schema: { tags, params: IdParams, body: PatchAdminUserBody, response: { 200: AdminUser, ...err } } },
      async (req) => s.admin.setSiteAdmin(req.actor, req.params.id, req.body.siteAdmin),
    );
    app.post(
      '/admin/users/:id/deactivate',
      {
        schema: {
          tags,
          params: IdParams,
          response: { 204: Type.Null(), ...err },
          description: 'Deactivate an account: its tokens are revoked, its sockets closed, and the bots it owns deactivated.',
        },
      },
      async (req, reply) => {
        await s.admin.deactivate(req.actor, req.params.id);
        return reply.status(204).send(null);
      },
    );
    app.get('/admin/settings', { schema: { tags, response: { 200: SiteSettings, ...err } } }, async (req) => s.siteSettings.read(req.actor));
    app.patch(
      '/admin/settings',
      { schema: { tags, body: PatchSiteSettingsBody, response: { 200: SiteSettings, ...err }, description: 'Change site settings (sign-up mode, allowed e-mail domains, retention, link previews); audited.' } },
      async (req) => s.siteSettings.update(req.actor, req.body),
    );
    app.post('/admin/users/:id/reactivate', { schema: { tags, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      await s.admin.reactivate(req.actor, req.params.id);
      return reply.status(204).send(null);
    });
  };
