import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import type { AccountsService, Actor } from '../services/accounts.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in caller; set on every route that is not marked public. */
    actor: Actor;
  }
  interface FastifyContextConfig {
    /** The route needs no bearer token. */
    public?: boolean;
  }
}

/** The bearer token of a request, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** Requires a valid token on every route of this scope that is not marked `config.public`. */
export function installAuth(app: FastifyInstance, accounts: AccountsService): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public) return;
    const token = bearerToken(request);
    const actor = token ? await accounts.authenticate(token) : null;
    if (!actor) throw new AppError('unauthorized', 'a valid bearer token is required');
    request.actor = actor;
  });
}
