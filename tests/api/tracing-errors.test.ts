/**
 * A request that fails with a 5xx is an error span with its exception (the HTTP error hook), in
 * an app built with traces on; the spans reach the collector when tracing stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startTracing, stopTracing, tracer } from '../../src/core/tracing.js';
import { startCollector, type Collector } from '../helpers/otlp-collector.js';
import { startTestServer, type TestServer } from '../helpers/ws.js';

describe('traces of failing requests', () => {
  let collector: Collector;
  let server: TestServer;
  const logger = createLogger({ level: 'silent', logDir: null });

  beforeAll(async () => {
    collector = await startCollector();
    const { tracing } = parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '600000' });
    await startTracing(tracing!, { version: 'test', nodeId: 'node-errors' }, logger);
    server = await startTestServer();
  });
  afterAll(async () => {
    await stopTracing(3_000, logger);
    await server?.close().catch(() => {});
    await collector?.close();
  });

  it('records a 5xx as an error with its exception, and a 401 by its code', async () => {
    expect(tracer()).not.toBeNull();
    const reg = await fetch(`${server.httpUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'fault_finder', password: 'password123' }),
    });
    expect(reg.status).toBe(201);
    const { token } = (await reg.json()) as { token: string };
    expect((await fetch(`${server.httpUrl}/api/v1/users/me`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    // The database goes away: the next authenticated request fails on the server's side.
    await server.database.close();
    const failed = await fetch(`${server.httpUrl}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(failed.status).toBeGreaterThanOrEqual(500);

    await stopTracing(3_000, logger);
    const me = collector.spans.filter((s) => s.name === 'GET /api/v1/users/me');
    expect(me).toHaveLength(2);
    const [refused, fault] = me.sort((a, b) => Number(a.attrs['http.response.status_code']) - Number(b.attrs['http.response.status_code']));
    expect(refused!.attrs).toMatchObject({ 'http.response.status_code': 401, 'parley.error.code': 'unauthorized' });
    expect(refused!.status?.code ?? 0).toBe(0);
    expect(fault!.attrs['http.response.status_code']).toBe(failed.status);
    expect(fault!.status?.code).toBe(2);
    expect(fault!.events?.map((e) => e.name)).toContain('exception');
  });
});
