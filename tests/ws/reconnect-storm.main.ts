/**
 * `npm run storm`: the reconnect storm's long form. STORM_SOCKETS (default 10000) sockets come
 * back at once, each STORM_MISSED (default 20) events behind in STORM_CONVERSATIONS (default 2)
 * conversations, and sync; prints the figures. PGlite by default; PostgreSQL with
 * `bash scripts/with-postgres.sh npm run storm`. STORM_SYNC_CONCURRENCY / STORM_SYNC_QUEUE
 * override the gateway's defaults.
 */
import { runStorm } from '../helpers/storm.js';

const num = (name: string, fallback?: number): number | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};

const started = Date.now();
const r = await runStorm({
  sockets: num('STORM_SOCKETS', 10_000)!,
  missed: num('STORM_MISSED', 20)!,
  conversations: num('STORM_CONVERSATIONS', 2),
  users: num('STORM_USERS', 50),
  syncConcurrency: num('STORM_SYNC_CONCURRENCY'),
  syncQueue: num('STORM_SYNC_QUEUE'),
  timeoutMs: num('STORM_TIMEOUT_MS', 600_000),
  log: (line) => process.stdout.write(`storm: ${line}\n`),
});
process.stdout.write(
  [
    `sockets                 ${r.sockets} (${r.conversations} conversations, ${r.missed} missed events each, ${r.database})`,
    `all connected after     ${(r.allConnectedMs / 1000).toFixed(1)} s`,
    `all synced after        ${(r.allSyncedMs / 1000).toFixed(1)} s (from the syncs' start)`,
    `synced / dropped        ${r.synced} / ${r.dropped}`,
    `events delivered        ${r.events} (out of order, repeated or missing: ${r.wrongEvents})`,
    `max concurrent syncs    ${r.peakSyncsRunning} (limit ${r.syncConcurrency})`,
    `back-offs sent / seen   ${r.backoffsSent} / ${r.backoffsSeen} (largest retryAfter ${r.maxRetryAfterS} s; retried early: ${r.earlyRetries})`,
    `RSS before / peak       ${r.rssBeforeMb} / ${r.peakRssMb} MB (server and clients in one process)`,
    `slowest /healthz        ${r.maxHealthzMs} ms (at most ${r.maxHealthzCpuMs} ms of this process's CPU while one was on its way)`,
    `run time                ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
  ].join('\n'),
);
process.exit(r.synced === r.sockets && r.wrongEvents === 0 && r.dropped === 0 ? 0 : 1);
