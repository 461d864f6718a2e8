/**
 * Two nodes in one process, sharing one database, each with its own Redis bus and presence store
 * on a real redis-server: events, typing and presence cross nodes; a dead node's users go
 * offline; a Redis restart loses nothing a client sees. (The separate-process version with nginx
 * and kill -9 is cluster-process.test.ts.)
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { RedisBus } from '../../src/events/redis-bus.js';
import { RedisPresenceStore } from '../../src/realtime/presence-store.js';
import { apiCaller, register, uniqueName, type Account } from '../helpers/app.js';
import { waitFor } from '../helpers/kit.js';
import { TestRedis } from '../helpers/redis.js';
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';

const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent', logDir: null, pretty: false });
const GRACE_MS = 200;
const NODE_TTL_MS = 1500;
let prefixCount = 0;

interface Node {
  app: ParleyApp;
  wsUrl: string;
  bus: RedisBus;
  presence: RedisPresenceStore;
}

let redis: TestRedis;
let first: TestServer;
let n1: Node;
let n2: Node;
const prefix = `t${process.pid}-${++prefixCount}:`;
/** Registers as the site admin (custom emoji). */
const ADMIN_USERNAME = uniqueName('siteadm');

async function redisParts(url: string, nodeId: string): Promise<{ bus: RedisBus; presence: RedisPresenceStore }> {
  const bus = await RedisBus.connect(url, nodeId, logger, { prefix });
  const presence = await RedisPresenceStore.connect(url, nodeId, bus, logger, { prefix, nodeTtlMs: NODE_TTL_MS });
  return { bus, presence };
}

beforeAll(async () => {
  redis = await TestRedis.start();
  const p1 = await redisParts(redis.url, 'node-1');
  first = await startTestServer({ ADMIN_USERNAME }, { bus: p1.bus, presenceStore: p1.presence, presenceGraceMs: GRACE_MS });
  n1 = { app: first.app as ParleyApp, wsUrl: first.wsUrl, ...p1 };
  // The second node: the same database, its own bus, presence and sockets.
  const p2 = await redisParts(redis.url, 'node-2');
  const app2 = await buildApp({ config: first.config, database: first.database, logger, bus: p2.bus, presenceStore: p2.presence, presenceGraceMs: GRACE_MS });
  await app2.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app2.server.address() as { port: number };
  n2 = { app: app2, wsUrl: `ws://127.0.0.1:${port}/api/v1/ws`, ...p2 };
});

afterAll(async () => {
  await n2?.app.close();
  await first?.close();
  await redis?.kill();
});

const call = apiCaller(() => n1.app);

async function ok(res: ReturnType<typeof call>, status: number): Promise<Frame> {
  const r = await res;
  expect(r.statusCode, r.body).toBe(status);
  return r.body ? (r.json() as Frame) : {};
}

async function groupOf(owner: Account, members: Account[]): Promise<string> {
  const g = await ok(call('POST', '/groups', owner, { name: uniqueName('g'), memberIds: members.map((m) => m.user.id) }), 201);
  return g.id as string;
}

/** The seqs of a conversation's events on a client, which must be consecutive and unique. */
function seqs(c: WsClient, conversationId: string): number[] {
  return c.events(conversationId).map((e) => e.seq as number);
}

describe('Redis bus across two nodes', () => {
  it('delivers messages sent on either node to members on the other, live, in seq order and once', async () => {
    const alice = await register(n1.app);
    const bob = await register(n1.app);
    const group = await groupOf(alice, [bob]);
    const a = await WsClient.connect(n1.wsUrl, alice.token);
    const b = await WsClient.connect(n2.wsUrl, bob.token);
    const sends: Promise<Frame>[] = [];
    for (let i = 0; i < 20; i++) {
      const [who, body] = i % 2 ? [b, `from bob ${i}`] : [a, `from alice ${i}`];
      sends.push(who.request({ type: 'message.send', conversationId: group, body, clientMsgId: `m${i}` }));
    }
    const acks = await Promise.all(sends);
    expect(acks.every((f) => f.type === 'ack')).toBe(true);
    const last = Math.max(...acks.map((f) => f.message.seq as number));
    await a.next((f) => f.conversationId === group && f.seq === last);
    await b.next((f) => f.conversationId === group && f.seq === last);
    for (const c of [a, b]) {
      const got = seqs(c, group);
      expect(got).toEqual(Array.from({ length: got.length }, (_, i) => got[0]! + i));
      expect(got.at(-1)).toBe(last);
    }
    expect(b.events(group).filter((e) => e.type === 'message.created')).toHaveLength(20);
    expect(n2.bus.stats.received).toBeGreaterThan(0);
    a.close();
    b.close();
  });

  it('tells co-members on the other node of presence and typing; REST presence sees every node', async () => {
    const alice = await register(n1.app);
    const bob = await register(n1.app);
    const group = await groupOf(alice, [bob]);
    const a = await WsClient.connect(n1.wsUrl, alice.token);
    const b = await WsClient.connect(n2.wsUrl, bob.token);
    await a.next((f) => f.type === 'presence' && f.userId === bob.user.id && f.online === true);
    // Node 1 has no socket of bob's, yet knows he is online.
    const seen = await ok(call('GET', `/users/${bob.user.id}`, alice), 200);
    expect(seen.online).toBe(true);

    b.send({ type: 'typing', conversationId: group });
    const typing = await a.next((f) => f.type === 'typing' && f.userId === bob.user.id);
    expect(typing.conversationId).toBe(group);

    b.close();
    await b.closed;
    const off = await a.next((f) => f.type === 'presence' && f.userId === bob.user.id && f.online === false, 5000);
    expect(typeof off.lastSeenAt).toBe('string');
    const after = await ok(call('GET', `/users/${bob.user.id}`, alice), 200);
    expect(after.online).toBe(false);
    a.close();
  });

  it('does not flap when a user moves to another node within the grace period', async () => {
    const alice = await register(n1.app);
    const bob = await register(n1.app);
    await groupOf(alice, [bob]);
    const a = await WsClient.connect(n1.wsUrl, alice.token);
    const b1 = await WsClient.connect(n2.wsUrl, bob.token);
    await a.next((f) => f.type === 'presence' && f.userId === bob.user.id && f.online === true);
    b1.close();
    await b1.closed;
    const b2 = await WsClient.connect(n1.wsUrl, bob.token);
    // Node 2's grace period passes: it takes bob off there (Redis then has node 1 only), but
    // node 1 still holds him, so nobody is told he left.
    const watcher = new Redis(redis.url);
    const nodesOfBob = () => watcher.smembers(`${prefix}presence:${bob.user.id}`);
    const deadline = Date.now() + 5000;
    while (JSON.stringify(await nodesOfBob()) !== '["node-1"]' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await nodesOfBob()).toEqual(['node-1']);
    await watcher.quit();
    await new Promise((r) => setTimeout(r, 200));
    expect(a.frames.filter((f) => f.type === 'presence' && f.userId === bob.user.id && f.online === false)).toEqual([]);
    b2.close();
    await a.next((f) => f.type === 'presence' && f.userId === bob.user.id && f.online === false, 5000);
    a.close();
  });

  it("takes a dead node's users offline within its heartbeat TTL", async () => {
    const alice = await register(n1.app);
    const carol = await register(n1.app);
    await groupOf(alice, [carol]);
    const a = await WsClient.connect(n1.wsUrl, alice.token);
    // A third node holds carol, then dies without a word (its Redis connection and heartbeat stop).
    const doomed = await redisParts(redis.url, 'node-3');
    expect(await doomed.presence.join(carol.user.id)).toBe(true);
    doomed.presence.changed(carol.user.id, true);
    await waitFor(() => n1.presence.onlineElsewhere(carol.user.id), 'carol online on node 1', 2000);
    const died = Date.now();
    const internals = doomed.presence as unknown as { timer: NodeJS.Timeout; redis: Redis };
    clearInterval(internals.timer);
    internals.redis.disconnect();
    const bus = doomed.bus as unknown as { pub: Redis; sub: Redis };
    bus.pub.disconnect();
    bus.sub.disconnect();

    await a.next((f) => f.type === 'presence' && f.userId === carol.user.id && f.online === false, NODE_TTL_MS * 4);
    // Within the TTL plus a sweep interval, with slack for a loaded machine.
    expect(Date.now() - died).toBeLessThan(NODE_TTL_MS * 4);
    const seen = await ok(call('GET', `/users/${carol.user.id}`, alice), 200);
    expect(seen.online).toBe(false);
    a.close();
  });

  it('logging out on one node closes the token\'s sockets on the other', async () => {
    const alice = await register(n1.app);
    const c = await WsClient.connect(n2.wsUrl, alice.token);
    const r = await n1.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${alice.token}` } });
    expect(r.statusCode).toBe(204);
    expect(await c.closed).toBe(4401);
  });

  it('a custom emoji added or deleted on one node reaches every socket on every node (a site-wide frame)', async () => {
    const admin = await register(n1.app, ADMIN_USERNAME);
    const stranger = await register(n1.app);
    const [here, there] = await Promise.all([WsClient.connect(n1.wsUrl, stranger.token), WsClient.connect(n2.wsUrl, stranger.token)]);
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
    const boundary = 'clusteremoji';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\ncluster_cat\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.png"\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const added = await n1.app.inject({ method: 'POST', url: '/api/v1/emoji', headers: { authorization: `Bearer ${admin.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(added.statusCode, added.body).toBe(201);
    for (const c of [here, there]) expect((await c.next((f) => f.type === 'emoji.created')).emoji).toEqual(added.json());
    expect((await n2.app.inject({ method: 'DELETE', url: '/api/v1/emoji/cluster_cat', headers: { authorization: `Bearer ${admin.token}` } })).statusCode).toBe(204);
    for (const c of [here, there]) expect(await c.next((f) => f.type === 'emoji.deleted')).toEqual({ type: 'emoji.deleted', name: 'cluster_cat' });
    here.close();
    there.close();
  });

  it('ignores malformed messages on the channel', async () => {
    const alice = await register(n1.app);
    const bob = await register(n1.app);
    const group = await groupOf(alice, [bob]);
    const b = await WsClient.connect(n2.wsUrl, bob.token);
    const raw = new Redis(redis.url);
    for (const junk of ['not json', '{"o":"x"}', '{"o":"x","m":{"kind":"nope"}}', '{"o":"x","m":{"kind":"event"}}']) {
      await raw.publish(`${prefix}bus`, junk);
    }
    await raw.quit();
    await ok(call('POST', `/conversations/${group}/messages`, alice, { body: 'still here' }), 201);
    const got = await b.next((f) => f.type === 'message.created' && f.conversationId === group);
    expect(got.message.body).toBe('still here');
    b.close();
  });

  it('a node whose publishes failed tells the others to catch up once its publisher is back', async () => {
    const alice = await register(n1.app);
    const bob = await register(n1.app);
    const group = await groupOf(alice, [bob]);
    const b = await WsClient.connect(n2.wsUrl, bob.token);
    await ok(call('POST', `/conversations/${group}/messages`, alice, { body: 'before' }), 201);
    await b.next((f) => f.type === 'message.created' && f.message.body === 'before');
    // Only node 1's publisher goes away: node 2 stays subscribed and hears nothing amiss.
    const pub = (n1.bus as unknown as { pub: Redis }).pub;
    pub.disconnect();
    for (let i = 0; i < 3; i++) await ok(call('POST', `/conversations/${group}/messages`, alice, { body: `unpublished ${i}` }), 201);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.events(group).map((e) => e.message?.body)).toEqual(['before']);
    await pub.connect();
    // No further traffic: node 1's reset makes node 2 fill bob's stream from the database.
    await b.next((f) => f.type === 'message.created' && f.message.body === 'unpublished 2', 10_000);
    expect(b.events(group).map((e) => e.message.body)).toEqual(['before', 'unpublished 0', 'unpublished 1', 'unpublished 2']);
    b.close();
  });

  it('loses nothing across a Redis restart: each node catches its sockets up from the database', async () => {
    const alice = await register(n1.app);
    const bob = await register(n1.app);
    const carol = await register(n1.app);
    const dave = await register(n1.app);
    const erin = await register(n1.app);
    const group = await groupOf(alice, [bob, carol, dave]);
    const b = await WsClient.connect(n2.wsUrl, bob.token);
    const c = await WsClient.connect(n2.wsUrl, carol.token);
    const d = await WsClient.connect(n2.wsUrl, dave.token);
    const a = await WsClient.connect(n1.wsUrl, alice.token);
    await ok(call('POST', `/conversations/${group}/messages`, alice, { body: 'before' }), 201);
    await b.next((f) => f.type === 'message.created' && f.message.body === 'before');
    const resetsBefore = n2.bus.stats.resets;

    await redis.kill();
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await ok(call('POST', `/conversations/${group}/messages`, alice, { body: `during ${i}` }), 201);
      sent.push(m.seq as number);
    }
    // Carol joins another group meanwhile: her node cannot know where that stream starts.
    await groupOf(alice, [carol]);
    // Dave is removed and added back: his node never saw him leave.
    await ok(call('DELETE', `/groups/${group}/members/${dave.user.id}`, alice), 204);
    await ok(call('POST', `/groups/${group}/members`, alice, { userId: dave.user.id }), 201);
    // Erin comes online on node 2 while its presence message cannot reach node 1.
    await groupOf(erin, [alice]);
    const e = await WsClient.connect(n2.wsUrl, erin.token);
    await redis.restart();

    // Bob asked for nothing: the node noticed it had lost the bus and filled the gap itself.
    await b.next((f) => f.conversationId === group && f.seq === sent.at(-1), 15_000);
    const got = b.events(group);
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: got.length }, (_, i) => got[0]!.seq + i));
    expect(got.filter((e) => e.type === 'message.created').map((e) => e.message.body)).toEqual(['before', ...sent.map((_, i) => `during ${i}`)]);
    // Node 2's own subscriber notices it reconnected (node 1's published reset may have caught Bob up first).
    await waitFor(() => n2.bus.stats.resets > resetsBefore, "node 2's reset after its subscriber reconnected", 15_000);
    // Carol's and Dave's connections are told to reconnect and sync (1012).
    expect(await c.closed).toBe(1012);
    expect(await d.closed).toBe(1012);
    // Presence lost during the outage is found again: node 1 knows erin is online on node 2.
    // (Alice's own socket was closed with 1012 too: she joined erin's group meanwhile.)
    let erinOnline = false;
    for (let i = 0; i < 60 && !erinOnline; i++) {
      erinOnline = (await ok(call('GET', `/users/${erin.user.id}`, alice), 200)).online === true;
      if (!erinOnline) await new Promise((r) => setTimeout(r, 200));
    }
    expect(erinOnline).toBe(true);
    a.close();
    e.close();

    // And the bus works again, both ways.
    await ok(call('POST', `/conversations/${group}/messages`, alice, { body: 'after' }), 201);
    await b.next((f) => f.type === 'message.created' && f.message.body === 'after', 10_000);
    b.close();
  });
});
