import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { apiV1 } from './api/v1/index.js';
import { registerDocsUi } from './api/docs-ui.js';
import { frameworkErrors, installErrorHandlers } from './api/errors.js';
import { incomingHooksRoutes } from './api/incoming-hooks.js';
import { installMetricsRoute } from './api/metrics.js';
import { compilersFactory, LazySchemas } from './api/lazy-schemas.js';
import { schemaErrorFormatter, validatorCompiler } from './api/validation.js';
import type { Config } from './core/config.js';
import { Metrics } from './core/metrics.js';
import type { Registry } from 'prom-client';
import { SERVER_VERSION } from './core/version.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './protocol/limits.js';
import { buildAsyncApi } from './protocol/asyncapi.js';
import { RateLimits, type SharedBuckets } from './core/rate-limiter.js';
import { nulError, parseUntrustedJson } from './core/json.js';
import { requestContext } from './core/request-context.js';
import { tracer } from './core/tracing.js';
import { installTraceHooks } from './api/trace-hooks.js';
import type { Logger } from './core/logger.js';
import type { Database } from './db/database.js';
import { LocalBus, type Bus } from './events/bus.js';
import { createServices, type Services } from './services/index.js';
import { DEFAULT_GATEWAY_OPTIONS, Gateway, type GatewayOptions } from './realtime/gateway.js';
import { PresenceTracker } from './realtime/presence.js';
import type { PresenceStore } from './realtime/presence-store.js';
import { ConnectionRegistry } from './realtime/registry.js';
import { repositories } from './db/repositories/index.js';
import { SlowQueryLog } from './db/query-observers.js';
import { UrlSigner } from './services/files/url-signer.js';
import { createMailer, type Mailer } from './services/notifications/mailer.js';
import { openBlobStore } from './storage/open-blob-store.js';
import { webClient, type WebClientOptions } from './web/plugin.js';
import type { WebhookDispatcherOptions } from './services/integrations/webhook-dispatcher.js';
import type { RetentionOptions } from './services/data/retention.service.js';
import type { SearchPrefixBackfillOptions } from './services/messaging/search-prefix-backfill.js';
import type { NotificationOptions } from './services/notifications/notification-dispatcher.js';
import type { LinkPreviewOptions } from './services/messaging/link-previews.service.js';

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  /** Defaults to the in-process bus. */
  bus?: Bus;
  /** Overrides of the WebSocket gateway's timings and limits (tests shorten them). */
  gateway?: Partial<GatewayOptions>;
  /** How long a user stays online after their last socket closes (no flapping on reconnect). */
  presenceGraceMs?: number;
  /** WORKERS > 1: GET /metrics answers with every worker's metrics, collected by the supervisor. */
  clusterMetrics?: { attach(registries: Registry[]): void; text(): Promise<string>; close(): void };
  /** Rate-limit buckets every node shares (Redis); absent = each node counts its own. */
  rateLimitStore?: SharedBuckets;
  /** Who decides whether a user is online on any node; defaults to this node alone. */
  presenceStore?: PresenceStore;
  /** The web client at /; absent = none (tests of the API alone). */
  web?: WebClientOptions;
  /** Outgoing e-mail; defaults to SMTP_URL's (none when unset). */
  mailer?: Mailer;
  /** Overrides of the webhook dispatcher's timings and limits (tests shorten the retry delays). */
  webhooks?: Partial<Omit<WebhookDispatcherOptions, 'allowPrivate'>>;
  /** Message retention's timer and batch size (`intervalMs: null` turns the timer off). */
  retention?: Partial<RetentionOptions>;
  /** The search prefix backfill's start delay and batch size (`startDelayMs: null`: it never starts by itself). */
  searchBackfill?: Partial<SearchPrefixBackfillOptions>;
  /** Overrides of the notification dispatcher's and e-mail digest's timings (tests shorten them). */
  notifications?: Partial<Omit<NotificationOptions, 'allowPrivate'>>;
  /** Overrides of link previews' limits and timings, and of the guard (tests point it at their own server). */
  linkPreviews?: Partial<Omit<LinkPreviewOptions, 'allowPrivate'>>;
  /** How long a custom slash command waits for its integration (default Slack's 3 s; tests shorten it). */
  commandTimeoutMs?: number;
}

export interface ParleyApp extends FastifyInstance {
  services: Services;
  bus: Bus;
  gateway: Gateway;
  /** Route schemas, compiled on first use (src/api/lazy-schemas.ts). */
  schemas: LazySchemas;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Probes and scrapes, every few seconds from every checker: not worth a trace each. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/** The Fastify instance with every plugin and route; it does not listen. */
export async function buildApp(deps: AppDeps): Promise<ParleyApp> {
  const bus: Bus = deps.bus ?? new LocalBus();
  const registry = new ConnectionRegistry();
  const tracker = new PresenceTracker(registry, deps.presenceGraceMs ?? 5_000, deps.logger, deps.presenceStore);
  const metrics = new Metrics({ openConnections: () => registry.size, dbPoolSize: deps.database.poolSize });
  const stopObservingQueries = deps.database.observe(metrics);
  const slowQueries = deps.config.dbSlowQueryMs > 0 ? new SlowQueryLog(deps.config.dbSlowQueryMs, (fields, msg) => deps.logger.warn(fields, msg)) : null;
  const stopLoggingSlowQueries = slowQueries ? deps.database.observe(slowQueries) : () => undefined;
  const busStats = bus.stats;
  if (busStats) metrics.watchBus(() => busStats);
  const repos = repositories(deps.database.db);
  // One secret for every node, kept in the database: a URL signed by one node works on all.
  const secret = await repos.uploads.setting('upload_url_secret', () => randomBytes(32).toString('hex'));
  const signer = new UrlSigner(Buffer.from(secret, 'hex'));
  // UPLOAD_STORE: local disk, or an S3 bucket (the AWS SDK loaded only then).
  const blobs = await openBlobStore({ dir: deps.config.uploadDir, s3: deps.config.s3 }, deps.logger);
  const mailer = deps.mailer ?? createMailer(deps.config.smtp, deps.logger);
  const services = createServices({
    database: deps.database,
    bus,
    logger: deps.logger,
    presence: tracker,
    blobs,
    signer,
    metrics,
    adminUsername: deps.config.adminUsername,
    uploadQuotas: { perUser: deps.config.uploadQuotaPerUser, total: deps.config.uploadQuotaTotal },
    oidc: deps.config.oidc,
    webhooks: { ...deps.webhooks, allowPrivate: deps.config.webhookAllowPrivate },
    mailer,
    retention: deps.retention,
    searchBackfill: deps.searchBackfill,
    push: deps.config.push,
    mailFrom: deps.config.smtp?.from ?? null,
    exportsMaxConcurrent: deps.config.exportsMaxConcurrent,
    emojiMaxBytes: deps.config.emojiMaxBytes,
    notifications: deps.notifications,
    // The same allowance as webhooks: private and loopback targets only with WEBHOOK_ALLOW_PRIVATE=on.
    linkPreviews: { ...deps.linkPreviews, allowPrivate: deps.config.webhookAllowPrivate },
    caps: deps.config.caps,
    commandTimeoutMs: deps.commandTimeoutMs,
    sessionPolicy: {
      idleSeconds: deps.config.sessions.idleDays * 86_400,
      maxSeconds: deps.config.sessions.maxDays === null ? null : deps.config.sessions.maxDays * 86_400,
    },
    publicUrl: deps.config.publicUrl ?? `http://${deps.config.host.includes(':') ? `[${deps.config.host}]` : deps.config.host}:${deps.config.port}`,
    configuredPublicUrl: deps.config.publicUrl,
  });
  await services.admin.ensureSiteAdmin();
  tracker.attach(services.presence);
  const rateLimits = new RateLimits(deps.config, deps.rateLimitStore ?? null);
  if (deps.rateLimitStore) metrics.watchRateLimits(deps.rateLimitStore);
  const gatewayOptions = {
    ...DEFAULT_GATEWAY_OPTIONS,
    rateLimit: deps.config.rateLimit,
    frameRate: deps.config.rateLimits.framesPerConnection,
    sendLimiter: rateLimits.sendsByUser,
    connectionsPerUser: deps.config.wsConnectionsPerUser,
    ...deps.gateway,
  };
  const gateway = new Gateway(registry, services, tracker, bus, deps.logger, gatewayOptions, metrics);
  // Traces on (OTEL_EXPORTER_OTLP_*, started by main.ts): each request runs in a server span.
  const tracing = tracer();
  // Compiled when a route is first used: half of a start's time went to routes not called yet.
  const schemas = new LazySchemas();
  const validators = schemas.validators(validatorCompiler());
  const serializers = schemas.serializers();
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.bodyLimit,
    // Behind nginx, the client's address is in X-Forwarded-For (per-address limits, logs).
    trustProxy: deps.config.trustProxy,
    // A client's X-Request-Id is kept when it is sane; otherwise one is made.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomBytes(8).toString('hex');
      const context = requestContext.getStore();
      if (context) context.reqId = id;
      return id;
    },
    // Each request runs in its own context, so the logger's mixin tags every line with its id.
    serverFactory: (handler) =>
      http.createServer(
        tracing
          ? (req, res) =>
              requestContext.run({}, () =>
                UNTRACED.has(req.url ?? '') ? handler(req, res) : tracing.serveHttp(req, res, () => handler(req, res)),
              )
          : (req, res) => requestContext.run({}, () => handler(req, res)),
      ),
    // The mixin adds reqId where a context exists; the binding would repeat it.
    childLoggerFactory: (logger, bindings, opts) =>
      logger.child(requestContext.getStore()?.reqId ? {} : bindings, opts),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A 400's message names the first few problems only (src/api/validation.ts).
    schemaErrorFormatter,
    // The router's own refusals (a path segment too long, broken percent-encoding) in the contract's format.
    frameworkErrors,
    // Our compilers from the start: Fastify's defaults are then never loaded (src/api/lazy-schemas.ts).
    schemaController: { compilersFactory: compilersFactory(validators, serializers) },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Only JSON is parsed (multipart comes with uploads): any other content type is a 415.
  app.removeContentTypeParser('text/plain');
  // JSON with an empty body counts as no body, so a bare POST /auth/logout works.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = parseUntrustedJson(text);
    } catch (err) {
      return done(err as Error, undefined);
    }
    done(null, parsed);
  });
  // PostgreSQL text cannot hold NUL: refuse it in query strings too, before any query sees it.
  app.addHook('preValidation', async (request) => {
    const query = request.query as Record<string, unknown> | undefined;
    if (query && Object.values(query).some((v) => typeof v === 'string' && v.includes('\0'))) throw nulError();
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // By route pattern, never the raw URL: ids in paths would explode the label set.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
  });

  installErrorHandlers(app as unknown as FastifyInstance);
  if (tracing) installTraceHooks(app as unknown as FastifyInstance, tracing);
  const corsOrigins = deps.config.corsOrigins;
  await app.register(helmet, {
    // The API docs page loads its own scripts and styles; the CSP is tightened with the web client.
    contentSecurityPolicy: false,
    // A web client on another origin (CORS_ORIGINS) shows uploads with <img>: let it embed them.
    // Nothing here is sent on ambient credentials (bearer tokens and signed URLs only).
    crossOriginResourcePolicy: { policy: corsOrigins.length > 0 ? 'cross-origin' : 'same-origin' },
  });
  // The web client's session cookie (parley_session, HttpOnly): see src/api/session-cookie.ts.
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Parley API', version: '1', description: 'The public REST contract of Parley (see CONTRACT.md).' },
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  registerDocsUi(app as unknown as FastifyInstance);
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  // The WebSocket protocol's document, generated from the frame and event schemas once, when first asked.
  let asyncApi: string | null = null;
  app.get('/asyncapi.json', { schema: { hide: true }, config: { public: true } }, async (_req, reply) => {
    asyncApi ??= JSON.stringify(buildAsyncApi({ serverVersion: SERVER_VERSION, publicUrl: deps.config.publicUrl }));
    return reply.type('application/json; charset=utf-8').send(asyncApi);
  });
  // The release and protocol range too: a rolling upgrade shows which nodes run what.
  app.get('/healthz', { schema: { hide: true } }, async () => ({
    status: 'ok',
    version: SERVER_VERSION,
    protocol: PROTOCOL_VERSION,
    minProtocol: MIN_PROTOCOL_VERSION,
  }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await deps.database.ping();
      return { status: 'ready' };
    } catch (err) {
      deps.logger.warn({ err }, 'readiness check failed: database unreachable');
      return reply.status(503).send({ error: { code: 'unavailable', message: 'the database is unreachable' } });
    }
  });
  const clusterMetrics = deps.clusterMetrics;
  clusterMetrics?.attach(metrics.registries());
  installMetricsRoute(app as unknown as FastifyInstance, metrics, deps.config.metricsToken, clusterMetrics ? () => clusterMetrics.text() : undefined);
  await app.register(
    async (api) => {
      // Browsers on CORS_ORIGINS may call /api/v1 (no cookies: tokens travel in Authorization).
      // The WebSocket needs no CORS: its token comes in the first frame, never from the browser.
      if (corsOrigins.length > 0) {
        await api.register(cors, {
          origin: corsOrigins,
          methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
          allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-Parley-Connection'],
          exposedHeaders: ['Retry-After', 'X-Request-Id'],
          credentials: false,
          maxAge: 600,
          // An OPTIONS without Access-Control-Request-Method is answered, not a text/plain 400.
          strictPreflight: false,
        });
      }
      await api.register(apiV1(services, deps.config, rateLimits));
    },
    { prefix: '/api/v1' },
  );
  // Incoming webhooks and command response URLs (Slack's format), outside /api/v1 like Slack's and Mattermost's URLs.
  await app.register(incomingHooksRoutes(services.incomingWebhooks, services.customCommands, rateLimits));
  if (deps.web) await app.register(webClient(deps.web, deps.logger));

  gateway.attach(app as unknown as FastifyInstance);
  // Sockets first (1001), so the HTTP server can finish its in-flight requests and close.
  app.addHook('preClose', async () => {
    await gateway.close();
  });
  // Uploads never attached are removed after a day; the sweep runs hourly on every node.
  const sweeper = setInterval(() => {
    services.uploads.sweep().catch((err: unknown) => deps.logger.warn({ err }, 'upload sweep failed'));
    blobs.sweepTemp(60 * 60 * 1000).catch((err: unknown) => deps.logger.warn({ err }, 'temp sweep failed'));
    services.sessions.sweep().catch((err: unknown) => deps.logger.warn({ err }, 'expired session sweep failed'));
    services.linkPreviews.sweep().catch((err: unknown) => deps.logger.warn({ err }, 'link preview cache sweep failed'));
  }, 60 * 60 * 1000);
  sweeper.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    rateLimits.close();
    deps.rateLimitStore?.close();
    deps.clusterMetrics?.close();
    mailer.close();
    stopObservingQueries();
    stopLoggingSlowQueries();
    await bus.close();
  });
  // Every node sends queued webhooks; stopping hands the deliveries in flight back to the queue.
  app.addHook('onReady', async () => services.webhooks.start());
  app.addHook('onClose', async () => services.webhooks.stop());
  // Every node purges expired messages (hourly); concurrent runs share the rows, never repeat them.
  app.addHook('onReady', async () => services.retention.start());
  app.addHook('onClose', async () => services.retention.stop());
  // Messages stored before word-prefix search get their prefix terms, in batches, once.
  app.addHook('onReady', async () => services.searchBackfill.start());
  app.addHook('onClose', async () => services.searchBackfill.stop());
  // Every node sends queued pushes and e-mails and runs the digest (one node at a time, by lock).
  app.addHook('onReady', async () => services.notifications.start());
  app.addHook('onClose', async () => services.notifications.stop());
  // Every node fetches queued link previews; stopping hands the messages in flight back to the queue.
  app.addHook('onReady', async () => services.linkPreviews.start());
  app.addHook('onClose', async () => services.linkPreviews.stop());
  // Says in the log whether the bucket answers; a bucket that does not never stops the start.
  app.addHook('onReady', async () => void blobs.check());
  app.addHook('onClose', async () => blobs.close());
  return Object.assign(app as unknown as FastifyInstance, { services, bus, gateway, schemas }) as ParleyApp;
}
