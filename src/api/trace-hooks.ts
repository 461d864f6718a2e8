import type { FastifyInstance } from 'fastify';
import type { Tracer } from '../core/tracing.js';
import type { Actor } from '../services/identity/identity.js';

/**
 * With traces on, completes each request's server span (started around the whole request by
 * the HTTP server: src/core/tracing-sdk.ts) with what Fastify knows: the route template (also
 * in the span's name), a handler's error, and the user once authenticated.
 */
export function installTraceHooks(app: FastifyInstance, tracer: Tracer): void {
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    const span = route === undefined ? undefined : tracer.httpSpan(request.raw);
    if (!span) return;
    span.updateName(`${request.method} ${route}`);
    span.setAttribute('http.route', route!);
  });
  app.addHook('onError', async (request, _reply, error) => {
    const span = tracer.httpSpan(request.raw);
    if (span) tracer.recordError(span, error);
  });
  // onSend, not onResponse: the span ends as the response closes, which may come first.
  app.addHook('onSend', async (request) => {
    const span = tracer.httpSpan(request.raw);
    // Set by the authentication hook of the routes that take a token or a session cookie.
    const actor = (request as { actor?: Actor | null }).actor;
    if (span && actor) span.setAttribute('user.id', actor.user.id);
  });
}
