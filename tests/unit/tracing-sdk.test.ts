/**
 * The tracer behind src/core/tracing.ts, in this process, against a collector stand-in: spans
 * nest, a fault is an error with its exception while a refusal is only its code, the resource
 * and the configured headers go with the export; a collector that is down costs a warning and
 * the spans, never an error for the caller or a hang on stop.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TracingConfig } from '../../src/core/config.js';
import { AppError } from '../../src/core/errors.js';
import { createTracer } from '../../src/core/tracing-sdk.js';
import { captureLogger } from '../helpers/kit.js';
import { startCollector, type Collector } from '../helpers/otlp-collector.js';
import { freePort } from '../helpers/process.js';

const config = (url: string, over: Partial<TracingConfig> = {}): TracingConfig => ({
  url,
  protocol: 'http/json',
  headers: { 'x-tenant': 'unit' },
  serviceName: 'parley-unit',
  sampler: { ratio: 1, parentBased: true },
  // Nothing leaves before shutdown: it is what exports.
  scheduleDelayMs: 600_000,
  maxQueueSize: 64,
  exportTimeoutMs: 2_000,
  ...over,
});

describe('the tracing SDK', () => {
  let collector: Collector | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
  });

  it('exports nested spans, faults as errors with their exception and refusals as their code, on shutdown', async () => {
    collector = await startCollector();
    const { logger } = captureLogger();
    const t = createTracer(config(`${collector.url}/v1/traces`), { version: '9.9.9', nodeId: 'node-1', worker: 2 }, logger);
    await t.inSpan('outer', { kind: 'server', attributes: { 'user.id': 'u1' } }, async () => {
      t.inSpanSync('inner', {}, (span) => span.setAttribute('step', 1));
      expect(t.activeSpan()).toBeDefined();
    });
    await expect(t.inSpan('fault', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(t.inSpan('refusal', {}, async () => Promise.reject(new AppError('not_found', 'conversation not found')))).rejects.toThrow('not found');
    const detached = t.inSpanSync('new trace', { parent: null }, (span) => span.spanContext());
    expect(t.activeSpan()).toBeUndefined();
    expect(collector.spans).toHaveLength(0);
    await t.shutdown();

    const byName = new Map(collector.spans.map((s) => [s.name, s]));
    const outer = byName.get('outer')!;
    expect(outer.kind).toBe(2);
    expect(outer.attrs['user.id']).toBe('u1');
    expect(byName.get('inner')!.parentSpanId).toBe(outer.spanId);
    expect(byName.get('inner')!.traceId).toBe(outer.traceId);
    const fault = byName.get('fault')!;
    expect(fault.status?.code).toBe(2);
    expect(fault.events?.map((e) => e.name)).toEqual(['exception']);
    const refusal = byName.get('refusal')!;
    expect(refusal.attrs['parley.error.code']).toBe('not_found');
    expect(refusal.status?.code ?? 0).toBe(0);
    expect(refusal.events ?? []).toEqual([]);
    expect(byName.get('new trace')!.traceId).toBe(detached.traceId);
    expect(byName.get('new trace')!.parentSpanId ?? '').toBe('');
    expect(outer.resource).toMatchObject({ 'service.name': 'parley-unit', 'service.version': '9.9.9', 'service.instance.id': 'node-1', 'parley.node.id': 'node-1', 'parley.worker': 2 });
    expect(collector.headers['x-tenant']).toBe('unit');
  });

  it('exports protobuf by default (OTLP/HTTP), the standard protocol', async () => {
    collector = await startCollector();
    const { logger, lines } = captureLogger();
    const t = createTracer(config(`${collector.url}/v1/traces`, { protocol: 'http/protobuf' }), { version: '1', nodeId: 'node-proto' }, logger);
    await t.inSpan('sent as protobuf', {}, async () => {});
    await t.shutdown();
    expect(collector.headers['content-type']).toBe('application/x-protobuf');
    expect(collector.spans).toHaveLength(0);
    const bytes = Buffer.concat(collector.protobuf);
    expect(bytes.includes('sent as protobuf')).toBe(true);
    expect(bytes.includes('node-proto')).toBe(true);
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it('drops the spans when the collector is down: the work goes on, one warning, and the stop ends', async () => {
    const { logger, lines } = captureLogger();
    const closed = await freePort();
    const t = createTracer(config(`http://127.0.0.1:${closed}/v1/traces`, { exportTimeoutMs: 1_000, scheduleDelayMs: 20, maxQueueSize: 5 }), { version: '1', nodeId: 'n' }, logger);
    // More than the queue holds, while exports fail in the background: each call still answers.
    for (let i = 0; i < 20; i++) expect(await t.inSpan(`work ${i}`, {}, async () => i * 2)).toBe(i * 2);
    await vi.waitFor(() => expect(lines.some((l) => l.level === 40)).toBe(true), { timeout: 5_000 });
    for (let i = 0; i < 5; i++) t.inSpanSync(`more ${i}`, {}, () => i);
    const started = Date.now();
    await t.shutdown();
    expect(Date.now() - started).toBeLessThan(5_000);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    // At most one a minute, however many exports failed.
    expect(warnings[0]!.msg).toMatch(/traces: exporting spans failed; they are dropped/);
  });
});
