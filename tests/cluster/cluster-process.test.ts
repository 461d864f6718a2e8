/**
 * Parley as it is deployed at scale: separate node processes (`npm start`'s entry) on a real
 * PostgreSQL and redis-server, behind Debian's nginx with the repository's configuration. Runs
 * in the PostgreSQL phase of `npm test` (it needs TEST_DATABASE_URL; PGlite is one process).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgresDatabase, dbKind, uniqueName } from '../helpers/app.js';
import { ChatClient, startTraffic } from '../helpers/chat-client.js';
import { waitFor } from '../helpers/kit.js';
import { TestNginx } from '../helpers/nginx.js';
import { api, freePort, startServer, waitReady, type ServerProcess } from '../helpers/process.js';
import { TestRedis } from '../helpers/redis.js';
import { WsClient, type Frame } from '../helpers/ws.js';

interface Account {
  token: string;
  user: { id: string; username: string };
}

describe.runIf(dbKind === 'postgres')('several node processes behind nginx', () => {
  let redis: TestRedis;
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  const nodes: ServerProcess[] = [];
  let nginx: TestNginx;

  function nodeEnv(name: string): Record<string, string> {
    return {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      DATA_DIR: path.join(dir, name, 'data'),
      LOG_DIR: path.join(dir, name, 'logs'),
      // Shared by every node, as an NFS mount or object store would be.
      UPLOAD_DIR: path.join(dir, 'uploads'),
      LOG_LEVEL: 'warn',
      RATE_LIMIT: 'off',
      TRUST_PROXY: 'loopback',
    };
  }

  async function startNode(name: string, port?: number): Promise<ServerProcess> {
    const node = startServer(nodeEnv(name), port ?? (await freePort()));
    await waitReady(node);
    return node;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-cluster-'));
    redis = await TestRedis.start();
    db = await createTestPostgresDatabase();
    // One after the other: the first applies the migrations (the others would wait on its lock).
    nodes.push(await startNode('n1'));
    nodes.push(await startNode('n2'));
    nginx = await TestNginx.start(nodes.map((n) => n.port));
  }, 180_000);

  afterAll(async () => {
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await nginx?.stop();
    await redis?.kill();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const viaNginx = () => ({ base: nginx.httpUrl }) as ServerProcess;

  async function account(): Promise<Account> {
    const r = await api(viaNginx(), 'POST', '/auth/register', { username: uniqueName('c'), password: 'correct horse' });
    expect(r.status).toBe(201);
    return r.json as Account;
  }

  async function group(owner: Account, members: Account[]): Promise<string> {
    const r = await api(viaNginx(), 'POST', '/groups', { name: uniqueName('g'), memberIds: members.map((m) => m.user.id) }, owner.token);
    expect(r.status).toBe(201);
    return r.json.id as string;
  }

  /** Every acked message is in every client's stream exactly once, in seq order, and stored once. */
  async function expectConverged(clients: ChatClient[], conversationId: string, owner: Account): Promise<void> {
    const acked = new Map<string, Frame>();
    for (const c of clients) for (const [id, m] of c.acked) acked.set(id, m);
    const lastSeq = Math.max(...[...acked.values()].map((m) => m.seq as number));
    await waitFor(() => clients.every((c) => (c.cursors.get(conversationId) ?? 0) >= lastSeq), 'every client to reach the last acked seq', 30_000);
    for (const c of clients) {
      expect(c.violations).toEqual([]);
      const bodies = c.events.get(conversationId)!.filter((e) => e.type === 'message.created').map((e) => e.message.clientMsgId as string);
      expect(new Set(bodies).size).toBe(bodies.length);
      for (const id of acked.keys()) expect(bodies).toContain(id);
    }
    // Stored once each: the whole history holds every acked message, without repeats.
    const stored: string[] = [];
    let before = '';
    for (;;) {
      const page = await api(viaNginx(), 'GET', `/conversations/${conversationId}/messages?limit=100${before}`, undefined, owner.token);
      expect(page.status).toBe(200);
      const messages = page.json.messages as Frame[];
      stored.push(...messages.map((m) => m.clientMsgId as string).filter(Boolean));
      if (!page.json.hasMore || messages.length === 0) break;
      before = `&before=${messages[0]!.seq as number}`;
    }
    expect(new Set(stored).size).toBe(stored.length);
    for (const id of acked.keys()) expect(stored).toContain(id);
  }

  it('a client on node 1 and a client on node 2 chat live, with presence and typing across', async () => {
    const alice = await account();
    const bob = await account();
    const g = await group(alice, [bob]);
    const a = await WsClient.connect(`ws://127.0.0.1:${nodes[0]!.port}/api/v1/ws`, alice.token);
    const b = await WsClient.connect(`ws://127.0.0.1:${nodes[1]!.port}/api/v1/ws`, bob.token);
    await a.next((f) => f.type === 'presence' && f.userId === bob.user.id && f.online === true, 10_000);
    const ack = await a.request({ type: 'message.send', conversationId: g, body: '你好, node 2', clientMsgId: 'hello-1' });
    expect(ack.type).toBe('ack');
    const got = await b.next((f) => f.type === 'message.created' && f.conversationId === g, 10_000);
    expect(got.message.body).toBe('你好, node 2');
    const reply = await b.request({ type: 'message.send', conversationId: g, body: 'hi from node 2', clientMsgId: 'hello-2' });
    await a.next((f) => f.type === 'message.created' && f.message.id === reply.message.id, 10_000);
    b.send({ type: 'typing', conversationId: g });
    await a.next((f) => f.type === 'typing' && f.userId === bob.user.id, 10_000);
    // REST through nginx, whichever node answers, knows bob is online.
    for (let i = 0; i < 4; i++) {
      const r = await api(viaNginx(), 'GET', `/users/${bob.user.id}`, undefined, alice.token);
      expect(r.json.online).toBe(true);
    }
    a.close();
    b.close();
  });

  it('kill -9 of a node mid-traffic: its clients reconnect through nginx and lose no acked message', async () => {
    const owner = await account();
    const members = await Promise.all([1, 2, 3].map(() => account()));
    const g = await group(owner, members);
    const everyone = [owner, ...members];
    const clients = everyone.map((u) => new ChatClient(nginx.wsUrl, u.token).follow(g, 0).start());
    await waitFor(() => clients.every((c) => c.online), 'all clients online', 15_000);

    const stopTraffic = startTraffic(clients, g);
    await waitFor(() => clients.every((c) => c.acked.size >= 5), 'traffic under way', 15_000);

    const victim = nodes[0]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    // Least-connections put some of the four clients on the dead node: they come back via nginx.
    await waitFor(() => clients.some((c) => c.readyCount > 1), 'a client to reconnect', 15_000);
    await waitFor(() => clients.every((c) => c.online), 'all clients online again', 15_000);
    await new Promise((r) => setTimeout(r, 500));
    await stopTraffic();

    await waitFor(() => clients.every((c) => c.pending.size === 0), 'every send acked', 30_000);
    expect(clients.flatMap((c) => [...c.refused.values()])).toEqual([]);
    await expectConverged(clients, g, owner);
    for (const c of clients) c.stop();

    // The node comes back on its port and takes clients again.
    nodes[0] = await startNode('n1', victim.port);
  });

  it('a redis-server restart mid-traffic loses no acked message and every client converges', async () => {
    const owner = await account();
    const members = await Promise.all([1, 2, 3].map(() => account()));
    const g = await group(owner, members);
    // Two clients on each node, directly, so events must cross the bus.
    const clients = [owner, ...members].map((u, i) => new ChatClient(`ws://127.0.0.1:${nodes[i % 2]!.port}/api/v1/ws`, u.token).follow(g, 0).start());
    await waitFor(() => clients.every((c) => c.online), 'all clients online', 15_000);

    const stopTraffic = startTraffic(clients, g);
    await waitFor(() => clients.every((c) => c.acked.size >= 5), 'traffic under way', 15_000);
    await redis.kill();
    const ackedBeforeOutage = clients.reduce((n, c) => n + c.acked.size, 0);
    await new Promise((r) => setTimeout(r, 1000));
    // Traffic stops before Redis returns: no later live event can reveal the gap, so only the
    // nodes' own catch-up brings the other node's messages to each client.
    await stopTraffic();
    await waitFor(() => clients.every((c) => c.pending.size === 0), 'sends acked while Redis is away', 15_000);
    // Sends went on while Redis was away: PostgreSQL alone decides what is stored.
    expect(clients.reduce((n, c) => n + c.acked.size, 0)).toBeGreaterThan(ackedBeforeOutage);
    await redis.restart();

    await waitFor(() => clients.every((c) => c.pending.size === 0), 'every send acked', 30_000);
    await expectConverged(clients, g, owner);
    for (const c of clients) c.stop();
  });

  it('WORKERS=2 runs two worker processes on one port, restarts one that dies, and drains on SIGTERM', async () => {
    const port = await freePort();
    const server = startServer({ ...nodeEnv('workers'), WORKERS: '2', LOG_LEVEL: 'info' }, port);
    await waitReady(server);
    const started = () =>
      server
        .output()
        .split('\n')
        .filter((l) => l.includes('"worker started"'))
        .map((l) => JSON.parse(l) as { pid: number; worker: number });
    await waitFor(() => started().length === 2, 'two workers', 30_000);
    expect(new Set(started().map((w) => w.pid)).size).toBe(2);

    // Connections are dealt to the workers in turn: members on both must hear each other.
    const owner = await account();
    const members = await Promise.all([1, 2, 3].map(() => account()));
    const g = await group(owner, members);
    const clients = [owner, ...members].map((u) => new ChatClient(`ws://127.0.0.1:${port}/api/v1/ws`, u.token).follow(g, 0).start());
    await waitFor(() => clients.every((c) => c.online), 'all clients online', 15_000);
    clients.forEach((c, i) => c.send(g, `hello from ${i}`));
    await waitFor(() => clients.every((c) => c.pending.size === 0), 'sends acked', 15_000);
    await expectConverged(clients, g, owner);

    // A worker killed outright is replaced; its clients come back on either worker.
    process.kill(started()[0]!.pid, 'SIGKILL');
    await waitFor(() => started().length === 3, 'a replacement worker', 30_000);
    expect(server.output()).toContain('worker died; restarting it');
    await waitFor(() => clients.every((c) => c.online), 'all clients online again', 30_000);
    clients.forEach((c, i) => c.send(g, `again from ${i}`));
    await waitFor(() => clients.every((c) => c.pending.size === 0), 'sends acked', 15_000);
    await expectConverged(clients, g, owner);
    for (const c of clients) c.stop();

    server.child.kill('SIGTERM');
    const t0 = Date.now();
    expect(await server.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('refuses to start, naming Redis, when REDIS_URL does not answer', async () => {
    const closed = await freePort();
    const server = startServer({ ...nodeEnv('no-redis'), REDIS_URL: `redis://127.0.0.1:${closed}` }, await freePort());
    const t0 = Date.now();
    expect(await server.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(server.output()).toContain('could not connect to Redis');
  });
});
