import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../../services/index.js';
import { installAuth } from '../auth.js';
import { addBlocksRoutes } from './add-blocks.routes.js';
import { adminRoutes } from './admin.routes.js';
import { authRoutes } from './auth.routes.js';
import { conversationsRoutes } from './conversations.routes.js';
import { exportRoutes } from './export.routes.js';
import { groupsRoutes } from './groups.routes.js';
import { messagesRoutes } from './messages.routes.js';
import { threadsRoutes } from './threads.routes.js';
import { linkPreviewsRoutes } from './link-previews.routes.js';
import { moderationRoutes } from './moderation.routes.js';
import { oidcRoutes } from './oidc.routes.js';
import { pinsRoutes } from './pins.routes.js';
import { draftsRoutes } from './drafts.routes.js';
import { accountSecurityRoutes } from './account-security.routes.js';
import { signupRoutes } from './signup.routes.js';
import { tokensRoutes } from './tokens.routes.js';
import { sessionsRoutes } from './sessions.routes.js';
import { usersRoutes } from './users.routes.js';
import { personalDataRoutes } from './personal-data.routes.js';
import { uploadsRoutes } from './uploads.routes.js';
import { slashCommandsRoutes } from './slash-commands.routes.js';
import { emojiRoutes } from './emoji.routes.js';
import { webhooksRoutes } from './webhooks.routes.js';
import { notificationsRoutes } from './notifications.routes.js';
import type { Config } from '../../core/config.js';
import type { RateLimits } from '../../core/rate-limiter.js';

/** Everything under /api/v1: bearer auth on every route not marked public. */
export const apiV1 =
  (services: Services, config: Config, limits: RateLimits): FastifyPluginAsync =>
  async (app) => {
    const cookieAuth = { sessions: services.sessions, corsOrigins: config.corsOrigins };
    installAuth(app, services.accounts, cookieAuth);
    // A route that takes no query parameters refuses any: a typo is a 400, not silently ignored.
    app.addHook('onRoute', (route) => {
      route.schema ??= {};
      route.schema.querystring ??= Type.Object({}, { additionalProperties: false });
      // Routes open to anyone take small bodies: an anonymous client cannot make the server
      // read, parse and validate a megabyte (PUBLIC_BODY_LIMIT; 413 payload_too_large beyond).
      if ((route.config as { public?: boolean } | undefined)?.public) route.bodyLimit ??= config.publicBodyLimit;
    });
    await app.register(authRoutes(services, limits));
    await app.register(oidcRoutes(services, limits));
    await app.register(usersRoutes(services, limits));
    await app.register(addBlocksRoutes(services, limits));
    await app.register(groupsRoutes(services, limits));
    await app.register(conversationsRoutes(services, limits));
    await app.register(messagesRoutes(services, limits));
    await app.register(threadsRoutes(services));
    await app.register(linkPreviewsRoutes(services, limits));
    await app.register(uploadsRoutes(services, config, limits));
    await app.register(emojiRoutes(services, config, limits));
    await app.register(moderationRoutes(services));
    await app.register(pinsRoutes(services, limits));
    await app.register(draftsRoutes(services, limits));
    await app.register(tokensRoutes(services, limits));
    await app.register(sessionsRoutes(services, cookieAuth));
    await app.register(adminRoutes(services));
    await app.register(exportRoutes(services));
    await app.register(personalDataRoutes(services, limits));
    await app.register(webhooksRoutes(services, limits));
    await app.register(slashCommandsRoutes(services, limits));
    await app.register(notificationsRoutes(services, limits));
    await app.register(signupRoutes(services, limits));
    await app.register(accountSecurityRoutes(services, limits));
  };
