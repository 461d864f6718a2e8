/** Who a WebSocket belongs to: a bearer token from the auth frame, or the web client's session cookie. */
import type { IncomingMessage } from 'node:http';
import { fastifyCookie } from '@fastify/cookie';
import { isTrustedOrigin, SESSION_COOKIE } from '../core/origin.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Actor } from '../services/identity/identity.js';
import type { Services } from '../services/index.js';
import type { ConnectionRegistry } from './registry.js';

/**
 * The actor of a handshake. With a token in the auth frame: that token (as always). Without one:
 * the `parley_session` cookie of the upgrade request, but only when the upgrade's Origin is this
 * server's own (PUBLIC_URL or its Host): another site's page must not open a socket with the
 * visitor's cookie (cross-site WebSocket hijacking). Refusals are `unauthorized` (close 4401).
 */
export async function handshakeActor(services: Services, token: string | null | undefined, req: IncomingMessage | undefined): Promise<Actor> {
  if (token) {
    const actor = await services.accounts.authenticate(token);
    if (!actor) throw new AppError('unauthorized', 'bad or revoked token');
    return actor;
  }
  const origin = req?.headers.origin;
  if (!req || !origin || !isTrustedOrigin(origin, req.headers.host, services.sessions.publicUrl)) {
    throw new AppError('unauthorized', 'no token, and the session cookie is accepted only from this server\'s own pages');
  }
  const header = req.headers.cookie;
  const value = header ? fastifyCookie.parse(header)[SESSION_COOKIE] : undefined;
  const actor = value ? await services.accounts.authenticate(value) : null;
  if (!actor || actor.session?.cookie !== true) throw new AppError('unauthorized', 'no valid session cookie');
  return actor;
}

/**
 * Closes (4401) the sockets whose session has expired or is gone. Revocations close sockets at
 * once through the bus; this catches what no event announces (an expiry) or a lost revoke.
 */
export async function closeExpiredSockets(registry: ConnectionRegistry, services: Services, logger: Logger, code: number): Promise<void> {
  const all = [...registry.all()];
  if (all.length === 0) return;
  try {
    const live = await services.accounts.liveTokens([...new Set(all.map((c) => c.actor.tokenHash))]);
    for (const c of all) if (!c.closed && !live.has(c.actor.tokenHash)) c.close(code, 'session expired or revoked');
  } catch (err) {
    logger.warn({ err }, 'checking the sockets\' sessions failed');
  }
}
