/**
 * Serves the built web client (dist/web): hashed assets cached for a year (and sent as their
 * build-time Brotli or gzip copy to a browser that takes one), index.html never cached, and
 * index.html for any other GET that wants HTML (client-side routes), except under the server's
 * own paths, which keep their JSON 404s. Pages carry a strict Content-Security-Policy.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/logger.js';
import { ensureWebBuild, type WebBuildOptions } from './build.js';
import { STATUS_PAGE_CSP, webClientCsp } from './csp.js';
import { statusPage, type WebClientStatus } from './status-page.js';

export interface WebClientOptions {
  /** The built client: index.html, assets/ and any other top-level files. */
  distDir: string;
  /** Build `distDir` when it is missing or stale, in the background; absent = serve what is there. */
  build?: WebBuildOptions;
}

/**
 * Paths that belong to the server: never answered with the client's index.html, nor cached by the
 * service worker (web/public/sw.js repeats this; tests/web/web-client.test.ts holds them equal).
 */
export const SERVER_PATHS = /^\/(?:api|uploads|healthz|readyz|metrics|docs|openapi\.json|asyncapi\.json)(?:[/?.]|$)/;
const TOP_LEVEL_FILE = /^\/[A-Za-z0-9_-][A-Za-z0-9_.-]*\.[A-Za-z0-9]+$/;

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /\btext\/html\b|\*\/\*/.test(accept) && !/^application\/json\b/.test(accept);
}

/** The Fastify plugin; register it after every other route. */
export function webClient(opts: WebClientOptions, logger: Logger) {
  return async function webClientPlugin(app: FastifyInstance): Promise<void> {
    let status: WebClientStatus | 'ready' = fs.existsSync(path.join(opts.distDir, 'index.html')) ? 'ready' : 'missing';
    if (opts.build) {
      const build = opts.build;
      status = 'building';
      // The API does not wait for the client: it is ready at once, and / says "building" meanwhile.
      ensureWebBuild(opts.distDir, build, logger).then(
        () => {
          status = 'ready';
        },
        (err: unknown) => {
          logger.error({ err }, 'the web client could not be built; / answers 503 until it is (npm run build)');
          status = fs.existsSync(path.join(opts.distDir, 'index.html')) ? 'ready' : 'failed';
        },
      );
    }

    // @fastify/static wants its root to exist; an empty folder still counts as "not built".
    fs.mkdirSync(opts.distDir, { recursive: true });
    // preCompressed: a file's .br or .gz copy (src/web/precompress-plugin.ts) goes to a browser that
    // accepts it, with Vary: accept-encoding; without a copy, or to any other client, the file itself.
    // (index.html and the top-level files have no copies: each costs a failed stat per encoding.)
    await app.register(fastifyStatic, { root: opts.distDir, serve: false, preCompressed: true });

    const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
      if (status !== 'ready') {
        return reply
          .status(503)
          .header('retry-after', status === 'building' ? '5' : '60')
          .header('cache-control', 'no-store')
          .header('content-security-policy', STATUS_PAGE_CSP)
          .type('text/html; charset=utf-8')
          .send(statusPage(status));
      }
      // no-cache: revalidate every time, so a new build's asset names are picked up at once.
      return reply
        .header('content-security-policy', webClientCsp(request.headers.host))
        .header('cache-control', 'no-cache')
        .sendFile('index.html', { cacheControl: false });
    };

    app.get('/', { schema: { hide: true } }, sendIndex);
    // Vite names every file under assets/ by its content hash: it never changes, so cache it for good.
    app.get('/assets/*', { schema: { hide: true } }, (request, reply) => {
      const rel = (request.params as { '*': string })['*'];
      if (status !== 'ready' || !/^[A-Za-z0-9_.-]+$/.test(rel)) return reply.callNotFound();
      return reply.sendFile(path.join('assets', rel), { immutable: true, maxAge: '365d', lastModified: false });
    });
    // The service worker (web/public/sw.js): never cached, so a new one is picked up at once; scope /.
    app.get('/sw.js', { schema: { hide: true } }, async (_request, reply) => {
      const file = path.join(opts.distDir, 'sw.js');
      if (status !== 'ready' || !fs.existsSync(file)) return reply.callNotFound();
      return reply
        .header('cache-control', 'no-cache')
        .header('service-worker-allowed', '/')
        .type('text/javascript; charset=utf-8')
        .send(await fs.promises.readFile(file));
    });
    // The web app manifest (src/web/pwa-plugin.ts): its own media type; revalidated, like index.html.
    app.get('/manifest.webmanifest', { schema: { hide: true } }, async (_request, reply) => {
      const file = path.join(opts.distDir, 'manifest.webmanifest');
      if (status !== 'ready' || !fs.existsSync(file)) return reply.callNotFound();
      return reply
        .header('cache-control', 'no-cache')
        .type('application/manifest+json; charset=utf-8')
        .send(await fs.promises.readFile(file));
    });
    app.get('/*', { schema: { hide: true } }, (request, reply) => {
      const url = request.url.split('?')[0] ?? '/';
      if (SERVER_PATHS.test(url)) return reply.callNotFound();
      if (status === 'ready' && TOP_LEVEL_FILE.test(url) && fs.existsSync(path.join(opts.distDir, url.slice(1)))) {
        return reply.sendFile(url.slice(1), { maxAge: '1h' });
      }
      if (!wantsHtml(request)) return reply.callNotFound();
      return sendIndex(request, reply);
    });
  };
}
