/**
 * GET /metrics (operations issue): Prometheus text that a strict parser accepts, HTTP latency by
 * route pattern, WebSocket connections, fan-out and send-to-ack latency with real `ws` clients,
 * database queries, per-app registries and METRICS_TOKEN.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { auth, register, startTestApp, uniqueName, type TestApp } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';
import { waitFor } from '../helpers/kit.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  /** Family name → its TYPE. */
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_PAIR = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE_LINE = new RegExp(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{((?:${LABEL_PAIR})(?:,${LABEL_PAIR})*)?\\})? ([^ ]+)$`);
const LABEL_CAPTURE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

/** A value as Go's ParseFloat reads it (Prometheus does): NaN and Inf in any case ("Nan" from prom-client). */
function parseValue(text: string): number {
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)inf(?:inity)?$/i.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (!NUMBER.test(text)) throw new Error(`bad value: ${text}`);
  return Number(text);
}

function unescapeLabel(text: string): string {
  return text.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** The family a sample belongs to: its own name, or a histogram's or summary's with the suffix off. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const [family, type] of types) {
    if ((SUFFIXES[type] ?? []).some((s) => name === family + s)) return family;
  }
  return undefined;
}

/**
 * A strict reader of the Prometheus text format 0.0.4: every line is blank, a comment, or
 * `name{labels} value`; HELP and TYPE are well formed and come before their samples; no sample
 * repeats; histogram buckets are cumulative and end at +Inf with their _count.
 */
function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the text must end with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue; // a free comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name!)) throw new Error(`bad metric name, ${where}`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest ?? '')) throw new Error(`bad type, ${where}`);
        if (types.has(name!)) throw new Error(`second TYPE, ${where}`);
        types.set(name!, rest!);
      } else if (rest === undefined) {
        throw new Error(`HELP without text, ${where}`);
      }
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`not a sample, ${where}`);
    const [, name, labelText, valueText] = m;
    const labels: Record<string, string> = {};
    for (const pair of labelText ? labelText.matchAll(LABEL_CAPTURE) : []) {
      if (pair[1]! in labels) throw new Error(`repeated label, ${where}`);
      labels[pair[1]!] = unescapeLabel(pair[2]!);
    }
    if (!familyOf(name!, types)) throw new Error(`sample of an undeclared family, ${where}`);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}}`;
    if (seen.has(key)) throw new Error(`repeated sample, ${where}`);
    seen.add(key);
    samples.push({ name: name!, labels, value: parseValue(valueText!) });
  }
  checkHistograms(types, samples);
  return { types, samples };
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, { le: number; value: number }[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), { le: parseValue(le), value: s.value }]);
    }
    for (const [key, buckets] of series) {
      buckets.sort((a, b) => a.le - b.le);
      for (let i = 1; i < buckets.length; i++) {
        if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${family}: buckets not cumulative for ${key}`);
      }
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(Object.entries(x.labels).sort()) === key);
      if (buckets.at(-1)!.le !== Infinity || count?.value !== buckets.at(-1)!.value) throw new Error(`${family}: +Inf bucket and _count disagree for ${key}`);
    }
  }
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  return e.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(app: FastifyInstance): Promise<Exposition> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode, res.body).toBe(200);
  return parseExposition(res.body);
}

let t: TestServer;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await startTestServer();
});

afterEach(async () => {
  const open = clients.splice(0).filter((c) => c.ws.readyState === WebSocket.OPEN || c.ws.readyState === WebSocket.CONNECTING);
  for (const c of open) c.ws.terminate();
  await Promise.all(open.map((c) => c.closed));
});

afterAll(async () => {
  await t?.close();
});

async function connect(token: string): Promise<WsClient> {
  const c = await WsClient.connect(t.wsUrl, token);
  clients.push(c);
  return c;
}

describe('the strict exposition parser used here', () => {
  it('refuses what Prometheus would refuse', () => {
    const typed = '# TYPE a counter\n';
    expect(() => parseExposition(`${typed}a 1\n`)).not.toThrow();
    expect(() => parseExposition(`${typed}a 1`)).toThrow(/newline/);
    expect(() => parseExposition(`${typed}a{b="c"} x\n`)).toThrow(/bad value/);
    expect(() => parseExposition(`${typed}a 1e\n`)).toThrow(/bad value/);
    expect(() => parseExposition(`${typed}a{b=c} 1\n`)).toThrow(/not a sample/);
    expect(() => parseExposition(`${typed}a 1 2 3\n`)).toThrow(/not a sample/);
    expect(() => parseExposition('b 1\n')).toThrow(/undeclared/);
    expect(() => parseExposition(`${typed}a 1\na 2\n`)).toThrow(/repeated sample/);
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(/cumulative/);
    expect(parseExposition(`${typed}a{b="x\\"y\\\\z"} +Inf\n`).samples[0]).toEqual({ name: 'a', labels: { b: 'x"y\\z' }, value: Infinity });
  });
});

describe('GET /metrics', () => {
  it('serves Prometheus text with the app, database, WebSocket and process families, outside the API docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(res.body);
    const expected: [string, string][] = [
      ['parley_http_request_duration_seconds', 'histogram'],
      ['parley_ws_connections', 'gauge'],
      ['parley_ws_connections_opened_total', 'counter'],
      ['parley_ws_frames_received_total', 'counter'],
      ['parley_ws_events_fanned_out_total', 'counter'],
      ['parley_bus_events_received_total', 'counter'],
      ['parley_ws_send_ack_seconds', 'histogram'],
      ['parley_messages_stored_total', 'counter'],
      ['parley_db_query_duration_seconds', 'histogram'],
      ['parley_db_query_errors_total', 'counter'],
      ['parley_db_queries_in_flight', 'gauge'],
      ['parley_db_pool_size', 'gauge'],
      ['process_resident_memory_bytes', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ];
    for (const [name, type] of expected) expect(e.types.get(name), name).toBe(type);
    expect(value(e, 'parley_db_pool_size')).toBeGreaterThanOrEqual(1);
    expect(value(e, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
  });

  it('times HTTP requests by route pattern, never by raw URL, and counts the database queries behind them', async () => {
    const me = await register(t.app);
    const route = { method: 'GET', route: '/api/v1/users/:id', status_code: '200' };
    const before = await scrape(t.app);
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/users/${me.user.id}`, headers: auth(me.token) });
      expect(res.statusCode).toBe(200);
    }
    const stray = `/no/such/${randomUUID()}`;
    expect((await t.app.inject({ method: 'GET', url: stray })).statusCode).toBe(404);
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    const after = parseExposition(res.body);
    expect(value(after, 'parley_http_request_duration_seconds_count', route) - value(before, 'parley_http_request_duration_seconds_count', route)).toBe(3);
    const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };
    expect(value(after, 'parley_http_request_duration_seconds_count', unmatched)).toBeGreaterThan(value(before, 'parley_http_request_duration_seconds_count', unmatched));
    expect(res.body).not.toContain(me.user.id);
    expect(res.body).not.toContain(stray);
    expect(value(after, 'parley_db_query_duration_seconds_count')).toBeGreaterThan(value(before, 'parley_db_query_duration_seconds_count'));
    // The gauge comes back to zero: not necessarily at this scrape, which may meet the queue
    // workers' polls in flight (3 once on PostgreSQL), but once they are done; a leak never does.
    await waitFor(async () => value(await scrape(t.app), 'parley_db_queries_in_flight') === 0, 'no database query in flight');
  });

  it('tracks authenticated WebSocket connections as real clients connect and disconnect', async () => {
    const a = await register(t.app);
    const gauge = async () => value(await scrape(t.app), 'parley_ws_connections');
    const start = await scrape(t.app);
    const base = value(start, 'parley_ws_connections');
    const first = await connect(a.token);
    const second = await connect(a.token);
    const both = await scrape(t.app);
    expect(value(both, 'parley_ws_connections')).toBe(base + 2);
    expect(value(both, 'parley_ws_connections_opened_total') - value(start, 'parley_ws_connections_opened_total')).toBe(2);
    // A socket that has not authenticated is not counted.
    const raw = await WsClient.open(t.wsUrl);
    clients.push(raw);
    expect(await gauge()).toBe(base + 2);
    first.close();
    await first.closed;
    await waitFor(async () => (await gauge()) === base + 1, 'the gauge to drop by one', 5000);
    second.ws.terminate();
    await waitFor(async () => (await gauge()) === base, 'the gauge to return to where it was', 5000);
  });

  it('observes send-to-ack latency, frames, fan-out and stored messages for a message.send', async () => {
    const [a, b] = [await register(t.app), await register(t.app)];
    const group = await t.app.inject({ method: 'POST', url: '/api/v1/groups', headers: auth(a.token), payload: { name: uniqueName('g'), memberIds: [b.user.id] } });
    expect(group.statusCode).toBe(201);
    const conversationId = (group.json() as { id: string }).id;
    const [ca, cb] = [await connect(a.token), await connect(b.token)];
    const before = await scrape(t.app);
    const clientMsgId = randomUUID();
    const ack = await ca.request({ type: 'message.send', conversationId, body: 'metrics 你好 👋', clientMsgId });
    expect(ack.type).toBe('ack');
    await cb.next((f) => f.type === 'message.created' && f.message.id === ack.message.id);
    await ca.next((f) => f.type === 'message.created' && f.message.id === ack.message.id);
    const after = await scrape(t.app);
    const delta = (name: string, labels?: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(delta('parley_ws_send_ack_seconds_count')).toBe(1);
    expect(delta('parley_ws_send_ack_seconds_sum')).toBeGreaterThan(0);
    expect(delta('parley_ws_frames_received_total', { type: 'message.send' })).toBe(1);
    // Both members' sockets were handed the event.
    expect(delta('parley_ws_events_fanned_out_total', { type: 'message.created' })).toBe(2);
    expect(delta('parley_bus_events_received_total')).toBe(1);
    expect(delta('parley_messages_stored_total')).toBe(1);

    // A repeat is acked (and timed) but stores nothing.
    const again = await ca.request({ type: 'message.send', conversationId, body: 'metrics again', clientMsgId });
    expect(again.message.id).toBe(ack.message.id);
    const repeat = await scrape(t.app);
    expect(value(repeat, 'parley_ws_send_ack_seconds_count') - value(after, 'parley_ws_send_ack_seconds_count')).toBe(1);
    expect(value(repeat, 'parley_messages_stored_total')).toBe(value(after, 'parley_messages_stored_total'));
  });

  it('counts malformed and unknown frames as "invalid", not under a type of the client\'s choosing', async () => {
    const a = await register(t.app);
    const c = await connect(a.token);
    const before = await scrape(t.app);
    c.send('{not json');
    c.send({ type: `made.up.${randomUUID()}` });
    await waitFor(async () => c.frames.filter((f) => f.type === 'error').length >= 2, 'two error frames', 5000);
    const after = await scrape(t.app);
    expect(value(after, 'parley_ws_frames_received_total', { type: 'invalid' }) - value(before, 'parley_ws_frames_received_total', { type: 'invalid' })).toBe(2);
    expect(after.samples.filter((s) => s.name === 'parley_ws_frames_received_total' && s.labels.type?.startsWith('made.up'))).toEqual([]);
  });
});

describe('METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  let guarded: TestApp;
  beforeAll(async () => {
    guarded = await startTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => guarded?.close());

  it('answers 401 in the contract format without the token or with a wrong one, 200 with it', async () => {
    const wrong = [undefined, 'Bearer nope', `Bearer ${TOKEN.slice(0, -1)}x`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN];
    for (const authorization of wrong) {
      const res = await guarded.app.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(res.body).not.toContain('parley_');
    }
    const res = await guarded.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(parseExposition(res.body).types.get('parley_http_request_duration_seconds')).toBe('histogram');
  });

  it('keeps each app\'s counts in its own registry (two apps in one process)', async () => {
    const route = { method: 'GET', route: '/healthz' };
    const headers = { authorization: `Bearer ${TOKEN}` };
    const read = async (app: FastifyInstance, h: Record<string, string> = {}) =>
      value(parseExposition((await app.inject({ method: 'GET', url: '/metrics', headers: h })).body), 'parley_http_request_duration_seconds_count', route);
    const [mainBefore, guardedBefore] = [await read(t.app), await read(guarded.app, headers)];
    for (let i = 0; i < 4; i++) await guarded.app.inject({ method: 'GET', url: '/healthz' });
    expect(await read(guarded.app, headers)).toBe(guardedBefore + 4);
    expect(await read(t.app)).toBe(mainBefore);
  });
});
