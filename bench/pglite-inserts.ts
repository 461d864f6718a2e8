/**
 * The PGlite baseline of the `sends` scenario, run as its own process (pinned like the server):
 *   node --import tsx bench/pglite-inserts.ts DIR SECONDS CONCURRENCY
 * Opens PGlite on DIR (a file-backed database, as the server does), then runs bare INSERTs of
 * message-sized rows with CONCURRENCY in flight for SECONDS; prints `{"perSec":…,"cpu":…}`.
 */
import { PGlite } from '@electric-sql/pglite';
import { performance } from 'node:perf_hooks';
import { BARE_BODY, BARE_TABLE } from './loadgen.js';

async function main(): Promise<void> {
  const [dir, secondsArg, concurrencyArg] = process.argv.slice(2);
  const seconds = Number(secondsArg);
  const concurrency = Number(concurrencyArg);
  if (!dir || !(seconds > 0) || !(concurrency > 0)) throw new Error('usage: pglite-inserts.ts DIR SECONDS CONCURRENCY');
  const db = await PGlite.create(dir);
  try {
    await db.exec(BARE_TABLE);
    let n = 0;
    const cpu0 = process.cpuUsage();
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) {
          await db.query('INSERT INTO bare (conv, sender, client_msg_id, body) VALUES ($1, $2, $3, $4)', [w >> 1, w, `c${w}-${i}`, BARE_BODY]);
          if (performance.now() <= until) n++;
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`${JSON.stringify({ perSec: n / seconds, cpu: (cpu.user + cpu.system) / 1e6 })}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
