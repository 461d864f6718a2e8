/**
 * PostgreSQL goes away under a running server (a real process, as `npm start` runs it):
 * every database-backed route answers 503 `unavailable` with Retry-After, WebSocket sends get
 * an `unavailable` error frame, /readyz fails while /healthz stays ok, nothing hangs, the process
 * stays up, and it recovers by itself when the database returns: sockets that stayed connected
 * send and receive again. Three faults: a proxy that refuses (the server is down), a proxy that
 * accepts and never answers (a hung server), and the cluster itself stopped and started.
 * PostgreSQL only (TEST_DATABASE_URL, from scripts/with-postgres.sh).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase } from '../../src/db/database.js';
import { createTestPostgresDatabase } from '../helpers/app.js';
import { createPostgresCluster, type PostgresCluster } from '../helpers/postgres-control.js';
import { api, processFixture, waitReady, type ServerProcess } from '../helpers/process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { WsClient } from '../helpers/ws.js';
import { waitFor } from '../helpers/kit.js';

const PG = Boolean(process.env.TEST_DATABASE_URL);
const { tempDir, start } = processFixture('parley-outage-');

/** Wall time of one request while the database is away: well under a client's patience. */
const MAX_ANSWER_MS = 5000;

function dirsEnv(root: string): Record<string, string> {
  return { DATA_DIR: path.join(root, 'data'), LOG_DIR: path.join(root, 'logs'), UPLOAD_DIR: path.join(root, 'uploads') };
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work;
  return { value, ms: performance.now() - t0 };
}

/** Whether /readyz answers 200 (a refused or failed request counts as no). */
function readyzOk(server: ServerProcess): Promise<boolean> {
  return fetch(`${server.base}/readyz`).then((res) => res.status === 200, () => false);
}

/** The readiness wait: /readyz asked every 200 ms, up to 20 s. */
const READY_WAIT_MS = 20_000;
const READY_POLL_MS = 200;

interface Scene {
  alice: { token: string; user: { id: string } };
  bob: { token: string; user: { id: string } };
  groupId: string;
  aliceWs: WsClient;
  bobWs: WsClient;
  wsUrl: string;
}

/** Two users in a group, both connected, one message through to prove the path works. */
async function setUp(server: ServerProcess): Promise<Scene> {
  const a = await api(server, 'POST', '/auth/register', { username: `alice${Date.now() % 1e6}`, password: 'password123' });
  const b = await api(server, 'POST', '/auth/register', { username: `bob${Date.now() % 1e6}`, password: 'password123' });
  expect(a.status).toBe(201);
  expect(b.status).toBe(201);
  const g = await api(server, 'POST', '/groups', { name: 'outage', memberIds: [b.json.user.id] }, a.json.token);
  expect(g.status).toBe(201);
  const wsUrl = `ws://127.0.0.1:${server.port}/api/v1/ws`;
  const aliceWs = await WsClient.connect(wsUrl, a.json.token);
  const bobWs = await WsClient.connect(wsUrl, b.json.token);
  const ack = await aliceWs.request({ type: 'message.send', conversationId: g.json.id, body: 'before', clientMsgId: 'before' });
  expect(ack.type).toBe('ack');
  await bobWs.next((f) => f.type === 'message.created' && f.message.body === 'before');
  return { alice: a.json, bob: b.json, groupId: g.json.id, aliceWs, bobWs, wsUrl };
}

/** While the database is away: what every kind of client sees. */
async function expectUnavailable(server: ServerProcess, s: Scene, label = 'during'): Promise<void> {
  const send = await timed(
    fetch(`${server.base}/api/v1/conversations/${s.groupId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.alice.token}` },
      body: JSON.stringify({ body: label, clientMsgId: `rest-${label}` }),
    }),
  );
  expect(send.value.status).toBe(503);
  expect(send.value.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(((await send.value.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  expect(send.ms).toBeLessThan(MAX_ANSWER_MS);

  // The rest at once (each may wait for a timeout when the database hangs).
  const late = await WsClient.open(s.wsUrl);
  const [rest, ready, health, frame, sync, lateClose] = await Promise.all([
    Promise.all(
      (
        [
          ['GET', '/conversations', undefined],
          ['GET', `/conversations/${s.groupId}/messages`, undefined],
          ['GET', '/users/me', undefined],
          ['POST', '/auth/login', { username: 'nobody_here', password: 'password123' }],
        ] as const
      ).map(async ([method, url, body]) => ({ url, ...(await timed(api(server, method, url, body, s.alice.token))) })),
    ),
    timed(fetch(`${server.base}/readyz`)),
    timed(fetch(`${server.base}/healthz`)),
    // A send on a socket that stays connected: the contract's error frame, with a retry hint.
    timed(s.aliceWs.request({ type: 'message.send', conversationId: s.groupId, body: label, clientMsgId: `ws-${label}` }, MAX_ANSWER_MS + 2000)),
    // A sync too: an error frame, and the socket stays open.
    s.aliceWs.request({ type: 'sync', cursors: { [s.groupId]: 0 } }, MAX_ANSWER_MS + 2000),
    // A new socket cannot authenticate now: closed with 1013 (try again later), not 4401.
    (late.send({ type: 'auth', token: s.bob.token }), late.closed),
  ]);
  for (const r of rest) {
    expect({ url: r.url, status: r.value.status, code: r.value.json?.error?.code }).toEqual({ url: r.url, status: 503, code: 'unavailable' });
    expect(r.ms).toBeLessThan(MAX_ANSWER_MS);
  }
  expect(ready.value.status).toBe(503);
  expect(ready.ms).toBeLessThan(MAX_ANSWER_MS);
  expect(health.value.status).toBe(200);
  expect(health.ms).toBeLessThan(1000);
  expect(frame.value).toMatchObject({ type: 'error', error: { code: 'unavailable' } });
  expect(frame.value.error.details.retryAfter).toBeGreaterThan(0);
  expect(frame.ms).toBeLessThan(MAX_ANSWER_MS);
  expect(sync).toMatchObject({ type: 'error', error: { code: 'unavailable' } });
  expect(lateClose).toBe(1013);

  expect(s.aliceWs.closeCode).toBeNull();
  expect(s.bobWs.closeCode).toBeNull();
  expect(server.child.exitCode).toBeNull();
}

/** After the database is back: no restart, the same sockets work, live delivery resumes. */
async function expectRecovered(server: ServerProcess, s: Scene, label = 'during'): Promise<number> {
  const ms = await waitFor(() => readyzOk(server), 'readyz 200 after the database returned', READY_WAIT_MS, READY_POLL_MS);
  // The send refused during the outage, retried with its clientMsgId: stored once, delivered live.
  const ack = await s.aliceWs.request({ type: 'message.send', conversationId: s.groupId, body: label, clientMsgId: `ws-${label}` });
  expect(ack.type).toBe('ack');
  await s.bobWs.next((f) => f.type === 'message.created' && f.message.clientMsgId === `ws-${label}`);
  // A pooled connection the restart killed may still answer one 503 before the pool replaces it:
  // the client retries with the same clientMsgId, as it would, and the message is stored once.
  let rest = await api(server, 'POST', `/conversations/${s.groupId}/messages`, { body: `after ${label}`, clientMsgId: `after-${label}` }, s.bob.token);
  for (let retry = 0; rest.status === 503 && retry < 5; retry++) {
    await new Promise((r) => setTimeout(r, 200));
    rest = await api(server, 'POST', `/conversations/${s.groupId}/messages`, { body: `after ${label}`, clientMsgId: `after-${label}` }, s.bob.token);
  }
  expect(rest.status).toBe(201);
  await s.aliceWs.next((f) => f.type === 'message.created' && f.message.clientMsgId === `after-${label}`);
  // Each once, the refused REST send not at all, seqs gap-free.
  const history = await api(server, 'GET', `/conversations/${s.groupId}/messages`, undefined, s.alice.token);
  const ids = history.json.messages.map((m: { clientMsgId: string }) => m.clientMsgId);
  expect(ids.filter((id: string) => id === `ws-${label}` || id === `after-${label}`)).toEqual([`ws-${label}`, `after-${label}`]);
  expect(ids).not.toContain(`rest-${label}`);
  expect(history.json.messages.map((m: { seq: number }) => m.seq)).toEqual(ids.map((_: string, i: number) => i + 1));
  // A new socket authenticates again.
  const again = await WsClient.connect(s.wsUrl, s.bob.token);
  again.close();
  expect(s.aliceWs.closeCode).toBeNull();
  expect(s.bobWs.closeCode).toBeNull();
  expect(server.child.exitCode).toBeNull();
  expect(server.output()).not.toMatch(/unhandled|uncaught/i);
  return ms;
}

describe.runIf(PG)('PostgreSQL outage under a real server process', () => {
  // A cluster of the test's own: stopping the shared one would fail the files running beside it.
  let pg: PostgresCluster;
  let proxy: TcpProxy;
  beforeAll(async () => {
    pg = await createPostgresCluster();
    proxy = await startTcpProxy('127.0.0.1', pg.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await pg?.destroy();
  });

  it('refused, then the cluster stopped and started: 503 and error frames meanwhile, recovers by itself', async () => {
    const url = await pg.createDatabase('parley_outage');
    const server = await start({ ...dirsEnv(tempDir()), DATABASE_URL: proxy.url(url), RATE_LIMIT: 'off', LOG_LEVEL: 'warn' });
    await waitReady(server);
    const s = await setUp(server);

    // 1. The network refuses (the server is unreachable).
    await proxy.set('refuse');
    await expectUnavailable(server, s);
    // Still down a while later: the process has not died of a late rejection.
    await new Promise((r) => setTimeout(r, 500));
    expect(server.child.exitCode).toBeNull();
    await proxy.set('pass');
    await expectRecovered(server, s);

    // 2. PostgreSQL itself shuts down (clients get 57P01, then ECONNREFUSED) and starts again.
    await pg.stop('fast');
    await expectUnavailable(server, s, 'again');
    await pg.start();
    await expectRecovered(server, s, 'again');
    s.aliceWs.close();
    s.bobWs.close();
  }, 90_000);
});

describe.runIf(PG)('a hung PostgreSQL: accepts, never answers', () => {
  it('answers 503 after the stall timeout instead of hanging, and recovers', async () => {
    const db = await createTestPostgresDatabase();
    const target = new URL(db.url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port));
    const logger = createLogger({ level: 'silent', logDir: null });
    // Short timeouts so the test is quick; production defaults are 15 s and 10 s.
    const database = await openDatabase({ kind: 'postgres', url: proxy.url(db.url), poolSize: 4, stallTimeoutMs: 1000, connectTimeoutMs: 1000 }, logger);
    const app = await buildApp({ config: parseConfig({ LOG_LEVEL: 'silent', RATE_LIMIT: 'off', UPLOAD_DIR: tempDir() }), database, logger });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as { port: number };
      const server = { base: `http://127.0.0.1:${port}`, port, child: { exitCode: null }, output: () => '' } as unknown as ServerProcess;
      const s = await setUp(server);

      await proxy.set('hang');
      // Pooled connections go quiet, new ones never finish their start-up: both are bounded.
      const stuck = await Promise.all(
        Array.from({ length: 6 }, () => timed(api(server, 'GET', `/conversations/${s.groupId}/messages`, undefined, s.alice.token))),
      );
      for (const r of stuck) {
        expect(r.value.status).toBe(503);
        expect(r.value.json.error.code).toBe('unavailable');
        expect(r.ms).toBeLessThan(MAX_ANSWER_MS);
      }
      await expectUnavailable(server, s);

      await proxy.set('pass');
      const ms = await waitFor(() => readyzOk(server), 'readyz 200 after the hang ended', READY_WAIT_MS, READY_POLL_MS);
      expect(ms).toBeLessThan(10_000);
      const ack = await s.aliceWs.request({ type: 'message.send', conversationId: s.groupId, body: 'during', clientMsgId: 'ws-during' });
      expect(ack.type).toBe('ack');
      await s.bobWs.next((f) => f.type === 'message.created' && f.message.clientMsgId === 'ws-during');
      s.aliceWs.close();
      s.bobWs.close();
    } finally {
      await app.close();
      await database.close();
      await proxy.close();
      await db.drop();
    }
  }, 60_000);
});
