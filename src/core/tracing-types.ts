/** The types of src/core/tracing.ts, shared with the SDK behind it (tracing-sdk.ts). */
import type { Attributes, Link, Span, SpanContext } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type { Span, SpanContext };

export type SpanKindName = 'server' | 'client' | 'internal';

export interface SpanOptions {
  kind?: SpanKindName;
  attributes?: Attributes;
  links?: Link[];
  /** The parent instead of the active span; null = a new trace. */
  parent?: SpanContext | null;
}

/** What the code may do with traces while they are on. */
export interface Tracer {
  /**
   * Runs `fn` in a new span (a child of the active one), active while it runs, and ends it when
   * `fn` settles; a thrown error is recorded (recordError) and thrown on.
   */
  inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>;
  /** The same for synchronous work. */
  inSpanSync<T>(name: string, options: SpanOptions, fn: (span: Span) => T): T;
  /** The span active here, if any is being recorded. */
  activeSpan(): Span | undefined;
  /**
   * True within a sampled trace: under a span being recorded here, or a sampled parent from
   * another process (withRemoteParent). False under no span, or one that has ended.
   */
  inSampledTrace(): boolean;
  /** The W3C `traceparent` of the span being recorded here, to carry the trace to another process. */
  traceparent(): string | undefined;
  /** Runs `fn` with the span a `traceparent` names (from another process) as the active parent. */
  withRemoteParent<T>(traceparent: string, fn: () => T): T;
  /**
   * Serves a Node HTTP request in a server span, continued from its `traceparent` header when it
   * has one; the span ends when the response closes, with its status code.
   */
  serveHttp(req: IncomingMessage, res: ServerResponse, handler: () => void): void;
  /** The server span of a request being served (for its route and user). */
  httpSpan(req: IncomingMessage): Span | undefined;
  /**
   * Notes an error on a span: a refusal (an AppError below 500) as its code only; a fault as an
   * exception event and the span's error status.
   */
  recordError(span: Span, err: unknown): void;
  /** Exports what is queued and stops; spans ended later are dropped. */
  shutdown(): Promise<void>;
}

/** What the process says about itself in every span (resource attributes). */
export interface TracingResource {
  version: string;
  nodeId: string;
  /** The worker's slot with WORKERS > 1. */
  worker?: number;
}
