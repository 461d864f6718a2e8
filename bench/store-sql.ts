/**
 * The database side of a send, alone: parley_store_messages batches (as MessageStoreQueue sends
 * them) against bare INSERTs, through postgres.js, on a scratch database of DATABASE_URL.
 *   bash scripts/with-postgres.sh bash -c 'DATABASE_URL=$TEST_DATABASE_URL node --import tsx bench/store-sql.ts'
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { searchTerms } from '../src/db/search-terms.js';
import { scratchDatabase } from './procs.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONVS = 500;
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const FN = process.env.BENCH_FN ?? 'parley_store_messages';

async function main(): Promise<void> {
  const scratch = await scratchDatabase(process.env.DATABASE_URL!);
  const logger = createLogger({ level: 'warn', logDir: null, pretty: false });
  const database = await openDatabase({ kind: 'postgres', url: scratch.url }, logger);
  await database.close();
  const sql = postgres(scratch.url, { max: 10, onnotice: () => {} });
  try {
    const users = Array.from({ length: CONVS * 2 }, () => randomUUID());
    const convs = Array.from({ length: CONVS }, () => randomUUID());
    await sql`INSERT INTO users (id, username, display_name, password_hash) SELECT u, 'u' || n, 'U' || n, 'x' FROM unnest(${users}::uuid[]) WITH ORDINALITY AS t(u, n)`;
    await sql`INSERT INTO conversations (id, kind, direct_key, member_count) SELECT c, 'direct', c::text, 2 FROM unnest(${convs}::uuid[]) AS c`;
    await sql`INSERT INTO members (conversation_id, user_id, role) SELECT c, u, 'member' FROM unnest(${convs.flatMap((c) => [c, c])}::uuid[], ${users}::uuid[]) AS t(c, u)`;
    if (process.env.BENCH_SQL_FILE) await sql.unsafe((await import('node:fs')).readFileSync(process.env.BENCH_SQL_FILE, 'utf8'));
    const body = 'load c123-45, a message body of a typical length, 你好 👋';
    const terms = searchTerms(body);
    let n = 0;
    let k = 0;
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          const items = Array.from({ length: BATCH }, () => {
            const i = k++ % (CONVS * 2);
            return { id: randomUUID(), c: convs[i >> 1], s: users[i], k: `k${k}`, b: body, r: null, m: [], t: terms, at: new Date().toISOString() };
          });
          items.sort((a, b) => (a.c! < b.c! ? -1 : a.c! > b.c! ? 1 : 0));
          await sql.unsafe(`SELECT * FROM ${FN}($1::jsonb)`, [items as never]);
          if (performance.now() <= until) n += BATCH;
        }
      }),
    );
    console.log(`${FN}: ${(n / SECONDS).toFixed(0)} items/s (batches of ${BATCH}, ${CONCURRENCY} at once)`);
    await sql.unsafe('CREATE TABLE bare (id bigserial PRIMARY KEY, conv int NOT NULL, sender int NOT NULL, client_msg_id text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
    let b = 0;
    const until2 = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 1000 }, async (_, w) => {
        for (let i = 0; performance.now() < until2; i++) {
          await sql`INSERT INTO bare (conv, sender, client_msg_id, body) VALUES (${w >> 1}, ${w}, ${`c${w}-${i}`}, ${body})`;
          if (performance.now() <= until2) b++;
        }
      }),
    );
    console.log(`bare INSERT: ${(b / SECONDS).toFixed(0)} rows/s (1000 in flight, pool 10)`);
  } finally {
    await sql.end();
    await scratch.drop();
  }
}

void main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
