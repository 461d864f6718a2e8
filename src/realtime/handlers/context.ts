import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Services } from '../../services/index.js';
import type { Connection } from '../connection.js';
import type { RateLimit, RateLimiter } from '../../core/rate-limiter.js';

/** What a frame handler may use: the services (never SQL) and the connection it serves. */
export interface HandlerContext {
  services: Services;
  logger: Logger;
  metrics: Metrics;
  typingLimiter: RateLimiter;
  /** Message sends per user, shared with the REST route; null = unlimited. */
  sendLimiter: RateLimit | null;
  /** Events one sync frame may replay in all. */
  syncBudget: number;
  /** Bytes of events one sync frame may replay in all (at least one event goes). */
  syncBudgetBytes: number;
}

export type FrameHandler<F> = (conn: Connection, frame: F, ctx: HandlerContext) => Promise<void>;
