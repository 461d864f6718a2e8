import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { bearerToken } from './auth.js';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * GET /metrics, the Prometheus text (hidden from the API docs). With METRICS_TOKEN set it needs
 * `Authorization: Bearer <token>`, compared in constant time (as digests: equal lengths, and the
 * token's length does not leak either); otherwise 401. `text` is this process's metrics, or with
 * WORKERS > 1 every worker's (src/core/cluster-metrics.ts).
 */
export function installMetricsRoute(app: FastifyInstance, metrics: Metrics, token: string | null, text: () => Promise<string> = () => metrics.text()): void {
  const expected = token === null ? null : digest(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (expected) {
      const given = bearerToken(request);
      if (given === null || !timingSafeEqual(digest(given), expected)) {
        throw new AppError('unauthorized', 'a valid metrics token is required', undefined, { 'www-authenticate': 'Bearer' });
      }
    }
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(await text());
  });
}
