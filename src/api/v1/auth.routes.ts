import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { AuthResult, LoginBody, RegisterBody } from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';

export const authRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/auth/register',
      {
        config: { public: true },
        schema: { tags: ['auth'], body: RegisterBody, response: { 201: AuthResult, '4xx': ErrorBody } },
      },
      async (req, reply) => reply.status(201).send(await s.accounts.register(req.body)),
    );
    app.post(
      '/auth/login',
      { config: { public: true }, schema: { tags: ['auth'], body: LoginBody, response: { 200: AuthResult, '4xx': ErrorBody } } },
      async (req) => s.accounts.login(req.body),
    );
    app.post(
      '/auth/logout',
      { schema: { tags: ['auth'], response: { 204: Type.Null(), '4xx': ErrorBody } } },
      async (req, reply) => {
        await s.accounts.logout(req.actor);
        return reply.status(204).send(null);
      },
    );
  };
