/**
 * An export beside everyone else (issue 26): one real server process pinned on CPU 0, this load
 * generator on CPU 1. A group of BENCH_EXPORT_MESSAGES (1,000,000) messages is bulk-loaded
 * (multi-row INSERTs, no server running), then BENCH_EXPORT_USERS (10) other users each make one
 * request after another (a history page, the inbox, their profile, a send), BENCH_EXPORT_THINK_MS
 * (100) apart, a light load that leaves the server mostly idle: first for BENCH_EXPORT_SECONDS
 * (15) with no export (the baseline), then while the group's owner downloads its export as fast
 * as the loopback takes it. Target: the other users' p99 at most 50 ms during the export.
 * Embedded PGlite by default; with DATABASE_URL the server gets a scratch database on that
 * PostgreSQL server. The loaded tables are vacuumed as the import does (BENCH_EXPORT_VACUUM=0:
 * not), and the search-prefix backfill is marked done (BENCH_EXPORT_BACKFILL=1: it runs). Each
 * phase also prints p50/p99 per kind of request.
 *   npm run bench -- export
 *   BENCH_EXPORT_MESSAGES=100000 BENCH_EXPORT_SECONDS=5 npm run bench -- export
 */
import { sql } from 'drizzle-orm';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { newId } from '../src/core/ids.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase, vacuumChangedTables } from '../src/db/database.js';
import { conversations, members, users } from '../src/db/schema.js';
import { hashPassword } from '../src/services/identity/passwords.js';
import { BACKFILL_KEY } from '../src/services/messaging/search-prefix-backfill.js';
import { api, freePort, waitReady, type ServerProcess } from '../tests/helpers/process.js';
import { percentiles, type Scenario } from './lib.js';
import { insertBatches, loadMessages, rng } from './load.js';
import { cpuWaitSeconds, pinSelf, pinningNote, spawnPinned, stopProcess, SERVER_ENTRY } from './loadgen.js';
import { registerUsers, scratchDatabase } from './procs.js';

const TOTAL = Number(process.env.BENCH_EXPORT_MESSAGES ?? 1_000_000);
const USERS = Number(process.env.BENCH_EXPORT_USERS ?? 10);
const THINK_MS = Number(process.env.BENCH_EXPORT_THINK_MS ?? 100);
const SECONDS = Number(process.env.BENCH_EXPORT_SECONDS ?? 15);
/** Exports one after another: the first reads rows never read before (PostgreSQL sets their hint bits as it goes), the next ones do not. */
const RUNS = Number(process.env.BENCH_EXPORT_RUNS ?? 2);
/**
 * The loaded tables are vacuumed before the server starts, as the import and the embedded
 * database's hourly maintenance do (which sets the rows' hint bits once). BENCH_EXPORT_VACUUM=0
 * leaves them never vacuumed: the first export then sets them as it reads, page by page.
 */
const VACUUM = process.env.BENCH_EXPORT_VACUUM !== '0';
/**
 * The loaded messages carry their search terms with prefixes, as this release's sends write them,
 * so the word-prefix backfill (which adds prefixes to messages of older releases) is marked done,
 * as it is on any database it has run on. BENCH_EXPORT_BACKFILL=1 leaves it to run after start,
 * as on the first start after an upgrade: its batches then share the database with the export.
 */
const BACKFILL = process.env.BENCH_EXPORT_BACKFILL === '1';
const TARGET_P99_MS = 50;
const PASSWORD = 'bench-password';

const WORDS = ['the', 'team', 'ships', 'a', 'build', 'today', 'review', 'meeting', 'notes', 'plan', '今天', '我们', '项目', '进度', '会议', '上线'];

/** The group's owner and the group, loaded straight into the database before the server starts. */
async function fill(db: Parameters<typeof loadMessages>[0], log: (l: string) => void): Promise<{ username: string; groupId: string }> {
  const ownerId = newId();
  const username = `exporter_${Date.now()}`;
  await insertBatches(db, users, [{ id: ownerId, username, displayName: 'Exporter 导出者', passwordHash: await hashPassword(PASSWORD) }]);
  const groupId = newId();
  await insertBatches(db, conversations, [{ id: groupId, kind: 'group', name: 'one million 一百万', visibility: 'private', memberCount: 1 }]);
  await insertBatches(db, members, [{ conversationId: groupId, userId: ownerId, role: 'owner' }]);
  const r = rng(26);
  const text = () => Array.from({ length: 3 + Math.floor(r() * 12) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
  const t0 = Date.now() - TOTAL - 10_000;
  await loadMessages(db, TOTAL, (i) => ({ id: newId(), conversationId: groupId, seq: i + 1, senderId: ownerId, body: text(), createdAt: new Date(t0 + i) }), { log });
  return { username, groupId };
}

interface Client {
  token: string;
  conversationId: string;
}

/** Every client makes one request after another (THINK_MS apart) until `stop()` is true; latencies in ms. */
const KINDS = ['history page', 'inbox', 'profile', 'send'] as const;

async function load(server: ServerProcess, clients: Client[], stop: () => boolean): Promise<{ latencies: number[]; byKind: number[][]; errors: number }> {
  const latencies: number[] = [];
  const byKind: number[][] = KINDS.map(() => []);
  let errors = 0;
  await Promise.all(
    clients.map(async (c, k) => {
      for (let i = 0; !stop(); i++) {
        const auth = { authorization: `Bearer ${c.token}` };
        const s = performance.now();
        let res: Response;
        switch ((i + k) % 4) {
          case 0:
            res = await fetch(`${server.base}/api/v1/conversations/${c.conversationId}/messages?limit=50`, { headers: auth });
            break;
          case 1:
            res = await fetch(`${server.base}/api/v1/conversations`, { headers: auth });
            break;
          case 2:
            res = await fetch(`${server.base}/api/v1/users/me`, { headers: auth });
            break;
          default:
            res = await fetch(`${server.base}/api/v1/conversations/${c.conversationId}/messages`, {
              method: 'POST',
              headers: { ...auth, 'content-type': 'application/json' },
              body: JSON.stringify({ body: `while an export runs ${k}-${i} 导出时照常聊天`, clientMsgId: `c${k}-${i}-${Date.now()}` }),
            });
        }
        await res.arrayBuffer();
        latencies.push(performance.now() - s);
        byKind[(i + k) % 4]!.push(performance.now() - s);
        if (res.status >= 300) errors++;
        await new Promise((r) => setTimeout(r, THINK_MS));
      }
    }),
  );
  return { latencies, byKind, errors };
}

/** p50/p99 of each kind of request, to see which one makes a phase's tail. */
function kinds(r: { byKind: number[][] }): string {
  return KINDS.map((name, i) => {
    const p = percentiles(r.byKind[i]!.length ? r.byKind[i]! : [0]);
    return `${name} ${p.p50.toFixed(1)}/${p.p99.toFixed(1)}`;
  }).join(', ');
}

/** The export of the group, read as fast as it comes and thrown away: bytes and ms. */
async function download(server: ServerProcess, token: string, groupId: string): Promise<{ bytes: number; ms: number }> {
  const s = performance.now();
  const res = await fetch(`${server.base}/api/v1/groups/${groupId}/export`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200 || !res.body) throw new Error(`export: ${res.status} ${await res.text()}`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Uint8Array).byteLength;
  return { bytes, ms: performance.now() - s };
}

/**
 * The server's event-loop delay since the previous scrape (prom-client resets its monitor at each
 * one): its p99 and max, in ms.
 */
async function loopLag(server: ServerProcess): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') };
}

/** From the server's /metrics: pages read and the bucket bound that 99 % of them took at most. */
async function pageTimes(server: ServerProcess): Promise<{ pages: number; p99Ms: string; meanMs: number }> {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const buckets = [...text.matchAll(/^parley_export_page_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
  const count = Number(/^parley_export_page_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0);
  const sum = Number(/^parley_export_page_seconds_sum ([0-9.e+-]+)$/m.exec(text)?.[1] ?? 0);
  const p99 = buckets.find((b) => b.n >= 0.99 * count);
  return { pages: count, p99Ms: p99 ? (p99.le === '+Inf' ? '> 2500' : `≤ ${Number(p99.le) * 1000}`) : '', meanMs: count ? (sum / count) * 1000 : 0 };
}

export const exportScenario: Scenario = {
  name: 'export',
  describe: `${USERS} other users' requests while the export of a ${TOTAL.toLocaleString('en')}-message group streams, vs the same requests with no export (target: p99 at most ${TARGET_P99_MS} ms)`,
  async run(ctx) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-export-'));
    const restore = pinSelf();
    let server: ServerProcess | null = null;
    const scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL) : null;
    ctx.log(pinningNote());
    try {
      const dataDir = path.join(root, 'data');
      const logger = createLogger({ level: 'warn', logDir: null, pretty: false });
      const database = await openDatabase(scratch ? { kind: 'postgres', url: scratch.url } : { kind: 'pglite', dataDir }, logger);
      const t = performance.now();
      let owner: { username: string; groupId: string };
      try {
        owner = await fill(database.db, ctx.log);
        if (!BACKFILL) {
          await database.db.execute(sql`INSERT INTO settings (key, value) SELECT ${BACKFILL_KEY}, id::text FROM messages ORDER BY id DESC LIMIT 1
                                        ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
        }
        if (VACUUM) {
          const v = performance.now();
          const tables = await vacuumChangedTables(database.db);
          ctx.log(`  VACUUM ${tables.join(', ')} (as the import does): ${((performance.now() - v) / 1000).toFixed(1)} s`);
        }
      } finally {
        await database.close();
      }
      ctx.log(`  ${TOTAL.toLocaleString('en')} messages loaded in ${((performance.now() - t) / 1000).toFixed(0)} s`);

      server = spawnPinned(
        [SERVER_ENTRY],
        { ...(scratch ? { DATABASE_URL: scratch.url } : { DATABASE_URL: '' }), DATA_DIR: dataDir, UPLOAD_DIR: path.join(root, 'uploads'), LOG_DIR: process.env.BENCH_LOG_DIR ?? path.join(root, 'logs') },
        await freePort(),
      );
      await waitReady(server, 180_000);
      const login = await api(server, 'POST', '/auth/login', { username: owner.username, password: PASSWORD });
      if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.json)}`);
      const ownerToken = login.json.token as string;
      const others = await registerUsers(server, USERS, `exp${Date.now() % 100000}_`);
      const group = await api(server, 'POST', '/groups', { name: 'everyone else 其他人', memberIds: others.slice(1).map((u) => u.user.id) }, others[0]!.token);
      if (group.status !== 201) throw new Error(`group: ${group.status} ${JSON.stringify(group.json)}`);
      const clients = others.map((u) => ({ token: u.token, conversationId: group.json.id as string }));

      // Warm up (first requests compile the routes' code paths), then the baseline.
      let until = performance.now() + 2000;
      await load(server, clients, () => performance.now() > until);
      ctx.log(`  baseline: ${USERS} users for ${SECONDS} s, no export`);
      const pid = server.child.pid!;
      await loopLag(server);
      let wait0 = cpuWaitSeconds(pid);
      until = performance.now() + SECONDS * 1000;
      const baseline = await load(server, clients, () => performance.now() > until);
      const baselineLag = { ...(await loopLag(server)), cpuWait: cpuWaitSeconds(pid) - wait0 };
      ctx.log(`  baseline p50/p99 ms by request: ${kinds(baseline)}`);
      wait0 = cpuWaitSeconds(pid);

      const rows: Record<string, string | number>[] = [];
      const row = (label: string, r: { latencies: number[]; errors: number }, seconds: number, lag: { p99: number; max: number; cpuWait: number }, extra: string) => {
        const p = percentiles(r.latencies.length ? r.latencies : [0]);
        rows.push({
          phase: label,
          requests: r.latencies.length,
          'req/s': (r.latencies.length / seconds).toFixed(0),
          'p50 ms': p.p50.toFixed(1),
          'p99 ms': p.p99.toFixed(1),
          'max ms': Math.max(0, ...r.latencies).toFixed(1),
          errors: r.errors,
          'server event-loop delay p99/max ms': `${lag.p99.toFixed(1)} / ${lag.max.toFixed(1)}`,
          // Other processes on the server's CPU: time it was runnable but not running.
          'server waited for its CPU': `${lag.cpuWait.toFixed(1)} s of ${seconds.toFixed(0)} s`,
          export: extra,
        });
      };
      row('baseline: no export', baseline, SECONDS, baselineLag, '');
      let pagesBefore = { count: 0, sum: 0 };
      for (let run = 1; run <= RUNS; run++) {
        ctx.log(`  the same load while export ${run} of ${RUNS} streams`);
        let exporting = true;
        const [during, file] = await Promise.all([
          load(server, clients, () => !exporting),
          download(server, ownerToken, owner.groupId).finally(() => (exporting = false)),
        ]);
        const duringLag = { ...(await loopLag(server)), cpuWait: cpuWaitSeconds(pid) - wait0 };
        wait0 = cpuWaitSeconds(pid);
        const pages = await pageTimes(server);
        const meanMs = pages.pages > pagesBefore.count ? ((pages.meanMs * pages.pages - pagesBefore.sum) / (pages.pages - pagesBefore.count)) : 0;
        pagesBefore = { count: pages.pages, sum: pages.meanMs * pages.pages };
        const p99 = percentiles(during.latencies.length ? during.latencies : [0]).p99;
        ctx.log(`  export ${run}, p50/p99 ms by request: ${kinds(during)}`);
        ctx.log(`  export ${run}: ${(file.bytes / 2 ** 20).toFixed(0)} MiB in ${(file.ms / 1000).toFixed(1)} s, page mean ${meanMs.toFixed(2)} ms; other users' p99 ${p99.toFixed(1)} ms (target ≤ ${TARGET_P99_MS} ms): ${p99 <= TARGET_P99_MS ? 'met' : 'MISSED'}`);
        row(
          `during export ${run} of ${TOTAL.toLocaleString('en')} messages${run === 1 ? (VACUUM ? ' (rows vacuumed, never read)' : ' (rows never vacuumed nor read)') : ''}`,
          during,
          file.ms / 1000,
          duringLag,
          `${(file.bytes / 2 ** 20).toFixed(0)} MiB in ${(file.ms / 1000).toFixed(1)} s (${(file.bytes / 2 ** 20 / (file.ms / 1000)).toFixed(1)} MiB/s); page mean ${meanMs.toFixed(2)} ms${run === RUNS ? `, 99 % of all pages ${pages.p99Ms} ms` : ''}`,
        );
        await loopLag(server);
      }
      return rows;
    } finally {
      if (server) await stopProcess(server);
      await scratch?.drop();
      restore();
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
