/**
 * OpenTelemetry traces, from the compiled build, received by a collector stand-in (OTLP/HTTP
 * JSON on a loopback port): a REST send continues the caller's traceparent; a WebSocket send is a
 * span with its store and fan-out below it; sends stored in one group commit meet in one batch
 * span (a child of one of them, linked to the others); a stop exports what is queued. With
 * nothing configured, or OTEL_SDK_DISABLED, nothing is exported and the SDK is a chunk that
 * the start never loads.
 */
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestPostgresDatabase, dbKind } from '../helpers/app.js';
import { startCollector, type Collector, type OtlpSpan } from '../helpers/otlp-collector.js';
import { api, processFixture, SERVER_DIST, staticGraph, waitReady, type ServerProcess } from '../helpers/process.js';
import { TestRedis } from '../helpers/redis.js';

const { tempDir, start } = processFixture('parley-tracing-');

/** What only the SDK holds (the API alone is bundled with prom-client, and is a no-op without it). */
const SDK_MARKERS = /BatchSpanProcessor|OTLPTraceExporter|@opentelemetry\/(?:sdk-trace|exporter-trace|resources|core|context-async-hooks|otlp-)/;

async function withDatabase<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const root = tempDir();
  const db = dbKind === 'postgres' ? await createTestPostgresDatabase() : null;
  try {
    return await fn({
      DATA_DIR: path.join(root, 'data'),
      LOG_DIR: path.join(root, 'logs'),
      UPLOAD_DIR: path.join(root, 'uploads'),
      RATE_LIMIT: 'off',
      DATABASE_URL: db ? db.url : '',
      REDIS_URL: '',
    });
  } finally {
    await db?.drop();
  }
}

/** A user, a group, and a WebSocket of theirs past `ready`. */
async function chatter(server: ServerProcess, username: string) {
  const reg = await api(server, 'POST', '/auth/register', { username, password: 'password123' });
  expect(reg.status).toBe(201);
  const group = await api(server, 'POST', '/groups', { name: `${username} traces` }, reg.json.token);
  expect(group.status).toBe(201);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/ws`);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'auth', token: reg.json.token }));
  await vi.waitFor(() => expect(frames.some((f) => f.type === 'ready')).toBe(true));
  return { token: reg.json.token as string, userId: reg.json.user.id as string, groupId: group.json.id as string, ws, frames };
}

const NO_OTEL = {
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
  OTEL_SDK_DISABLED: '',
  OTEL_TRACES_EXPORTER: '',
  OTEL_TRACES_SAMPLER: '',
  OTEL_TRACES_SAMPLER_ARG: '',
};

describe('traces', () => {
  let collector: Collector | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
  });

  it.runIf(dbKind === 'pglite')('keep the OpenTelemetry SDK out of the default start: a chunk of its own', () => {
    const graph = staticGraph('main.js');
    expect(graph.length).toBeGreaterThan(2);
    for (const file of graph) expect(fs.readFileSync(path.join(SERVER_DIST, file), 'utf8'), file).not.toMatch(SDK_MARKERS);
    const chunk = fs.readdirSync(SERVER_DIST).find((f) => /^tracing-sdk-.*\.js$/.test(f));
    expect(chunk).toBeDefined();
    expect(fs.readFileSync(path.join(SERVER_DIST, chunk!), 'utf8')).toMatch(/BatchSpanProcessor/);
  });

  it('export a REST send in the caller\'s trace and a WebSocket send with its store, batch and fan-out; a stop flushes them', async () => {
    collector = await startCollector();
    await withDatabase(async (dbEnv) => {
      const server = await start({
        ...dbEnv,
        ...NO_OTEL,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector!.url,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'parley-under-test',
        // Nothing is exported before the stop: the stop's flush is what delivers them.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      });
      await waitReady(server);
      expect(server.output()).toMatch(/traces: exporting over OTLP/);
      const alice = await chatter(server, 'trace_alice');

      // REST, inside a caller's trace.
      const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const callerSpan = '00f067aa0ba902b7';
      const rest = await fetch(`${server.base}/api/v1/conversations/${alice.groupId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', traceparent: `00-${callerTrace}-${callerSpan}-01` },
        body: JSON.stringify({ body: 'over REST', clientMsgId: 'rest-1' }),
      });
      expect(rest.status).toBe(201);
      // A refusal: its code on the span, not an error status.
      expect((await api(server, 'POST', `/conversations/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/messages`, { body: 'nowhere' }, alice.token)).status).toBe(404);

      // WebSocket: five sends in one write, so the store takes them in one group commit.
      const burst = Array.from({ length: 5 }, (_, i) => JSON.stringify({ type: 'message.send', id: 10 + i, conversationId: alice.groupId, body: `ws ${i}`, clientMsgId: `ws-${i}` }));
      alice.ws.send(burst[0]!);
      await vi.waitFor(() => expect(alice.frames.filter((f) => f.type === 'ack')).toHaveLength(1));
      // One TCP write: the server reads the four frames in one tick.
      const socket = (alice.ws as unknown as { _socket: import('node:net').Socket })._socket;
      socket.cork();
      for (const frame of burst.slice(1)) alice.ws.send(frame);
      socket.uncork();
      await vi.waitFor(() => expect(alice.frames.filter((f) => f.type === 'ack')).toHaveLength(5));
      alice.ws.close();
      expect(collector!.spans).toHaveLength(0);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const spans = collector!.spans;
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const childrenOf = (s: OtlpSpan) => spans.filter((c) => c.parentSpanId === s.spanId);

      // waitReady's probes of /readyz are not traced.
      expect(spans.filter((s) => s.kind === 2 && s.name.startsWith('GET'))).toEqual([]);

      // Resource: who sent them.
      expect(spans[0]!.resource['service.name']).toBe('parley-under-test');
      expect(spans[0]!.resource['service.version']).toEqual(expect.any(String));
      expect(spans[0]!.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);

      // The REST send: a server span continuing the caller's trace, with route, status and user.
      const post = spans.find((s) => s.traceId === callerTrace && s.kind === 2)!;
      expect(post).toBeDefined();
      expect(post.name).toBe('POST /api/v1/conversations/:id/messages');
      expect(post.parentSpanId).toBe(callerSpan);
      expect(post.attrs).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/api/v1/conversations/:id/messages',
        'http.response.status_code': 201,
        'user.id': alice.userId,
      });
      const restStore = childrenOf(post).find((s) => s.name === 'message.store')!;
      expect(restStore.attrs).toMatchObject({ 'parley.conversation.id': alice.groupId, 'parley.store.outcome': 'stored' });
      const restFanout = childrenOf(post).find((s) => s.name === 'fanout message.created')!;
      expect(restFanout.attrs).toMatchObject({ 'parley.conversation.id': alice.groupId, 'parley.event.type': 'message.created' });
      // Alice's own socket was open: the event went to it.
      expect(restFanout.attrs['parley.fanout.connections']).toBeGreaterThanOrEqual(1);
      // Its batch (alone, or led by it) and the statement below the batch.
      const restBatch = spans.find((s) => s.name === 'message.store.batch' && (s.parentSpanId === restStore.spanId || s.links?.some((l) => l.spanId === restStore.spanId)))!;
      expect(restBatch).toBeDefined();
      const statement = childrenOf(restBatch).find((s) => s.name === 'SELECT parley_store_messages')!;
      expect(statement.kind).toBe(3); // client
      expect(statement.attrs['db.system.name']).toBe('postgresql');

      // The refusal: a 404 span with its code and no error status.
      const refused = spans.find((s) => s.kind === 2 && s.attrs['http.response.status_code'] === 404)!;
      expect(refused.attrs['parley.error.code']).toBe('not_found');
      expect(refused.status?.code ?? 0).not.toBe(2);

      // The WebSocket sends: a span per frame, store and fan-out below each.
      const frames = spans.filter((s) => s.name === 'ws message.send');
      expect(frames).toHaveLength(5);
      for (const f of frames) {
        expect(f.attrs).toMatchObject({ 'user.id': alice.userId, 'parley.conversation.id': alice.groupId, 'parley.frame.type': 'message.send' });
        expect(f.parentSpanId ?? '').toBe('');
        const kids = childrenOf(f).map((s) => s.name);
        expect(kids).toContain('message.store');
        expect(kids).toContain('fanout message.created');
      }
      // The last four were read in one tick: one batch holds them, a child of one send's store
      // span and linked to the other three, each of which links back to it.
      const wsStores = frames.map((f) => childrenOf(f).find((s) => s.name === 'message.store')!);
      const shared = spans.find((s) => s.name === 'message.store.batch' && s.attrs['parley.store.traced_sends'] === 4)!;
      expect(shared).toBeDefined();
      expect(shared.attrs['parley.store.batch_size']).toBe(4);
      const parentStore = byId.get(shared.parentSpanId!)!;
      expect(wsStores).toContain(parentStore);
      const linked = (shared.links ?? []).map((l) => byId.get(l.spanId));
      expect(linked).toHaveLength(3);
      for (const s of linked) {
        expect(wsStores).toContain(s);
        expect(s!.traceId).not.toBe(shared.traceId);
        expect(s!.links).toEqual([expect.objectContaining({ spanId: shared.spanId, traceId: shared.traceId })]);
        expect(s!.attrs['parley.store.batch_size']).toBe(4);
      }
      expect(childrenOf(shared).filter((s) => s.name === 'SELECT parley_store_messages')).toHaveLength(1);
    });
  }, 120_000);

  it.runIf(dbKind === 'postgres')("carry the trace through Redis: another node's fan-out of a send joins the sender's trace", async () => {
    collector = await startCollector();
    const redis = await TestRedis.start();
    try {
      await withDatabase(async (dbEnv) => {
        const env = (name: string) => ({
          ...dbEnv,
          ...NO_OTEL,
          DATA_DIR: `${dbEnv.DATA_DIR}-${name}`,
          LOG_DIR: `${dbEnv.LOG_DIR}-${name}`,
          REDIS_URL: redis.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector!.url,
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '600000',
        });
        const a = await start(env('a'));
        await waitReady(a);
        const b = await start(env('b'));
        await waitReady(b);
        // Alice's socket is on node B; she sends over REST to node A.
        const alice = await chatter(b, 'trace_nodes');
        const callerTrace = '5bf92f3577b34da6a3ce929d0e0e4737';
        const sent = await fetch(`${a.base}/api/v1/conversations/${alice.groupId}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', traceparent: `00-${callerTrace}-${'1'.repeat(16)}-01` },
          body: JSON.stringify({ body: 'across nodes' }),
        });
        expect(sent.status).toBe(201);
        await vi.waitFor(() => expect(alice.frames.some((f) => f.type === 'message.created')).toBe(true));
        alice.ws.close();
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
        expect(await a.exited).toBe(0);
        expect(await b.exited).toBe(0);

        const inTrace = collector!.spans.filter((s) => s.traceId === callerTrace);
        const post = inTrace.find((s) => s.kind === 2)!;
        expect(post.name).toBe('POST /api/v1/conversations/:id/messages');
        const fanouts = inTrace.filter((s) => s.name === 'fanout message.created');
        expect(fanouts).toHaveLength(2);
        // Both below the request's span: on its node (no socket of Alice there) and on the other (hers).
        for (const f of fanouts) expect(f.parentSpanId).toBe(post.spanId);
        const here = fanouts.find((f) => f.resource['parley.node.id'] === post.resource['parley.node.id'])!;
        const there = fanouts.find((f) => f.resource['parley.node.id'] !== post.resource['parley.node.id'])!;
        expect(here.attrs['parley.fanout.connections']).toBe(0);
        expect(there.attrs['parley.fanout.connections']).toBe(1);
      });
    } finally {
      await redis.kill();
    }
  }, 120_000);

  it('sample by OTEL_TRACES_SAMPLER: always_off exports nothing, yet a sampled traceparent is followed (parentbased)', async () => {
    collector = await startCollector();
    await withDatabase(async (dbEnv) => {
      const server = await start({
        ...dbEnv,
        ...NO_OTEL,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector!.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      });
      await waitReady(server);
      const reg = await api(server, 'POST', '/auth/register', { username: 'sampled_out', password: 'password123' });
      expect(reg.status).toBe(201);
      const traceId = 'a'.repeat(31) + '1';
      const res = await fetch(`${server.base}/api/v1/users/me`, { headers: { authorization: `Bearer ${reg.json.token}`, traceparent: `00-${traceId}-${'b'.repeat(16)}-01` } });
      expect(res.status).toBe(200);
      await vi.waitFor(() => expect(collector!.spans.some((s) => s.traceId === traceId)).toBe(true), { timeout: 10_000 });
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      // Only the request that came in a sampled trace; the registration (ratio 0) is not there.
      expect(new Set(collector!.spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
      expect(collector!.spans.find((s) => s.kind === 2)!.name).toBe('GET /api/v1/users/me');
    });
  }, 120_000);

  it('with nothing configured, or OTEL_SDK_DISABLED=true, export nothing and never load the SDK', async () => {
    collector = await startCollector();
    await withDatabase(async (dbEnv) => {
      const settings: Record<string, string>[] = [
        {},
        { OTEL_EXPORTER_OTLP_ENDPOINT: collector!.url, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_SDK_DISABLED: 'true', OTEL_BSP_SCHEDULE_DELAY: '10' },
      ];
      for (const extra of settings) {
        const server = await start({ ...dbEnv, ...NO_OTEL, ...extra });
        await waitReady(server);
        const reg = await api(server, 'POST', '/auth/register', { username: `off_${Object.keys(extra).length}`, password: 'password123' });
        expect(reg.status).toBe(201);
        const group = await api(server, 'POST', '/groups', { name: 'untraced' }, reg.json.token);
        const traced = await fetch(`${server.base}/api/v1/conversations/${group.json.id}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${reg.json.token}`, 'content-type': 'application/json', traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01` },
          body: JSON.stringify({ body: 'not traced' }),
        });
        expect(traced.status).toBe(201);
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        expect(server.output()).not.toMatch(/traces:/);
      }
      expect(collector!.requests).toBe(0);
    });
  }, 120_000);
});
