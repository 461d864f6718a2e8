/**
 * GET /docs: the OpenAPI UI (@fastify/swagger-ui and its static files), loaded when it is first
 * asked for. Registering the plugin with the app put ~40 ms of module loading (its own copy of
 * @fastify/static, yaml) and route set-up on every start, for a page few ever open. Here the
 * UI lives in a small Fastify instance of its own, built on the first request from the app's
 * OpenAPI document; the app's routes forward to it, so the app's hooks (security headers,
 * request ids, metrics, logs) apply to its answers as to any other.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The headers of the UI's answer that the app's reply carries on (the rest it sets itself). */
const PASSED_ON = ['content-type', 'cache-control', 'etag', 'last-modified', 'location', 'vary'];
/** The request headers the UI's answer depends on. */
const ASKED = ['accept', 'if-none-match', 'if-modified-since', 'range'];

export function registerDocsUi(app: FastifyInstance, routePrefix = '/docs'): void {
  let ui: Promise<FastifyInstance> | null = null;

  const build = async (): Promise<FastifyInstance> => {
    const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
      import('fastify'),
      import('@fastify/swagger'),
      import('@fastify/swagger-ui'),
    ]);
    const docs = Fastify({ logger: false });
    // The app's document as it is now (every route is registered by the time anyone asks).
    await docs.register(swagger, { mode: 'static', specification: { document: app.swagger() as never } });
    await docs.register(swaggerUi, { routePrefix });
    await docs.ready();
    return docs;
  };

  const forward = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    ui ??= build().catch((err: unknown) => {
      ui = null;
      throw err;
    });
    const docs = await ui;
    const headers: Record<string, string> = {};
    for (const name of ASKED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const res = await docs.inject({ method: req.method as 'GET' | 'HEAD', url: req.url, headers });
    // Nothing there: the app's own 404, in the contract's error format.
    if (res.statusCode === 404) return reply.callNotFound();
    for (const name of PASSED_ON) {
      const value = res.headers[name];
      if (value !== undefined) void reply.header(name, value);
    }
    return reply.code(res.statusCode).send(req.method === 'HEAD' || res.rawPayload.length === 0 ? undefined : res.rawPayload);
  };

  const options = { schema: { hide: true }, config: { public: true } };
  app.get(routePrefix, options, forward);
  app.get(`${routePrefix}/`, options, forward);
  app.get(`${routePrefix}/*`, options, forward);
}
