/**
 * Crash safety with real processes: clients send through WebSocket and REST, retrying under the
 * same clientMsgId, while the test kill -9s the server (embedded PGlite on one DATA_DIR, or
 * PostgreSQL when TEST_DATABASE_URL is set) and starts it again; and, on PostgreSQL, while the
 * database server itself is stopped and started. Afterwards every acked message is stored exactly
 * once with the id and seq of its ack, seqs run 1, 2, 3... and every client converges by sync.
 * CI form by default; `npm run chaos` is the long form (CHAOS_KILLS, CHAOS_CLIENTS, CHAOS_SECONDS).
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createTestPostgresDatabase, dbKind } from '../helpers/app.js';
import {
  allAcked,
  chaosKnobs,
  chaosTimeoutMs,
  chatRoom,
  checkFeed,
  CrashableServer,
  eventsFeed,
  failureSummary,
  integrityFaults,
  percentile,
  printFigures,
  RestSender,
  wsTraffic,
  WsSender,
  type Account,
} from '../helpers/chaos.js';
import { sleep, waitFor } from '../helpers/kit.js';
import { createPostgresCluster, canRunPostgres } from '../helpers/postgres-control.js';
import { processFixture } from '../helpers/process.js';
import type { Frame } from '../helpers/ws.js';

const { tempDir } = processFixture('parley-chaos-');
const knobs = chaosKnobs({ kills: 3, clients: 20, seconds: 4 });

function dirsEnv(root: string): Record<string, string> {
  return { DATA_DIR: path.join(root, 'data'), LOG_DIR: path.join(root, 'logs'), UPLOAD_DIR: path.join(root, 'uploads'), RATE_LIMIT: 'off', LOG_LEVEL: 'warn' };
}

/** Half the accounts send through WebSocket, half through REST, each every ~`everyMs`. */
function startSenders(server: CrashableServer, accounts: Account[], groupId: string, everyMs: number) {
  const half = Math.ceil(accounts.length / 2);
  const ws = accounts.slice(0, half).map((a) => new WsSender(() => server.wsUrl, a.token).follow(groupId, 0).start());
  const rest = accounts.slice(half).map((a, i) => new RestSender(() => server.base, a.token, groupId, `rest${i}`).start(everyMs));
  const wsLoad = wsTraffic(ws, groupId, everyMs);
  const ackedCount = () => [...ws, ...rest].reduce((n, s) => n + s.acked.size, 0);
  return {
    ws,
    rest,
    ackedCount,
    /** Stops adding messages and waits until every send made is acked. */
    async drain() {
      await wsLoad.stop();
      await Promise.all(rest.map((r) => r.stop()));
      await waitFor(() => ws.every((c) => c.pending.size === 0), 'every WebSocket send acked', 90_000);
    },
  };
}

/**
 * The checks after the storm: every send acked once and stored once with its ack's id and seq,
 * seqs gap-free, every WebSocket client's stream and every REST client's events feed equal.
 */
async function expectExactlyOnceAndConverged(server: CrashableServer, accounts: Account[], groupId: string, senders: ReturnType<typeof startSenders>) {
  expect([...senders.ws.flatMap((s) => [...s.refused.values()]), ...senders.rest.flatMap((s) => s.refused)]).toEqual([]);
  const acked = allAcked([...senders.ws, ...senders.rest]);
  const feed = await eventsFeed(server, accounts[0]!.token, groupId);
  const check = checkFeed(feed, acked);
  expect(check.seqFaults).toEqual([]);
  expect(check.duplicates).toEqual([]);
  expect(check.lost).toEqual([]);
  expect(check.mismatched).toEqual([]);
  // Nothing but the acked messages was stored (each send was retried until acked).
  expect(check.messages).toBe(acked.size);
  const conv = await fetch(`${server.base}/api/v1/conversations/${groupId}`, { headers: { authorization: `Bearer ${accounts[0]!.token}` } });
  expect(((await conv.json()) as { lastSeq: number }).lastSeq).toBe(check.lastSeq);

  const shape = (events: Frame[]) => events.map((e) => `${e.seq as number}:${e.type as string}:${(e.message?.id as string | undefined) ?? ''}`);
  const expected = shape(feed);
  // WebSocket clients: live events plus what each sync after a reconnect replayed.
  await waitFor(() => senders.ws.every((c) => (c.cursors.get(groupId) ?? 0) >= check.lastSeq), 'every WebSocket client to reach the last seq', 30_000);
  for (const c of senders.ws) {
    expect(c.violations).toEqual([]);
    expect(shape(c.events.get(groupId)!)).toEqual(expected);
  }
  // REST clients: the events feed, read with each one's own token.
  for (const a of accounts.slice(senders.ws.length)) expect(shape(await eventsFeed(server, a.token, groupId))).toEqual(expected);
  // A client that was never online syncs from 0 over WebSocket and gets the same.
  const late = new WsSender(() => server.wsUrl, accounts.at(-1)!.token).follow(groupId, 0).start();
  try {
    await waitFor(() => (late.cursors.get(groupId) ?? 0) >= check.lastSeq, 'a late client to sync', 30_000);
    expect(late.violations).toEqual([]);
    expect(shape(late.events.get(groupId)!)).toEqual(expected);
  } finally {
    late.stop();
  }
  for (const c of senders.ws) c.stop();
  return { acked: acked.size, check };
}

describe('kill -9 of the server under retrying clients', () => {
  it(
    `(${dbKind}) ${knobs.kills} kills under ${knobs.clients} clients: every acked message is stored once, seqs stay gap-free, every client converges`,
    async () => {
      const root = tempDir();
      const pgDb = dbKind === 'postgres' ? await createTestPostgresDatabase() : null;
      try {
        const server = await CrashableServer.create({ ...dirsEnv(root), ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) });
        const t0 = performance.now();
        await server.start();
        const bootMs = performance.now() - t0;
        const { accounts, groupId } = await chatRoom(server, knobs.clients, 'chaos');
        const senders = startSenders(server, accounts, groupId, 150);
        await waitFor(() => senders.ws.every((c) => c.online), 'WebSocket clients online', 30_000);

        const recoverMs: number[] = [];
        for (let i = 0; i < knobs.kills; i++) {
          // Traffic flows, then a kill at a random moment of the next `seconds`.
          const before = senders.ackedCount();
          await waitFor(() => senders.ackedCount() > before + 5, `traffic flowing before kill ${i + 1}\n${server.output().slice(-2000)}`, 60_000);
          await sleep(Math.random() * knobs.seconds * 1000);
          const killedAt = performance.now();
          await server.kill();
          await server.start();
          const after = senders.ackedCount();
          await waitFor(() => senders.ackedCount() > after, `an ack after restart ${i + 1}`, 60_000);
          recoverMs.push(performance.now() - killedAt);
        }
        await sleep(500);
        await senders.drain();
        const { acked, check } = await expectExactlyOnceAndConverged(server, accounts, groupId, senders);

        // The database itself, by SQL: consistent, no clientMsgId twice.
        let faults: Record<string, unknown[]>;
        if (pgDb) {
          const sql = postgres(pgDb.url, { max: 1, onnotice: () => {} });
          try {
            faults = await integrityFaults((q) => sql.unsafe(q));
          } finally {
            await sql.end();
          }
        } else {
          // One more kill, then the killed DATA_DIR is opened here as the server would open it.
          await server.kill();
          const pg = await PGlite.create(path.join(root, 'data', 'pglite'));
          try {
            faults = await integrityFaults(async (q) => (await pg.query(q)).rows);
          } finally {
            await pg.close();
          }
        }
        expect(faults).toEqual({});

        printFigures(`chaos: kill -9 of the server (${dbKind}), ${knobs.clients} clients (${senders.ws.length} WebSocket, ${senders.rest.length} REST)`, {
          kills: knobs.kills,
          'messages acked': acked,
          'last seq': check.lastSeq,
          duplicates: check.duplicates.length,
          lost: check.lost.length,
          'first boot': `${Math.round(bootMs)} ms`,
          'kill to first ack, p50': `${Math.round(percentile(recoverMs, 50))} ms`,
          'kill to first ack, max': `${Math.round(Math.max(...recoverMs))} ms`,
          'REST retries': failureSummary(senders.rest),
          'REST retries answered with the stored message (200)': senders.rest.reduce((n, s) => n + s.repeats, 0),
          'WebSocket failures': failureSummary(senders.ws),
        });
      } finally {
        await pgDb?.drop();
      }
    },
    chaosTimeoutMs(knobs),
  );
});

describe.runIf(dbKind === 'postgres' && canRunPostgres())('PostgreSQL restarted under load', () => {
  const restarts = Math.max(2, Math.min(knobs.kills, 6));
  it(
    `${restarts} restarts (fast stop, then kill -9): sends get 503 unavailable or error frames, the process stays up and recovers by itself, every acked message is stored once`,
    async () => {
      const pg = await createPostgresCluster();
      try {
        const url = await pg.createDatabase('chaos_restart');
        const server = await CrashableServer.create({ ...dirsEnv(tempDir()), DATABASE_URL: url });
        const proc = await server.start();
        const { accounts, groupId } = await chatRoom(server, Math.min(knobs.clients, 12), 'pgr');
        const senders = startSenders(server, accounts, groupId, 100);
        await waitFor(() => senders.ws.every((c) => c.online), 'WebSocket clients online', 30_000);

        const recoverMs: number[] = [];
        for (let i = 0; i < restarts; i++) {
          const before = senders.ackedCount();
          await waitFor(() => senders.ackedCount() > before + 5, `traffic flowing before restart ${i + 1}`, 60_000);
          await sleep(Math.random() * 1000);
          const failuresBefore = failureSummary([...senders.rest, ...senders.ws]);
          if (i % 2 === 0) await pg.stop('fast');
          else await pg.kill();
          const downAt = performance.now();
          // Down: /readyz says so, sends fail, the process lives on.
          await sleep(1500);
          expect(proc.child.exitCode, `the server exited during database outage ${i + 1}:\n${server.output().slice(-4000)}`).toBeNull();
          expect((await fetch(`${server.base}/readyz`)).status).toBe(503);
          expect(failureSummary([...senders.rest, ...senders.ws])).not.toBe(failuresBefore);
          await pg.start();
          // Back: the same process is ready again and acks again, with no help.
          const after = senders.ackedCount();
          await waitFor(() => senders.ackedCount() > after, `an ack after database restart ${i + 1}\n${server.output().slice(-2000)}`, 60_000);
          recoverMs.push(performance.now() - downAt);
          expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
        }
        await sleep(500);
        await senders.drain();
        expect(proc.child.exitCode).toBeNull();
        // Only the contract's answers to a missing database: 503 unavailable and error frames with
        // `unavailable`; no 500, no other code, no connection lost. A socket whose live stream had
        // a gap it could not fill from the database is closed with 1011 ("replay failed:
        // reconnect and sync", src/realtime/connection.ts): its client reconnects and syncs.
        for (const kind of [...senders.rest.flatMap((s) => [...s.failures.keys()])]) expect(kind).toBe('503 unavailable');
        for (const kind of [...senders.ws.flatMap((s) => [...s.failures.keys()])]) expect(kind).toMatch(/^(error unavailable|closed 1011)$/);
        const { acked, check } = await expectExactlyOnceAndConverged(server, accounts, groupId, senders);
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        try {
          expect(await integrityFaults((q) => sql.unsafe(q))).toEqual({});
        } finally {
          await sql.end();
        }
        printFigures(`chaos: PostgreSQL restarted under load, ${accounts.length} clients`, {
          restarts,
          'messages acked': acked,
          duplicates: check.duplicates.length,
          lost: check.lost.length,
          'database down to first ack, p50': `${Math.round(percentile(recoverMs, 50))} ms (1.5 s of it down)`,
          'database down to first ack, max': `${Math.round(Math.max(...recoverMs))} ms`,
          'REST failures': failureSummary(senders.rest),
          'REST retries answered with the stored message (200)': senders.rest.reduce((n, s) => n + s.repeats, 0),
          'WebSocket failures': failureSummary(senders.ws),
        });
        expect(await server.stop()).toBe(0);
      } finally {
        await pg.destroy();
      }
    },
    chaosTimeoutMs({ ...knobs, kills: restarts }, 30_000),
  );
});
