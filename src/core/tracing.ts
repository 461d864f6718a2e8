/**
 * OpenTelemetry traces, when configured (OTEL_EXPORTER_OTLP_*: src/core/config.ts). This module
 * is all the code ever loads when they are not: it imports OpenTelemetry's types only, and the
 * SDK (tracing-sdk.ts, a chunk of its own in the build) is loaded by startTracing. Until then
 * `tracer()` is null, and each traced place costs one test of it.
 */
import type { TracingConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Tracer, TracingResource } from './tracing-types.js';

export type { Span, SpanContext, SpanKindName, SpanOptions, Tracer, TracingResource } from './tracing-types.js';

let current: Tracer | null = null;

/** The tracer while traces are on; null when off (the SDK not loaded). */
export function tracer(): Tracer | null {
  return current;
}

/** Loads the SDK and starts exporting spans: call once, before the app is built. */
export async function startTracing(config: TracingConfig, resource: TracingResource, logger: Logger): Promise<Tracer> {
  const { createTracer } = await import('./tracing-sdk.js');
  current = createTracer(config, resource, logger);
  logger.info({ endpoint: config.url, protocol: config.protocol, sampler: config.sampler }, 'traces: exporting over OTLP');
  return current;
}

/** Flushes the spans still queued (at most `timeoutMs`), then stops tracing. */
export async function stopTracing(timeoutMs: number, logger: Logger): Promise<void> {
  const t = current;
  if (!t) return;
  current = null;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([t.shutdown().then(() => 'done' as const), late]);
    if (outcome === 'late') logger.warn({ timeoutMs }, 'traces: the collector did not take the last spans in time; they are dropped');
  } catch (err) {
    logger.warn({ err }, 'traces: the last spans could not be exported');
  } finally {
    clearTimeout(timer);
  }
}
