/**
 * The OpenTelemetry SDK behind src/core/tracing.ts: loaded (a chunk of its own in the build) only
 * when traces are configured. Spans go through a batch span processor with a bounded queue to an
 * OTLP/HTTP exporter; when the collector is down or slow, exports fail or time out, the spans of
 * those batches and those past the queue are dropped, and the server goes on as before (a warning
 * in the log at most once a minute).
 */
import {
  context,
  diag,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type Tracer as OtelTracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TracingConfig } from './config.js';
import { toAppError } from './errors.js';
import type { Logger } from './logger.js';
import type { SpanKindName, SpanOptions, Tracer, TracingResource } from './tracing-types.js';

const KINDS: Record<SpanKindName, SpanKind> = { server: SpanKind.SERVER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL };

/** HTTP methods named as they are; any other is `_OTHER` (semantic conventions), so a client cannot mint span names. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

/** A warning about exports at most this often: a collector that is down must not flood the log. */
const WARN_EVERY_MS = 60_000;

const EXPORT_FAILED = 'traces: exporting spans failed; they are dropped (the server is unaffected)';

function sampler(config: TracingConfig['sampler']): Sampler {
  const root = config.ratio >= 1 ? new AlwaysOnSampler() : config.ratio <= 0 ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(config.ratio);
  return config.parentBased ? new ParentBasedSampler({ root }) : root;
}

/** Starts the SDK: the context manager, the W3C propagator and the provider, registered globally. */
export function createTracer(config: TracingConfig, resource: TracingResource, logger: Logger): Tracer {
  let lastWarning = 0;
  let suppressed = 0;
  const warn = (message: string, detail: unknown): void => {
    const now = Date.now();
    if (now - lastWarning < WARN_EVERY_MS) {
      suppressed++;
      return;
    }
    lastWarning = now;
    logger.warn({ detail: String(detail instanceof Error ? detail.message : detail).slice(0, 500), suppressedSinceLast: suppressed }, message);
    suppressed = 0;
  };
  setGlobalErrorHandler((err) => warn(EXPORT_FAILED, err));
  // Only problems: info and below are dropped.
  diag.setLogger({
      error: (msg) => warn('traces: the OpenTelemetry SDK reported an error', msg),
      warn: (msg) => warn('traces: the OpenTelemetry SDK reported a problem', msg),
      info: () => {},
      debug: () => {},
      verbose: () => {},
  });

  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const exporterOptions = { url: config.url, headers: config.headers, timeoutMillis: config.exportTimeoutMs };
  const exporter = config.protocol === 'http/json' ? new JsonExporter(exporterOptions) : new ProtobufExporter(exporterOptions);
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': config.serviceName,
        'service.version': resource.version,
        'service.instance.id': resource.nodeId,
        'parley.node.id': resource.nodeId,
        ...(resource.worker === undefined ? {} : { 'parley.worker': resource.worker }),
      }),
    ),
    sampler: sampler(config.sampler),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: Math.min(512, config.maxQueueSize),
        scheduledDelayMillis: config.scheduleDelayMs,
        exportTimeoutMillis: config.exportTimeoutMs,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  const otel: OtelTracer = provider.getTracer('parley', resource.version);
  const httpSpans = new WeakMap<IncomingMessage, Span>();

  const recordError = (span: Span, err: unknown): void => {
    const appErr = toAppError(err instanceof Error ? err : new Error(String(err)));
    if (appErr.status < 500) {
      // A refusal is the server working: its code, not an error status.
      span.setAttribute('parley.error.code', appErr.code);
      return;
    }
    span.recordException(err instanceof Error ? err : String(err));
    span.setAttribute('error.type', err instanceof Error ? err.name : '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR, message: appErr.code });
  };

  const start = (name: string, options: SpanOptions): { span: Span; ctx: Context } => {
    const parent =
      options.parent === undefined ? context.active() : options.parent === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, options.parent);
    const span = otel.startSpan(name, { kind: KINDS[options.kind ?? 'internal'], attributes: options.attributes, links: options.links, root: options.parent === null }, parent);
    return { span, ctx: trace.setSpan(parent, span) };
  };

  return {
    inSpan(name, options, fn) {
      const { span, ctx } = start(name, options);
      return context.with(ctx, async () => {
        try {
          return await fn(span);
        } catch (err) {
          recordError(span, err);
          throw err;
        } finally {
          span.end();
        }
      });
    },

    inSpanSync(name, options, fn) {
      const { span, ctx } = start(name, options);
      return context.with(ctx, () => {
        try {
          return fn(span);
        } catch (err) {
          recordError(span, err);
          throw err;
        } finally {
          span.end();
        }
      });
    },

    activeSpan() {
      const span = trace.getActiveSpan();
      return span?.isRecording() ? span : undefined;
    },

    inSampledTrace() {
      const span = trace.getActiveSpan();
      if (!span) return false;
      const sc = span.spanContext();
      return (sc.traceFlags & TraceFlags.SAMPLED) !== 0 && (span.isRecording() || sc.isRemote === true);
    },

    traceparent() {
      const span = trace.getActiveSpan();
      if (!span?.isRecording()) return undefined;
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return carrier.traceparent;
    },

    withRemoteParent(traceparent, fn) {
      return context.with(propagation.extract(ROOT_CONTEXT, { traceparent }), fn);
    },

    serveHttp(req: IncomingMessage, res: ServerResponse, handler: () => void) {
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      const method = req.method && METHODS.has(req.method) ? req.method : '_OTHER';
      // No url.path: some paths carry secrets (an incoming webhook's token); the route says enough.
      const span = otel.startSpan(
        method === '_OTHER' ? 'HTTP' : method,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.scheme': 'http', 'network.protocol.version': req.httpVersion } },
        parent,
      );
      if (span.isRecording()) {
        httpSpans.set(req, span);
        res.once('close', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) {
            span.setAttribute('error.type', String(res.statusCode));
            span.setStatus({ code: SpanStatusCode.ERROR });
          } else if (!res.writableFinished) {
            span.setAttribute('error.type', 'aborted');
          }
          span.end();
        });
      }
      context.with(trace.setSpan(parent, span), handler);
    },

    httpSpan(req) {
      return httpSpans.get(req);
    },

    recordError,

    async shutdown() {
      try {
        await provider.shutdown();
      } catch (err) {
        warn(EXPORT_FAILED, err);
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
}
