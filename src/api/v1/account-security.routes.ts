import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';
import { ErrorBody } from '../../protocol/entities.js';
import { ChangeEmailBody, ChangePasswordBody, Me, PasswordResetBody, PasswordResetConfirmBody } from '../../protocol/rest-signup.js';
import type { Services } from '../../services/index.js';

/** The account's e-mail address and password: change them, or reset a forgotten password by e-mail. */
export const accountSecurityRoutes =
  (s: Services, limits: RateLimits): FastifyPluginAsyncTypebox =>
  async (app) => {
    const err = { '4xx': ErrorBody };
    // Reset e-mails still being sent finish (or give up) before the app is gone.
    app.addHook('onClose', async () => s.accountSecurity.drain());
    app.put(
      '/users/me/email',
      { schema: { tags: ['users'], body: ChangeEmailBody, response: { 200: Me, ...err }, description: 'Change your e-mail address; your password confirms it. 409 email_taken.' } },
      async (req) => {
        await enforce(limits.passwordChangeByAccount, req.actor.user.id, 'too many attempts');
        return s.accountSecurity.changeEmail(req.actor, req.body.email, req.body.password);
      },
    );
    app.post(
      '/users/me/password',
      {
        schema: {
          tags: ['users'],
          body: ChangePasswordBody,
          response: { 204: Type.Null(), ...err },
          description: 'Change your password: 403 wrong_password; your other login sessions are signed out (this one and API tokens are kept).',
        },
      },
      async (req, reply) => {
        await enforce(limits.passwordChangeByAccount, req.actor.user.id, 'too many attempts');
        await s.accountSecurity.changePassword(req.actor, req.body.currentPassword, req.body.newPassword);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/auth/password-reset',
      {
        config: { public: true },
        // Before the body is read (as for sign-in): a client over its limit costs no parsing.
        onRequest: async (req) => enforce(limits.passwordResetByIp, req.ip, 'too many password reset requests from this address'),
        schema: {
          tags: ['auth'],
          body: PasswordResetBody,
          response: { 202: Type.Null(), ...err, 503: ErrorBody },
          description: 'E-mail a reset link (valid one hour) to the account with this username or e-mail address, if it has an address. Always 202; 503 when no SMTP server is configured.',
        },
      },
      async (req, reply) => {
        s.accountSecurity.requestReset(req.body.login, async (userId) => (await limits.passwordResetByAccount.acquire(userId)) === null);
        return reply.status(202).send(null);
      },
    );
    app.post(
      '/auth/password-reset/confirm',
      {
        config: { public: true },
        onRequest: async (req) => enforce(limits.passwordResetByIp, req.ip, 'too many password reset attempts from this address'),
        schema: {
          tags: ['auth'],
          body: PasswordResetConfirmBody,
          response: { 204: Type.Null(), ...err },
          description: 'Set a new password with the code from a reset link: every login session of the account is signed out. 400 reset_code_invalid.',
        },
      },
      async (req, reply) => {
        await s.accountSecurity.confirmReset(req.body.code, req.body.newPassword);
        return reply.status(204).send(null);
      },
    );
  };
