/**
 * Issue 20's target "a send with a link acks as fast as one without (the fetch is after the
 * ack)": BENCH_LINK_CLIENTS (20) clients in one group, each with one `message.send` in flight for
 * BENCH_LINK_SECONDS (5) per phase; first plain bodies (the baseline), then bodies with a link to
 * a page server on loopback that answers after 1 s (every link new, so every send queues a
 * fetch and the fetches pile up behind the worker's concurrency during the phase). Ack latency
 * of both phases, in process (one app on the run's database, listening on loopback).
 *   npm run bench -- link-sends
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { buildApp, type ParleyApp } from '../src/app.js';
import { parseConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { percentiles, type Scenario } from './lib.js';
import { ACK_PREFIX, openRawSocket, startsWith } from './loadgen.js';
import { pool } from './procs.js';

const CLIENTS = Math.max(2, Number(process.env.BENCH_LINK_CLIENTS ?? 20));
const SECONDS = Number(process.env.BENCH_LINK_SECONDS ?? 5);
const PAGE_DELAY_MS = 1_000;

/** A page server whose every page answers with OpenGraph tags after PAGE_DELAY_MS. */
async function slowPages(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><head><meta property="og:title" content="Bench page"><meta property="og:description" content="A page"></head></html>');
    }, PAGE_DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every client sends with one send in flight for SECONDS; the ack latencies. */
async function phase(sockets: WebSocket[], groupId: string, body: (id: string) => string): Promise<number[]> {
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  let pending = sockets.length;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const counters = new Uint32Array(sockets.length);
  const sentAt = new Float64Array(sockets.length);
  const send = (c: number): void => {
    const id = `${body('x').includes('http') ? 'l' : 'p'}${c}-${counters[c]!++}-${Date.now()}`;
    sentAt[c] = performance.now();
    sockets[c]!.send(JSON.stringify({ type: 'message.send', id, conversationId: groupId, body: body(id), clientMsgId: id }));
  };
  sockets.forEach((ws, c) => {
    ws.removeAllListeners('message');
    ws.on('message', (data: Buffer) => {
      if (!startsWith(data, ACK_PREFIX)) return;
      const now = performance.now();
      latencies.push(now - sentAt[c]!);
      if (now < until) send(c);
      else if (--pending === 0) allDone();
    });
  });
  for (let c = 0; c < sockets.length; c++) send(c);
  await Promise.race([done, new Promise((r) => setTimeout(r, SECONDS * 1000 + 30_000))]);
  return latencies;
}

export const linkSendsScenario: Scenario = {
  name: 'link-sends',
  describe: `${CLIENTS} clients in one group, one send in flight each, ${SECONDS} s warm-up, ${SECONDS} s without links, then ${SECONDS} s with a new link each (its page answers after ${PAGE_DELAY_MS} ms): ack latency`,
  async run(ctx) {
    // The run's app refuses loopback pages (the guard): this scenario's app allows them, on the same database.
    await ctx.app.services.linkPreviews.stop();
    const pages = await slowPages();
    const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-link-sends-'));
    const config = parseConfig({ LOG_LEVEL: 'warn', RATE_LIMIT: 'off', WEBHOOK_ALLOW_PRIVATE: 'on', UPLOAD_DIR: uploadDir });
    const logger = createLogger({ level: 'warn', logDir: null, pretty: false });
    let app: ParleyApp | null = null;
    const sockets: WebSocket[] = [];
    try {
      app = await buildApp({ config, database: ctx.database, logger, searchBackfill: { startDelayMs: null } });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const users = await pool(Array.from({ length: CLIENTS }, (_, i) => i), 8, async (i) => {
        const r = await app!.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: `lnk${i}_${Date.now()}`, password: 'bench-password' } });
        return r.json() as { user: { id: string }; token: string };
      });
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/groups',
        headers: { authorization: `Bearer ${users[0]!.token}` },
        payload: { name: 'link sends', memberIds: users.slice(1).map((u) => u.user.id) },
      });
      const groupId = (created.json() as { id: string }).id;
      for (const u of users) sockets.push(await openRawSocket(base, u.token, () => undefined));
      ctx.log(`sending without links for ${SECONDS} s, then with links for ${SECONDS} s`);
      // A first round, discarded, warms the send path up so the baseline is not the cold one.
      await phase(sockets, groupId, (id) => `warm-up ${id}`);
      const plain = percentiles(await phase(sockets, groupId, (id) => `plain message ${id}, 你好 👋`));
      const linked = await phase(sockets, groupId, (id) => `with a link ${pages.url}/p/${id} 你好 👋`);
      const link = percentiles(linked);
      const ms = (x: number) => x.toFixed(1);
      return [
        { setup: `baseline: ${CLIENTS} clients, plain bodies`, sends: '', 'ack p50/p99 ms': `${ms(plain.p50)} / ${ms(plain.p99)}`, 'page fetches': '' },
        {
          setup: `${CLIENTS} clients, a new link in every body (pages answer after ${PAGE_DELAY_MS} ms)`,
          sends: linked.length,
          'ack p50/p99 ms': `${ms(link.p50)} / ${ms(link.p99)}`,
          'page fetches': `${pages.hits()} started during the phase and its wind-down`,
        },
      ];
    } finally {
      for (const ws of sockets) ws.terminate();
      await app?.close();
      await pages.close();
      fs.rmSync(uploadDir, { recursive: true, force: true });
    }
  },
};
