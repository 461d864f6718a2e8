/**
 * A conversation's events reach a node out of seq order: batches committed at once on a
 * PostgreSQL server resolve in any order, and events from other nodes come over Redis. The node
 * puts them in order once, before fan-out: a reordering costs no database read at all, a lost
 * bus message one read for the whole node (not one per connection), and every connection gets
 * every event once, in order. Runs on PGlite and, in the PostgreSQL phase, on PostgreSQL; the
 * two-node case on a real redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { LocalBus, type Bus, type BusMessage } from '../../src/events/bus.js';
import { RedisBus, type RedisBusOptions } from '../../src/events/redis-bus.js';
import { RedisPresenceStore } from '../../src/realtime/presence-store.js';
import { apiCaller, register, uniqueName, type Account } from '../helpers/app.js';
import { waitFor } from '../helpers/kit.js';
import { TestRedis } from '../helpers/redis.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent', logDir: null, pretty: false });
type EventMessage = Extract<BusMessage, { kind: 'event' }>;

/**
 * Wraps a bus so a test decides, per conversation event, whether it goes out now, after the
 * next one (a reordered commit), or never (a message the bus lost).
 */
class ReorderingBus implements Bus {
  /** What to do with an event: deliver it, swap it with the next one, or drop it. */
  plan: (msg: EventMessage) => 'now' | 'after-next' | 'drop' = () => 'now';
  private waiting: BusMessage | null = null;
  constructor(private readonly inner: Bus) {}
  get active(): boolean {
    return this.inner.active;
  }
  publish(message: BusMessage): void {
    if (message.kind !== 'event') return this.inner.publish(message);
    const what = this.plan(message);
    if (what === 'drop') return;
    if (what === 'after-next' && !this.waiting) {
      this.waiting = message;
      return;
    }
    this.inner.publish(message);
    const held = this.waiting;
    this.waiting = null;
    if (held) this.inner.publish(held);
  }
  publishAll(messages: readonly BusMessage[]): void {
    for (const m of messages) this.publish(m);
  }
  subscribe(listener: Parameters<Bus['subscribe']>[0]): () => void {
    return this.inner.subscribe(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The node's and the connections' gap reads so far (the /metrics counter). */
async function gapReads(app: ParleyApp): Promise<{ node: number; connection: number; reordered: number }> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    node: value('parley_ws_gap_fills_total{by="node"}'),
    connection: value('parley_ws_gap_fills_total{by="connection"}'),
    reordered: value('parley_events_reordered_total'),
  };
}

/** Each client's seqs of the conversation, in the order received. */
const seqsOf = (c: WsClient, conversationId: string) => c.events(conversationId).map((e) => e.seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('one node: a reordered or lost bus message', () => {
  const bus = new ReorderingBus(new LocalBus());
  let t: TestServer;
  beforeAll(async () => {
    // The hold is long enough that a test machine under load never fills a gap that is only late.
    t = await startTestServer({}, { bus, gateway: { sequencer: { holdMs: 200, fillPage: 200, maxHeld: 1024, idleMs: 60_000 } } });
  });
  afterAll(async () => t.close());
  const call = apiCaller(() => t.app);

  async function groupWithClients(n: number): Promise<{ owner: Account; id: string; clients: WsClient[] }> {
    const owner = await register(t.app);
    const members = await Promise.all(Array.from({ length: n }, () => register(t.app)));
    const g = (await call('POST', '/groups', owner, { name: uniqueName('order'), memberIds: members.map((m) => m.user.id) })).json() as { id: string };
    const clients = await Promise.all(members.map((m) => WsClient.connect(t.wsUrl, m.token)));
    return { owner, id: g.id, clients };
  }

  it('events swapped in pairs reach 30 connections in seq order, each once, with no database read', async () => {
    const { owner, id, clients } = await groupWithClients(30);
    const before = await gapReads(t.app as ParleyApp);
    bus.plan = (m) => (m.event.conversationId === id && m.event.seq % 2 === 1 ? 'after-next' : 'now');
    for (let i = 1; i <= 20; i++) expect((await call('POST', `/conversations/${id}/messages`, owner, { body: `m${i}` })).statusCode).toBe(201);
    bus.plan = () => 'now';
    await waitFor(() => clients.every((c) => seqsOf(c, id).length >= 20), () => `20 events on every client (${clients.map((c) => seqsOf(c, id).length)})`, 10_000);
    for (const c of clients) expect(seqsOf(c, id)).toEqual(range(1, 20));
    const after = await gapReads(t.app as ParleyApp);
    expect(after.connection - before.connection, 'gap reads by single connections').toBe(0);
    expect(after.node - before.node, 'gap reads by the node').toBe(0);
    expect(after.reordered - before.reordered, 'events held at the node').toBeGreaterThanOrEqual(10);
    for (const c of clients) c.close();
  });

  it('a lost bus message is read once for the node and reaches every connection in order', async () => {
    const { owner, id, clients } = await groupWithClients(30);
    await call('POST', `/conversations/${id}/messages`, owner, { body: 'first' });
    await waitFor(() => clients.every((c) => seqsOf(c, id).length === 1), 'the first event everywhere', 10_000);
    const before = await gapReads(t.app as ParleyApp);
    bus.plan = (m) => (m.event.conversationId === id && (m.event.seq === 3 || m.event.seq === 6) ? 'drop' : 'now');
    for (let i = 2; i <= 8; i++) expect((await call('POST', `/conversations/${id}/messages`, owner, { body: `m${i}` })).statusCode).toBe(201);
    bus.plan = () => 'now';
    await waitFor(() => clients.every((c) => seqsOf(c, id).length >= 8), () => `8 events on every client (${clients.map((c) => seqsOf(c, id).length)})`, 10_000);
    for (const c of clients) expect(seqsOf(c, id)).toEqual(range(1, 8));
    const after = await gapReads(t.app as ParleyApp);
    expect(after.connection - before.connection, 'gap reads by single connections').toBe(0);
    expect(after.node - before.node, 'one read per lost message for the whole node').toBe(2);
    for (const c of clients) c.close();
  });
});

/** Two nodes on one database and one Redis: the first a test server, the second an app listening beside it. */
async function twoNodes(redis: TestRedis, name: string, busOptions: RedisBusOptions): Promise<{ first: TestServer; second: { app: ParleyApp; wsUrl: string } }> {
  const parts = async (nodeId: string) => {
    const bus = await RedisBus.connect(redis.url, nodeId, logger, busOptions);
    const presence = await RedisPresenceStore.connect(redis.url, nodeId, bus, logger, { prefix: busOptions.prefix });
    return { bus, presence };
  };
  const p1 = await parts(`${name}-1`);
  const first = await startTestServer({}, { bus: p1.bus, presenceStore: p1.presence });
  const p2 = await parts(`${name}-2`);
  const app2 = await buildApp({ config: first.config, database: first.database, logger, bus: p2.bus, presenceStore: p2.presence });
  await app2.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app2.server.address() as { port: number };
  return { first, second: { app: app2, wsUrl: `ws://127.0.0.1:${port}/api/v1/ws` } };
}

describe('two nodes over Redis, members on both, senders on both', () => {
  let redis: TestRedis;
  let first: TestServer;
  let second: { app: ParleyApp; wsUrl: string };
  const prefix = `order${process.pid}:`;

  beforeAll(async () => {
    redis = await TestRedis.start();
    ({ first, second } = await twoNodes(redis, 'order', { prefix }));
  });
  afterAll(async () => {
    await second?.app.close();
    await first?.close();
    await redis?.kill();
  });

  it('concurrent sends through both nodes reach every connection on both in seq order, each once, with no per-connection read', async () => {
    const owner = await register(first.app);
    const members = await Promise.all(Array.from({ length: 40 }, () => register(first.app)));
    const call1 = apiCaller(() => first.app);
    const g = (await call1('POST', '/groups', owner, { name: uniqueName('two-node order'), memberIds: members.map((m) => m.user.id) })).json() as { id: string };
    const clients = await Promise.all(members.map((m, i) => WsClient.connect(i % 2 ? second.wsUrl : first.wsUrl, m.token)));
    // Both nodes learn the conversation's position from an event that is not reordered.
    await call1('POST', `/conversations/${g.id}/messages`, owner, { body: 'first' });
    await waitFor(() => clients.every((c) => seqsOf(c, g.id).length === 1), 'the first event everywhere', 10_000);
    const before = [await gapReads(first.app as ParleyApp), await gapReads(second.app)];
    // Ten senders, half on each node, over WebSocket: their batches commit in one order and
    // reach each node in another.
    const senders = clients.slice(0, 10);
    const total = 1 + senders.length * 12;
    await Promise.all(
      senders.map(async (c, i) => {
        for (let k = 0; k < 12; k++) {
          const r = await c.request({ type: 'message.send', conversationId: g.id, body: `s${i}-${k}`, clientMsgId: `s${i}-${k}-${process.pid}` });
          expect(r.type).toBe('ack');
        }
      }),
    );
    await waitFor(() => clients.every((c) => seqsOf(c, g.id).length >= total), `${total} events on every client`, 20_000);
    for (const c of clients) expect(seqsOf(c, g.id)).toEqual(range(1, total));
    const after = [await gapReads(first.app as ParleyApp), await gapReads(second.app)];
    for (const n of [0, 1]) {
      expect(after[n]!.connection - before[n]!.connection, `gap reads by single connections on node ${n + 1}`).toBe(0);
      // A read by the node only for a message the bus lost: never more than one per gap it held.
      expect(after[n]!.node - before[n]!.node).toBeLessThanOrEqual(Math.max(0, after[n]!.reordered - before[n]!.reordered));
    }
    for (const c of clients) c.close();
  });
});

/** A counter of a node's /metrics. */
async function metric(app: ParleyApp, name: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('two nodes over Redis: a large group\'s events go without their member list', () => {
  let redis: TestRedis;
  let first: TestServer;
  let second: { app: ParleyApp; wsUrl: string };
  const prefix = `unlisted${process.pid}:`;

  beforeAll(async () => {
    redis = await TestRedis.start();
    // Groups of more than 4 members count as large here; both nodes speak the same bus format.
    ({ first, second } = await twoNodes(redis, 'unlisted', { prefix, listMembersUpTo: 4, peerWaitMs: 0 }));
  });
  afterAll(async () => {
    await second?.app.close();
    await first?.close();
    await redis?.kill();
  });

  const call = apiCaller(() => first.app);
  const unlisted = async () => (await metric(first.app as ParleyApp, 'parley_bus_events_unlisted_total')) + (await metric(second.app, 'parley_bus_events_unlisted_total'));

  it('each node routes them by the members it keeps, following joins and leaves, in order and once', async () => {
    const owner = await register(first.app);
    const members = await Promise.all(Array.from({ length: 8 }, () => register(first.app)));
    const [joiner, leaver] = [await register(first.app), members[1]!];
    const created = await call('POST', '/groups', owner, { name: uniqueName('unlisted'), memberIds: members.map((m) => m.user.id) });
    expect(created.statusCode, created.body).toBe(201);
    const g = created.json() as { id: string };
    // Members on both nodes; the one who will join is connected to the second node beforehand.
    const clients = await Promise.all(members.map((m, i) => WsClient.connect(i % 2 ? second.wsUrl : first.wsUrl, m.token)));
    const joinerClient = await WsClient.connect(second.wsUrl, joiner.token);
    // Both nodes learn the conversation's position from an event that is not reordered (a node
    // takes a conversation's first event as in order).
    await call('POST', `/conversations/${g.id}/messages`, owner, { body: 'first' });
    await waitFor(() => clients.every((c) => seqsOf(c, g.id).length === 1), 'the first event everywhere', 10_000);
    const unlistedBefore = await unlisted();
    const loadsBefore = await metric(second.app, 'parley_node_member_loads_total');
    const gapsBefore = [await gapReads(first.app as ParleyApp), await gapReads(second.app)];

    // Sends through both nodes, over WebSocket.
    const sendAll = async (round: string, senders: WsClient[]) =>
      Promise.all(
        senders.map(async (c, i) => {
          for (let k = 0; k < 5; k++) {
            const r = await c.request({ type: 'message.send', conversationId: g.id, body: `${round}${i}-${k}`, clientMsgId: `${round}${i}-${k}-${process.pid}` });
            expect(r.type, JSON.stringify(r)).toBe('ack');
          }
        }),
      );
    await sendAll('a', [clients[0]!, clients[2]!, clients[3]!, clients[5]!]);
    await waitFor(() => clients.every((c) => seqsOf(c, g.id).length >= 21), '21 events on every client', 10_000);
    expect(await unlisted(), 'events sent without their member list').toBeGreaterThan(unlistedBefore);

    // The joiner (on the second node) is added through the first node, and messages follow only
    // through the first node: the second node learns of the joiner from member.joined alone.
    const firstNodeSenders = [clients[0]!, clients[2]!, clients[4]!, clients[6]!];
    expect((await call('POST', `/groups/${g.id}/members`, owner, { userId: joiner.user.id })).statusCode).toBe(201);
    await sendAll('b', firstNodeSenders);
    // Then the leaver (on the second node) is removed, and more messages follow.
    expect((await call('DELETE', `/groups/${g.id}/members/${leaver.user.id}`, owner)).statusCode).toBe(204);
    await sendAll('c', firstNodeSenders);
    const total = 1 + 20 + 1 + 20 + 1 + 20;
    const stayed = clients.filter((_, i) => i !== 1);
    await waitFor(() => stayed.every((c) => seqsOf(c, g.id).length >= total), `${total} events on every member's client`, 10_000);
    for (const c of stayed) expect(seqsOf(c, g.id)).toEqual(range(1, total));
    // The joiner gets everything from their joining on; the leaver nothing after leaving.
    await waitFor(() => seqsOf(joinerClient, g.id).length >= total - 21, 'the joiner\'s events', 10_000);
    expect(seqsOf(joinerClient, g.id)).toEqual(range(22, total));
    expect(seqsOf(clients[1]!, g.id)).toEqual(range(1, 43));
    // Nobody got there by reading a gap alone: each node routed every event to its members.
    const gapsAfter = [await gapReads(first.app as ParleyApp), await gapReads(second.app)];
    for (const n of [0, 1]) expect(gapsAfter[n]!.connection - gapsBefore[n]!.connection, `gap reads by single connections on node ${n + 1}`).toBe(0);
    // The second node read the members at most once (it may also have had them from a listed event).
    expect((await metric(second.app, 'parley_node_member_loads_total')) - loadsBefore).toBeLessThanOrEqual(1);
    for (const c of [...clients, joinerClient]) c.close();
  });

  it('events published together travel to the other node in one Redis message, in order', async () => {
    const { Redis } = await import('../../src/events/redis-bus.js');
    const raw = new Redis(redis.url);
    const envelopes: { m?: { event?: { conversationId?: string; seq?: number } }; ms?: { event?: { conversationId?: string; seq?: number } }[] }[] = [];
    await raw.subscribe(`${prefix}bus`);
    raw.on('message', (_channel: string, text: string) => {
      if (!text.startsWith('hb:')) envelopes.push(JSON.parse(text));
    });
    try {
      const owner = await register(first.app);
      const members = await Promise.all(Array.from({ length: 6 }, () => register(first.app)));
      const g = (await call('POST', '/groups', owner, { name: uniqueName('batched'), memberIds: members.map((m) => m.user.id) })).json() as { id: string };
      const clients = await Promise.all(members.map((m, i) => WsClient.connect(i % 2 ? second.wsUrl : first.wsUrl, m.token)));
      await call('POST', `/conversations/${g.id}/messages`, owner, { body: 'first' });
      await waitFor(() => clients.every((c) => seqsOf(c, g.id).length === 1), 'the first event everywhere', 10_000);
      // Handing ownership over writes two member.updated events in one transaction.
      expect((await call('PATCH', `/groups/${g.id}/members/${members[0]!.user.id}`, owner, { role: 'owner' })).statusCode).toBe(200);
      await waitFor(() => clients.every((c) => seqsOf(c, g.id).length >= 3), '3 events on every client', 10_000);
      for (const c of clients) expect(seqsOf(c, g.id)).toEqual(range(1, 3));
      const together = envelopes.find((e) => e.ms?.some((m) => m.event?.conversationId === g.id));
      expect(together?.ms?.map((m) => m.event?.seq)).toEqual([2, 3]);
      for (const c of clients) c.close();
    } finally {
      raw.disconnect();
    }
  });

  it('a node of an earlier release on the bus (its heartbeat has no version) gets every list again', async () => {
    const { Redis } = await import('../../src/events/redis-bus.js');
    const raw = new Redis(redis.url);
    try {
      await raw.publish(`${prefix}bus`, 'hb:node-of-the-previous-release');
      const owner = await register(first.app);
      const members = await Promise.all(Array.from({ length: 6 }, () => register(first.app)));
      const g = (await call('POST', '/groups', owner, { name: uniqueName('old peer'), memberIds: members.map((m) => m.user.id) })).json() as { id: string };
      const clients = await Promise.all(members.map((m, i) => WsClient.connect(i % 2 ? second.wsUrl : first.wsUrl, m.token)));
      // The heartbeat has reached both nodes once their own came back through the same channel.
      const before = await unlisted();
      const envelopes: string[] = [];
      const listener = new Redis(redis.url);
      await listener.subscribe(`${prefix}bus`);
      listener.on('message', (_channel: string, text: string) => void envelopes.push(text));
      for (let i = 1; i <= 5; i++) expect((await call('POST', `/conversations/${g.id}/messages`, owner, { body: `m${i}` })).statusCode).toBe(201);
      // Two events in one transaction go as two messages the earlier release can read.
      expect((await call('PATCH', `/groups/${g.id}/members/${members[0]!.user.id}`, owner, { role: 'owner' })).statusCode).toBe(200);
      await waitFor(() => clients.every((c) => seqsOf(c, g.id).length >= 7), '7 events on every client', 10_000);
      for (const c of clients) expect(seqsOf(c, g.id)).toEqual(range(1, 7));
      expect(await unlisted()).toBe(before);
      const ours = envelopes.filter((t) => t.includes(g.id)).map((t) => JSON.parse(t) as { m?: unknown; ms?: unknown });
      expect(ours.length).toBeGreaterThanOrEqual(7);
      expect(ours.every((e) => e.m && !e.ms)).toBe(true);
      listener.disconnect();
      for (const c of clients) c.close();
    } finally {
      raw.disconnect();
    }
  });
});
