/**
 * The embedded database survives kill -9 at any moment: the test kills the real process again
 * and again while clients write (sends, edits, reactions, deletes, new groups), sometimes again
 * while it starts up and replays its log, and after each start checks that /readyz answers, that
 * every acked message is there once with gap-free seqs, and at the end that the killed DATA_DIR
 * is consistent by SQL and by amcheck (b-tree indexes and heap pages).
 * CI form by default; `npm run chaos` is the long form (CHAOS_KILLS, CHAOS_CLIENTS, CHAOS_SECONDS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase } from '../../src/db/database.js';
import { dbKind } from '../helpers/app.js';
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
  type Account,
} from '../helpers/chaos.js';
import { sleep, waitFor } from '../helpers/kit.js';
import { processFixture } from '../helpers/process.js';
import type { Frame } from '../helpers/ws.js';

const { tempDir } = processFixture('parley-killdir-');
const knobs = chaosKnobs({ kills: 3, clients: 6, seconds: 3 });

/** Other writes alongside the sends, retried on failure and otherwise unchecked: edits, reactions, deletes, groups. */
function otherWrites(base: string, accounts: Account[], acked: () => Frame[]): { stop(): Promise<void>; done: () => number } {
  let running = true;
  let done = 0;
  const call = async (method: string, url: string, token: string, body?: unknown) => {
    try {
      const res = await fetch(`${base}/api/v1${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      await res.arrayBuffer();
      if (res.status < 300) done++;
    } catch {
      // killed meanwhile: the next round goes on
    }
  };
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const messages = acked();
      const m = messages[Math.floor(Math.random() * messages.length)];
      const who = accounts.find((a) => a.user.id === m?.senderId) ?? accounts[0]!;
      if (m) {
        const action = i % 4;
        if (action === 0) await call('PATCH', `/messages/${m.id as string}`, who.token, { body: `edited ${i} ✏️ 已编辑` });
        else if (action === 1) await call('PUT', `/messages/${m.id as string}/reactions/${encodeURIComponent('👍')}`, accounts[i % accounts.length]!.token);
        else if (action === 2 && i % 12 === 2) await call('DELETE', `/messages/${m.id as string}`, who.token);
        else await call('POST', '/groups', accounts[i % accounts.length]!.token, { name: `g${i}`, memberIds: [accounts[(i + 1) % accounts.length]!.user.id] });
      }
      await sleep(40 + Math.random() * 60);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
    done: () => done,
  };
}

describe.runIf(dbKind === 'pglite')('embedded DATA_DIR under kill -9', () => {
  it('checkpoints while it runs, so what a kill -9 leaves to replay is bounded (PGlite in single-user mode never would)', async () => {
    const database = await openDatabase({ kind: 'memory', checkpointIntervalMs: 300 }, createLogger({ level: 'silent', logDir: null }));
    try {
      const lsn = async () => ((await database.db.execute(sql`SELECT checkpoint_lsn::text AS lsn FROM pg_control_checkpoint()`)) as unknown as { rows: { lsn: string }[] }).rows[0]!.lsn;
      const before = await lsn();
      await database.db.execute(sql`CREATE TABLE wal_filler AS SELECT g, md5(g::text) AS h FROM generate_series(1, 20000) g`);
      await sleep(1500);
      expect(await lsn()).not.toBe(before);
    } finally {
      await database.close();
    }
  });

  it('a kill -9 while the first start creates the database leaves a DATA_DIR that opens (no half-copied database)', async () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    const server = await CrashableServer.create({ DATA_DIR: dataDir, LOG_DIR: path.join(root, 'logs'), UPLOAD_DIR: path.join(root, 'uploads'), LOG_LEVEL: 'warn' });
    const first = await server.start({ wait: false });
    // PGlite makes a new database elsewhere and copies it in, file by file, PG_VERSION early:
    // killed the moment PG_VERSION shows up in any folder of DATA_DIR, the copy is unfinished.
    const versionFile = () => fs.existsSync(dataDir) && fs.readdirSync(dataDir).some((d) => fs.existsSync(path.join(dataDir, d, 'PG_VERSION')));
    const deadline = Date.now() + 150_000;
    while (!fs.existsSync(dataDir) && Date.now() < deadline) await sleep(5);
    // Then a busy loop, to kill within microseconds of it (the copy takes a fraction of a second).
    while (!versionFile() && Date.now() < deadline) {
      // spin
    }
    first.child.kill('SIGKILL');
    await server.kill();
    expect(versionFile()).toBe(true);
    await server.start();
    const reg = await fetch(`${server.base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'firstboot', password: 'correct horse' }),
    });
    expect(reg.status).toBe(201);
    expect(await server.stop()).toBe(0);
  }, 360_000);

  it(
    `survives ${knobs.kills} kills at random moments of a write load, some during start-up: ready, nothing acked lost, seqs gap-free, consistent by SQL and amcheck`,
    async () => {
      const root = tempDir();
      const dataDir = path.join(root, 'data');
      const server = await CrashableServer.create({ DATA_DIR: dataDir, LOG_DIR: path.join(root, 'logs'), UPLOAD_DIR: path.join(root, 'uploads'), RATE_LIMIT: 'off', LOG_LEVEL: 'warn' });
      await server.start();
      const { accounts, groupId } = await chatRoom(server, knobs.clients, 'kd');
      const senders = accounts.map((a, i) => new RestSender(() => server.base, a.token, groupId, `w${i}`).start(60));
      const writes = otherWrites(server.base, accounts, () => senders.flatMap((s) => [...s.acked.values()]));
      const ackedCount = () => senders.reduce((n, s) => n + s.acked.size, 0);

      const readyMs: number[] = [];
      let kills = 0;
      let killsDuringStart = 0;
      for (let i = 0; i < knobs.kills; i++) {
        const before = ackedCount();
        await waitFor(() => ackedCount() > before + 5, `writes flowing before kill ${i + 1}\n${server.output().slice(-2000)}`, 60_000);
        await sleep(Math.random() * knobs.seconds * 1000);
        await server.kill();
        kills++;
        if (i % 2 === 1) {
          // Killed again while it opens the killed directory (replaying its log) or starts up.
          const s = await server.start({ wait: false });
          await sleep(300 + Math.random() * 2500);
          if (s.child.exitCode === null) {
            await server.kill();
            kills++;
            killsDuringStart++;
          }
        }
        const t0 = performance.now();
        await server.start();
        readyMs.push(performance.now() - t0);
        // Consistent as it comes back: every message acked so far is there once, with its ack's
        // id and seq, and seqs are gap-free (writes go on meanwhile).
        const acked = allAcked(senders);
        const check = checkFeed(await eventsFeed(server, accounts[0]!.token, groupId), acked);
        expect({ kill: i + 1, seqFaults: check.seqFaults, duplicates: check.duplicates, lost: check.lost, mismatched: check.mismatched }).toEqual({
          kill: i + 1,
          seqFaults: [],
          duplicates: [],
          lost: [],
          mismatched: [],
        });
      }
      await writes.stop();
      await Promise.all(senders.map((s) => s.stop()));
      expect(senders.flatMap((s) => s.refused)).toEqual([]);
      const acked = allAcked(senders);
      const check = checkFeed(await eventsFeed(server, accounts[0]!.token, groupId), acked);
      expect(check.seqFaults).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.lost).toEqual([]);
      expect(check.messages).toBe(acked.size);

      // A last kill, then the directory as the kill left it, opened here: consistent by SQL, and
      // amcheck finds no damaged index or heap page.
      await server.kill();
      kills++;
      const pg = await PGlite.create(path.join(dataDir, 'pglite'), { extensions: { amcheck } });
      try {
        const query = async (q: string) => (await pg.query(q)).rows;
        expect(await integrityFaults(query)).toEqual({});
        await pg.exec('CREATE EXTENSION IF NOT EXISTS amcheck');
        const indexes = await query(`
          SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE am.amname = 'btree' AND n.nspname = 'public'`);
        expect(indexes.length).toBeGreaterThan(10);
        // Each index's structure, and every heap tuple present in it.
        await query(`
          SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE am.amname = 'btree' AND n.nspname = 'public'`);
        const heapFaults = await query(`
          SELECT c.relname, v.* FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, verify_heapam(c.oid) v
          WHERE c.relkind = 'r' AND n.nspname = 'public'`);
        expect(heapFaults).toEqual([]);
      } finally {
        await pg.close();
      }
      // And the server itself starts on it again.
      await server.start();
      expect(await server.stop()).toBe(0);

      printFigures('chaos: kill -9 of the embedded database (PGlite DATA_DIR) under writes', {
        kills,
        'of them during start-up': killsDuringStart,
        'messages acked': acked.size,
        'other writes done': writes.done(),
        duplicates: check.duplicates.length,
        lost: check.lost.length,
        'start to /readyz after a kill, p50': `${Math.round(percentile(readyMs, 50))} ms`,
        'start to /readyz after a kill, max': `${Math.round(Math.max(...readyMs))} ms`,
        'REST retries': failureSummary(senders),
      });
    },
    chaosTimeoutMs(knobs, 90_000),
  );
});
