/**
 * Sizing figures for docs/deploy.md: persisted sends and live deliveries per second, with their
 * latencies, on one node (in-process bus) and on two node processes over Redis, against the
 * bare INSERT rate of the same PostgreSQL in the same run; and the memory of a node and of an
 * idle WebSocket. Needs a PostgreSQL server (DATABASE_URL or TEST_DATABASE_URL: it creates and
 * drops its own databases) and redis-server; e.g.
 *   PG_CPUS=0 bash scripts/with-postgres.sh npm run bench -- cluster
 * The nodes and redis-server run on CPU 0 (PostgreSQL too with PG_CPUS=0), the load on CPU 1;
 * each node's CPU per persisted send is reported, for sizing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import WebSocket from 'ws';
import { api, freePort, waitReady, type ServerProcess } from '../tests/helpers/process.js';
import { TestRedis } from '../tests/helpers/redis.js';
import { percentiles, type Scenario } from './lib.js';
import { pinSelf, pinningNote, spawnPinned, SERVER_ENTRY } from './loadgen.js';
import { cpuSeconds, pin, scratchDatabase } from './procs.js';

const GROUPS = 20;
const MEMBERS = 10;
const SENDERS_PER_GROUP = 2;
const WINDOW = 4;
const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 10);
const IDLE_SOCKETS = 2000;

interface User {
  token: string;
  user: { id: string };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function openSocket(url: string, token: string, onFrame?: (f: Record<string, unknown>) => void): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Record<string, unknown>;
      if (f.type === 'ready') resolve();
      onFrame?.(f);
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
  });
  return ws;
}

/** The baseline: plain INSERTs of message-sized rows, as many in flight as the load's senders. */
async function bareInserts(adminUrl: string): Promise<number> {
  const db = await scratchDatabase(adminUrl);
  const sql = postgres(db.url, { max: 10, onnotice: () => {} });
  try {
    await sql`CREATE TABLE t (id bigserial PRIMARY KEY, conv int NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`;
    let n = 0;
    const until = performance.now() + SECONDS * 1000;
    const workers = Array.from({ length: GROUPS * SENDERS_PER_GROUP }, async (_, w) => {
      while (performance.now() < until) {
        await sql`INSERT INTO t (conv, body) VALUES (${w % GROUPS}, ${'message body of a typical length, 你好'})`;
        n++;
      }
    });
    await Promise.all(workers);
    return n / SECONDS;
  } finally {
    await sql.end();
    await db.drop();
  }
}

interface LoadResult {
  /** CPU seconds each node spent during the window. */
  nodeCpu: number[];
  sendsPerSec: number;
  ack: { p50: number; p99: number };
  deliveriesPerSec: number;
  delivery: { p50: number; p99: number };
}

/** Every member online (spread over the nodes); two senders per group, WINDOW sends in flight each. */
async function load(nodes: ServerProcess[], users: User[][]): Promise<LoadResult> {
  const ackLatencies: number[] = [];
  const deliveryLatencies: number[] = [];
  let deliveries = 0;
  let measuring = false;
  const sockets: WebSocket[] = [];
  const sentAt = new Map<string, number>();
  let k = 0;
  for (const group of users) {
    for (const u of group) {
      const node = nodes[k++ % nodes.length]!;
      sockets.push(
        await openSocket(`ws://127.0.0.1:${node.port}/api/v1/ws`, u.token, (f) => {
          if (f.type !== 'message.created' || !measuring) return;
          const m = f.message as { clientMsgId: string };
          const t0 = sentAt.get(m.clientMsgId);
          deliveries++;
          if (t0 !== undefined) deliveryLatencies.push(performance.now() - t0);
        }),
      );
    }
  }
  const conversations = await Promise.all(
    users.map(async (group) => {
      const r = await api(nodes[0]!, 'GET', '/conversations?limit=1', undefined, group[0]!.token);
      return r.json.conversations[0].id as string;
    }),
  );
  let sends = 0;
  const until = performance.now() + SECONDS * 1000;
  const cpu0 = nodes.map((n) => cpuSeconds(n.child.pid!));
  let nodeCpu: number[] = [];
  setTimeout(() => (nodeCpu = nodes.map((n, i) => cpuSeconds(n.child.pid!) - cpu0[i]!)), SECONDS * 1000);
  measuring = true;
  const senders: Promise<void>[] = [];
  users.forEach((group, g) => {
    for (let s = 0; s < SENDERS_PER_GROUP; s++) {
      const ws = sockets[g * MEMBERS + s]!;
      const waiting = new Map<string, () => void>();
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as { type: string; id?: string };
        if (f.type === 'ack' || f.type === 'error') waiting.get(f.id ?? '')?.();
      });
      for (let w = 0; w < WINDOW; w++) {
        senders.push(
          (async () => {
            let i = 0;
            while (performance.now() < until) {
              const id = `g${g}s${s}w${w}i${i++}`;
              const t0 = performance.now();
              sentAt.set(id, t0);
              await new Promise<void>((resolve) => {
                waiting.set(id, resolve);
                ws.send(JSON.stringify({ type: 'message.send', id, conversationId: conversations[g], body: `load ${id} 你好`, clientMsgId: id }));
              });
              waiting.delete(id);
              ackLatencies.push(performance.now() - t0);
              sends++;
            }
          })(),
        );
      }
    }
  });
  await Promise.all(senders);
  // Let the last deliveries land.
  await new Promise((r) => setTimeout(r, 1000));
  measuring = false;
  for (const ws of sockets) ws.terminate();
  const ack = percentiles(ackLatencies);
  const delivery = percentiles(deliveryLatencies);
  return { nodeCpu, sendsPerSec: sends / SECONDS, ack, deliveriesPerSec: deliveries / SECONDS, delivery };
}

export const clusterScenario: Scenario = {
  name: 'cluster',
  describe: `${GROUPS} groups x ${MEMBERS} members online, ${GROUPS * SENDERS_PER_GROUP} senders with ${WINDOW} sends in flight each, ${SECONDS} s; one node vs two nodes over Redis vs bare INSERTs`,
  async run(ctx) {
    const adminUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
    if (!adminUrl) {
      ctx.log('skipped: needs a PostgreSQL server (run it as: bash scripts/with-postgres.sh npm run bench -- cluster)');
      return [];
    }
    const rows: Record<string, string | number>[] = [];
    ctx.log(pinningNote());
    const restore = pinSelf();
    const baseline = await bareInserts(adminUrl);
    rows.push({ setup: 'baseline: bare INSERT, same concurrency', 'sends/s': baseline.toFixed(0), 'ack p50/p99 ms': '', 'deliveries/s': '', 'delivery p50/p99 ms': '', 'node CPU µs per send': '', 'node RSS MB': '' });

    const redis = await TestRedis.start();
    if (redis.pid) pin(redis.pid, '0');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-cluster-'));
    try {
      for (const count of [1, 2]) {
        const db = await scratchDatabase(adminUrl);
        const nodes: ServerProcess[] = [];
        try {
          for (let i = 0; i < count; i++) {
            const node = spawnPinned(
              [SERVER_ENTRY],
              {
                DATABASE_URL: db.url,
                ...(count > 1 ? { REDIS_URL: redis.url } : {}),
                DATA_DIR: path.join(dir, `n${count}-${i}`),
                UPLOAD_DIR: path.join(dir, 'uploads'),
                LOG_DIR: path.join(dir, 'logs'),
              },
              await freePort(),
            );
            await waitReady(node);
            nodes.push(node);
          }
          const idleRss = nodes.map((n) => rssMb(n.child.pid!));
          const users: User[][] = [];
          for (let g = 0; g < GROUPS; g++) {
            const group: User[] = [];
            for (let m = 0; m < MEMBERS; m++) {
              const r = await api(nodes[0]!, 'POST', '/auth/register', { username: `b${g}_${m}_${count}`, password: 'bench-password' });
              group.push(r.json as User);
            }
            await api(nodes[0]!, 'POST', '/groups', { name: `bench ${g}`, memberIds: group.slice(1).map((u) => u.user.id) }, group[0]!.token);
            users.push(group);
          }
          ctx.log(`${count} node(s): loading for ${SECONDS} s`);
          const r = await load(nodes, users);
          const rss = nodes.map((n) => rssMb(n.child.pid!));
          // Where an ack's time goes: inside the node (frame read to ack written) or before it.
          for (const [i, n] of nodes.entries()) {
            const text = await (await fetch(`http://127.0.0.1:${n.port}/metrics`)).text();
            const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
            const sum = value('parley_ws_send_ack_seconds_sum');
            const acked = value('parley_ws_send_ack_seconds_count');
            ctx.log(`${count} node(s), node ${i + 1}: ${acked} WebSocket sends acked, frame read to ack written ${((sum / acked) * 1000).toFixed(1)} ms on average inside the node (the client saw p50 ${r.ack.p50.toFixed(1)} ms)`);
          }
          rows.push({
            setup: count === 1 ? '1 node, in-process bus' : '2 node processes, Redis bus',
            'sends/s': r.sendsPerSec.toFixed(0),
            'ack p50/p99 ms': `${r.ack.p50.toFixed(1)} / ${r.ack.p99.toFixed(1)}`,
            'deliveries/s': r.deliveriesPerSec.toFixed(0),
            'delivery p50/p99 ms': `${r.delivery.p50.toFixed(1)} / ${r.delivery.p99.toFixed(1)}`,
            'node CPU µs per send': `${((r.nodeCpu.reduce((a, b) => a + b, 0) / Math.max(1, r.sendsPerSec * SECONDS)) * 1e6).toFixed(0)} (nodes at ${r.nodeCpu.map((c) => `${((c / SECONDS) * 100).toFixed(0)} %`).join(' + ')})`,
            'node RSS MB': `${idleRss.map((m) => m.toFixed(0)).join('+')} idle, ${rss.map((m) => m.toFixed(0)).join('+')} after`,
          });
          if (count === 1) {
            // Idle sockets: RSS before and after opening them (ten per user), per socket.
            const before = rssMb(nodes[0]!.child.pid!);
            const idle: WebSocket[] = [];
            const flat = users.flat();
            for (let i = 0; i < IDLE_SOCKETS; i++) idle.push(await openSocket(`ws://127.0.0.1:${nodes[0]!.port}/api/v1/ws`, flat[i % flat.length]!.token));
            await new Promise((res) => setTimeout(res, 1000));
            const after = rssMb(nodes[0]!.child.pid!);
            rows.push({
              setup: `${IDLE_SOCKETS} idle authenticated sockets, 1 node`,
              'sends/s': '',
              'ack p50/p99 ms': '',
              'deliveries/s': '',
              'delivery p50/p99 ms': '',
              'node CPU µs per send': '',
              'node RSS MB': `+${(after - before).toFixed(0)} (${(((after - before) * 1024) / IDLE_SOCKETS).toFixed(1)} KB per socket)`,
            });
            for (const ws of idle) ws.terminate();
          }
        } finally {
          for (const n of nodes) n.child.kill('SIGTERM');
          await Promise.all(nodes.map((n) => n.exited));
          await db.drop();
        }
      }
    } finally {
      await redis.kill();
      restore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
