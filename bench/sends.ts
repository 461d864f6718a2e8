/**
 * Persisted sends: BENCH_CLIENTS (1,000) clients in direct conversations (pairs), each with one
 * `message.send` in flight (the next when its ack arrives) for BENCH_SECONDS (10), against one
 * real server process; acked sends/s and ack latency, against bare INSERTs of message-sized rows
 * through the same driver at the same concurrency in the same run. PGlite by default; with
 * DATABASE_URL the server gets a scratch database on that PostgreSQL server.
 *   npm run bench -- sends
 *   bash scripts/with-postgres.sh bash -c 'DATABASE_URL=$TEST_DATABASE_URL npm run bench -- sends'
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { api, freePort, waitReady, type ServerProcess } from '../tests/helpers/process.js';
import { percentiles, type Scenario } from './lib.js';
import { ACK_PREFIX, ERROR_PREFIX, barePostgresInserts, cpuWaitSeconds, openRawSocket, pinSelf, pinningNote, spawnPinned, startsWith, stopProcess, SERVER_ENTRY } from './loadgen.js';
import { cpuSeconds, dbQueries, ownCpuSeconds, pool, registerUsers, rssKiB, scratchDatabase } from './procs.js';

const CLIENTS = Math.max(2, Math.floor(Number(process.env.BENCH_CLIENTS ?? 1000) / 2) * 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Connections of the server's PostgreSQL pool (its default), used by the bare baseline too. */
const PG_POOL = 10;

interface LoadResult {
  perSec: number;
  ack: { p50: number; p99: number };
  errors: number;
  serverCpu: number;
  /** Seconds the server's threads were runnable but waiting for their CPU. */
  serverWait: number;
  ownCpu: number;
  unfinished: number;
}

/** Every client sends with one send in flight until the window closes; acks inside it count. */
async function load(server: ServerProcess, tokens: string[], conversations: string[]): Promise<LoadResult> {
  const latencies: number[] = [];
  let acked = 0;
  let errors = 0;
  let firstError = '';
  let until = Infinity;
  let pending = tokens.length;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const sentAt = new Float64Array(tokens.length);
  const counters = new Uint32Array(tokens.length);
  const sockets: WebSocket[] = [];
  const send = (c: number) => {
    const id = `c${c}-${counters[c]!++}`;
    sentAt[c] = performance.now();
    sockets[c]!.send(JSON.stringify({ type: 'message.send', id, conversationId: conversations[c >> 1], body: `load ${id}, a message body of a typical length, 你好 👋`, clientMsgId: id }));
  };
  const onFrame = (c: number, data: Buffer) => {
    const isAck = startsWith(data, ACK_PREFIX);
    if (!isAck && !startsWith(data, ERROR_PREFIX)) return; // message.created, read, presence
    const now = performance.now();
    // Every send is made inside the window; those acked after it count for latency, not for the rate.
    if (isAck) latencies.push(now - sentAt[c]!);
    if (now <= until) {
      if (isAck) {
        acked++;
      } else {
        errors++;
        firstError ||= data.toString('utf8', 0, 300);
      }
    }
    if (now < until) send(c);
    else if (--pending === 0) allDone();
  };
  try {
    await pool(tokens, 50, async (token, c) => {
      sockets[c] = await openRawSocket(server.base, token, (data) => onFrame(c, data));
    });
    const pid = server.child.pid!;
    const q0 = await dbQueries(server.base);
    const cpu0 = cpuSeconds(pid);
    const wait0 = cpuWaitSeconds(pid);
    const own0 = ownCpuSeconds();
    let cpu1 = 0;
    let wait1 = 0;
    let own1 = 0;
    const t0 = performance.now();
    until = t0 + SECONDS * 1000;
    setTimeout(
      () => {
        cpu1 = cpuSeconds(pid);
        wait1 = cpuWaitSeconds(pid);
        own1 = ownCpuSeconds();
      },
      Math.max(0, until - performance.now()),
    );
    for (let c = 0; c < tokens.length; c++) send(c);
    // The sends in flight at the close are waited for (not counted), at most 30 s.
    await Promise.race([done, new Promise((r) => setTimeout(r, SECONDS * 1000 + 30_000))]);
    if (firstError) process.stdout.write(`first error frame: ${firstError}\n`);
    const q1 = await dbQueries(server.base);
    process.stdout.write(`database queries per acked send: ${((q1.count - q0.count) / Math.max(1, acked)).toFixed(3)} (${q1.count - q0.count} queries)\n`);
    return { perSec: acked / SECONDS, ack: percentiles(latencies.length ? latencies : [0]), errors, serverCpu: cpu1 - cpu0, serverWait: wait1 - wait0, ownCpu: own1 - own0, unfinished: pending };
  } finally {
    for (const ws of sockets) ws?.terminate();
  }
}

/** PGlite's bare INSERTs in their own process, pinned like the server. */
async function barePgliteInserts(dir: string): Promise<{ perSec: number; cpu: number }> {
  const child = spawnPinned(['bench/pglite-inserts.ts', dir, String(SECONDS), String(CLIENTS)], {}, 0);
  const timer = setTimeout(() => child.child.kill('SIGKILL'), SECONDS * 1000 + 120_000);
  const code = await child.exited;
  clearTimeout(timer);
  const line = child.output().trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`pglite-inserts failed (${code}):\n${child.output()}`);
  return JSON.parse(line) as { perSec: number; cpu: number };
}

const ms = (x: number) => x.toFixed(1);

export const sendsScenario: Scenario = {
  name: 'sends',
  describe: `${CLIENTS} clients in ${CLIENTS / 2} direct conversations, one send in flight each, ${SECONDS} s, one server process; vs bare INSERTs through the same driver at the same concurrency`,
  async run(ctx) {
    const adminUrl = process.env.DATABASE_URL;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-sends-'));
    const restore = pinSelf();
    let server: ServerProcess | null = null;
    let scratch: Awaited<ReturnType<typeof scratchDatabase>> | null = null;
    ctx.log(pinningNote());
    try {
      if (adminUrl) scratch = await scratchDatabase(adminUrl);
      server = spawnPinned(
        [SERVER_ENTRY],
        {
          ...(scratch ? { DATABASE_URL: scratch.url } : {}),
          DATA_DIR: path.join(root, 'data'),
          UPLOAD_DIR: path.join(root, 'uploads'),
          LOG_DIR: path.join(root, 'logs'),
        },
        await freePort(),
      );
      await waitReady(server);
      const pid = server.child.pid!;
      const idleRss = rssKiB(pid) / 1024;
      let t = performance.now();
      const users = await registerUsers(server, CLIENTS, 'snd');
      ctx.log(`registered ${CLIENTS} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      t = performance.now();
      const pairs = Array.from({ length: CLIENTS / 2 }, (_, k) => k);
      const conversations = await pool(pairs, 16, async (k) => {
        const r = await api(server!, 'POST', '/conversations/direct', { userId: users[2 * k + 1]!.user.id }, users[2 * k]!.token);
        if (r.status !== 201 && r.status !== 200) throw new Error(`direct conversation: ${r.status} ${JSON.stringify(r.json)}`);
        return r.json.id as string;
      });
      ctx.log(`opened ${pairs.length} direct conversations in ${((performance.now() - t) / 1000).toFixed(1)} s; sending for ${SECONDS} s`);
      const r = await load(
        server,
        users.map((u) => u.token),
        conversations,
      );
      const afterRss = rssKiB(pid) / 1024;
      await stopProcess(server);
      server = null;

      ctx.log(`baseline: bare INSERTs, ${CLIENTS} in flight, ${SECONDS} s`);
      const bare: { perSec: number; cpu?: number; ownCpu?: number } = scratch
        ? await barePostgresInserts(scratch.url, CLIENTS, PG_POOL, SECONDS)
        : await barePgliteInserts(path.join(root, 'bare'));
      const db = scratch ? 'PostgreSQL' : 'PGlite';
      const pct = (cpu: number) => `${cpu.toFixed(1)} (${((cpu / SECONDS) * 100).toFixed(0)} %)`;
      const rows: Record<string, string | number>[] = [
        {
          setup: scratch
            ? `baseline: bare INSERT, postgres.js (pool ${PG_POOL}) from the load generator, ${CLIENTS} in flight`
            : `baseline: bare INSERT, PGlite in its own pinned process, ${CLIENTS} in flight`,
          'sends/s': bare.perSec.toFixed(0),
          'ack p50/p99 ms': '',
          'server CPU s': bare.cpu === undefined ? '' : pct(bare.cpu),
          'load-gen CPU s': bare.ownCpu === undefined ? '' : pct(bare.ownCpu),
          'server RSS MB': '',
          'vs bare': '',
        },
        {
          setup: `Parley on ${db}: ${CLIENTS} clients, ${CLIENTS / 2} direct conversations, 1 send in flight each`,
          'sends/s': r.perSec.toFixed(0),
          'ack p50/p99 ms': `${ms(r.ack.p50)} / ${ms(r.ack.p99)}`,
          'server CPU s': `${pct(r.serverCpu)}, waited ${r.serverWait.toFixed(1)}`,
          'load-gen CPU s': pct(r.ownCpu),
          'server RSS MB': `${idleRss.toFixed(0)} idle, ${afterRss.toFixed(0)} after`,
          'vs bare': `${((r.perSec / bare.perSec) * 100).toFixed(1)} %`,
        },
      ];
      if (r.ownCpu / SECONDS >= 0.9) ctx.log('note: the load generator used its whole CPU: the send rate is a lower bound');
      else if (r.serverCpu / SECONDS < 0.9)
        ctx.log(
          `note: neither the server nor the load generator used its whole CPU${r.serverWait / SECONDS > 0.1 ? '; the server waited for its CPU (other processes on it)' : ': the database or waits in the send path limited it'}`,
        );
      if (r.errors || r.unfinished) ctx.log(`note: ${r.errors} error frames in the window; ${r.unfinished} sends still unacked 30 s after it`);
      return rows;
    } finally {
      if (server) await stopProcess(server);
      await scratch?.drop();
      restore();
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
