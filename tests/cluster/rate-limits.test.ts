/**
 * Rate limits shared through Redis: two nodes in one process, sharing one database and one real
 * redis-server, count one budget per key (a client spread over both gets the limit once, REST
 * and WebSocket alike, with the same 429 and retryAfter as one node). When Redis is slow or
 * killed, each node counts its own (requests are served, one warning per node), and the budget is
 * shared again once Redis answers.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { RedisRateLimitStore } from '../../src/core/redis-rate-limit-store.js';
import { RedisBus } from '../../src/events/redis-bus.js';
import { apiCaller, register, uniqueName } from '../helpers/app.js';
import { waitFor } from '../helpers/kit.js';
import { TestRedis } from '../helpers/redis.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

const silent = createLogger({ level: 'silent', logDir: null, pretty: false });
const prefix = `rl${process.pid}:`;
const ENV = {
  RATE_LIMIT: 'on',
  RATE_LIMIT_REGISTER_PER_IP: 'off',
  RATE_LIMIT_LOGIN_PER_IP: 'off',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '4/min',
  RATE_LIMIT_SENDS_PER_USER: '4/min',
  RATE_LIMIT_INVITE_CHECK_PER_IP: '4/min',
};

interface Node {
  app: ParleyApp;
  wsUrl: string;
  store: RedisRateLimitStore;
  /** What the node's rate-limit store logged. */
  logs: { level: number; msg: string }[];
}

let redis: TestRedis;
let first: TestServer;
let n1: Node;
let n2: Node;
let control: Redis;

async function redisParts(nodeId: string): Promise<{ bus: RedisBus; store: RedisRateLimitStore; logs: Node['logs'] }> {
  const bus = await RedisBus.connect(redis.url, nodeId, silent, { prefix });
  const logs: Node['logs'] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Node['logs'][number]) });
  const store = new RedisRateLimitStore(bus.commands, logger, { prefix, timeoutMs: 100, probeMs: 100 });
  return { bus, store, logs };
}

beforeAll(async () => {
  redis = await TestRedis.start();
  control = new Redis<'legacy'>(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  control.on('error', () => {});
  const p1 = await redisParts('node-1');
  first = await startTestServer(ENV, { bus: p1.bus, rateLimitStore: p1.store });
  n1 = { app: first.app, wsUrl: first.wsUrl, store: p1.store, logs: p1.logs };
  const p2 = await redisParts('node-2');
  const app2 = await buildApp({ config: first.config, database: first.database, logger: silent, bus: p2.bus, rateLimitStore: p2.store });
  await app2.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app2.server.address() as { port: number };
  n2 = { app: app2, wsUrl: `ws://127.0.0.1:${port}/api/v1/ws`, store: p2.store, logs: p2.logs };
});

afterAll(async () => {
  control?.disconnect();
  await n2?.app.close();
  await first?.close();
  await redis?.kill();
});

/** An invite look-up from `ip` (limited per address, 4/min here); its status. */
async function inviteCheck(node: Node, ip: string): Promise<number> {
  const res = await node.app.inject({ method: 'GET', url: '/api/v1/auth/invites/nope', remoteAddress: ip });
  return res.statusCode;
}

/** `count` look-ups from `ip`, alternating between the nodes given; their statuses. */
async function inviteChecks(nodes: Node[], ip: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push(await inviteCheck(nodes[i % nodes.length]!, ip));
  return statuses;
}

const warnings = (node: Node) => node.logs.filter((l) => l.level === 40 && l.msg.startsWith('rate limits: Redis is unreachable')).length;
const recoveries = (node: Node) => node.logs.filter((l) => l.msg.startsWith('rate limits: Redis answers again')).length;

describe('rate limits shared through Redis', () => {
  it('a client spread over both nodes gets the limit once, with the same 429 and retryAfter as one node', async () => {
    const username = uniqueName('nobody');
    const answers = [];
    for (let i = 0; i < 6; i++) {
      const node = i % 2 ? n2 : n1;
      answers.push(await node.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: 'wrong password' } }));
    }
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 429, 429]);
    for (const res of answers.slice(4)) {
      const body = res.json() as { error: { code: string; message: string; details: { retryAfter: number } } };
      // 4/min: one token every 15 s.
      expect(body.error.details.retryAfter).toBeGreaterThanOrEqual(14);
      expect(body.error.details.retryAfter).toBeLessThanOrEqual(15);
      expect(body.error).toEqual({ code: 'rate_limited', message: `too many attempts; retry in ${body.error.details.retryAfter} s`, details: body.error.details });
      expect(res.headers['retry-after']).toBe(String(body.error.details.retryAfter));
    }
    // The bucket lives under the deployment's prefix and expires (a full refill, 60 s, plus 1 s).
    const ttl = await control.pttl(`${prefix}rl:loginByAccount:${username.toLowerCase()}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(61_000);
    expect(warnings(n1) + warnings(n2)).toBe(0);
  });

  it('message sends share one budget per user over REST on one node and WebSocket on the other', async () => {
    const alice = await register(n1.app);
    const call1 = apiCaller(() => n1.app);
    const group = await call1('POST', '/groups', alice, { name: uniqueName('g'), memberIds: [] });
    expect(group.statusCode, group.body).toBe(201);
    const conversationId = (group.json() as { id: string }).id;
    for (let i = 0; i < 3; i++) {
      const res = await call1('POST', `/conversations/${conversationId}/messages`, alice, { body: `rest ${i}`, clientMsgId: uniqueName('m') });
      expect(res.statusCode, res.body).toBe(201);
    }
    const ws = await WsClient.connect(n2.wsUrl, alice.token);
    const fourth = await ws.request({ type: 'message.send', conversationId, body: 'ws 4', clientMsgId: uniqueName('m') });
    expect(fourth.type).toBe('ack');
    const fifth = await ws.request({ type: 'message.send', conversationId, body: 'ws 5', clientMsgId: uniqueName('m') });
    expect(fifth.type).toBe('error');
    expect(fifth.error.code).toBe('rate_limited');
    expect(fifth.error.details.retryAfter).toBeGreaterThanOrEqual(14);
    const rest = await call1('POST', `/conversations/${conversationId}/messages`, alice, { body: 'rest 6', clientMsgId: uniqueName('m') });
    expect(rest.statusCode).toBe(429);
    ws.close();
  });

  it('a slow Redis (past 100 ms) does not hold requests: each node counts its own, once warned, then shares again', async () => {
    const [w1, r1] = [warnings(n1), recoveries(n1)];
    // Long enough for the checks below to run while it lasts, on a busy machine too.
    await control.call('CLIENT', 'PAUSE', '3000', 'ALL');
    const started = Date.now();
    expect(await inviteCheck(n1, '10.0.1.1')).toBe(404);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(n1.store.available).toBe(false);
    expect(warnings(n1)).toBe(w1 + 1);
    // While Redis is away the node does not wait for it at all.
    const quick = Date.now();
    expect(await inviteChecks([n1], '10.0.1.2', 5)).toEqual([404, 404, 404, 404, 429]);
    expect(Date.now() - quick).toBeLessThan(1_000);
    expect(warnings(n1)).toBe(w1 + 1);
    await waitFor(() => n1.store.available, 'node 1 to share its limits again', 10_000);
    expect(recoveries(n1)).toBe(r1 + 1);
  });

  it('Redis killed: requests still served with per-node limits, one warning per node; shared again after Redis restarts', async () => {
    const [w1, w2] = [warnings(n1), warnings(n2)];
    await redis.kill();
    // Each node gives the address its own budget of 4 (8 over both), never refusing everything.
    const outage = await inviteChecks([n1, n2], '10.0.2.1', 12);
    expect(outage.filter((s) => s === 404)).toHaveLength(8);
    expect(outage.slice(-4)).toEqual([429, 429, 429, 429]);
    // Other addresses are still served, and the warning was logged once per node, not per request.
    expect(await inviteChecks([n1, n2], '10.0.2.2', 6)).toEqual([404, 404, 404, 404, 404, 404]);
    expect([warnings(n1), warnings(n2)]).toEqual([w1 + 1, w2 + 1]);

    // Restarted empty: the script is loaded again (EVALSHA → NOSCRIPT → EVAL) and one budget holds.
    await redis.restart();
    await waitFor(() => n1.store.available && n2.store.available, 'both nodes to share their limits again', 15_000);
    expect(await inviteChecks([n1, n2], '10.0.2.3', 6)).toEqual([404, 404, 404, 404, 429, 429]);
    expect([warnings(n1), warnings(n2)]).toEqual([w1 + 1, w2 + 1]);
    // The node reports which way it counts, for dashboards and alerts.
    const metrics = (await n1.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^parley_rate_limits_shared 1$/m);
    expect(metrics).toMatch(/^parley_rate_limit_redis_outages_total [1-9]/m);
  });
});
