/**
 * How the embedded database (PGlite) starts: the memory it is given, and the empty database a new
 * one is copied from. `npm run build` (scripts/build.ts) makes that empty database once, with
 * every migration applied, as a folder (a fresh DATA_DIR is a copy of it: no initdb, no
 * migrations, no second start of PGlite) and as a tarball (what an in-memory database of the
 * tests loads). Without one made from exactly these migrations, PGlite runs initdb as before.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PGLITE_SHARED_BUFFERS } from '../core/config.js';
import type { Logger } from '../core/logger.js';

/** The SQL migrations; beside the code in the build too (dist/server/migrations). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
/**
 * The empty database made at build time ('../..' is the repository from src/db/ and from
 * dist/server/): `pgdata/` (the database folder), `pgdata.tar` (the same as a tarball) and
 * `stamp.json` (which migrations it holds: it is used only when they are exactly this code's).
 */
export const PGLITE_TEMPLATE_DIR = fileURLToPath(new URL('../../dist/pglite-template', import.meta.url));
/** The file a template build writes last (scripts/build.ts checks it). */
export const PGLITE_TEMPLATE_MARKER = 'stamp.json';

export interface PgliteSettings {
  /** PostgreSQL's shared_buffers, e.g. "32MB" (default DEFAULT_PGLITE_SHARED_BUFFERS, src/core/config.ts). */
  sharedBuffers?: string;
}

/** PGlite's start parameters with ours added (PGlite's own are kept: single-user mode and the rest). */
export function pgliteStartParams(settings: PgliteSettings = {}): string[] {
  return [
    ...PGlite.defaultStartParams,
    '-c',
    `shared_buffers=${settings.sharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS}`,
    // Statements are prepared once (pglite-prepare.ts) but planned for each run's values, as they
    // were before: with generic plans the inbox page of a user in 10,000 conversations took 21 ms
    // of bare SQL instead of 14 (p50, bench history, two runs back to back), and the plans the
    // tests check (inbox-plans) are custom ones.
    '-c',
    'plan_cache_mode=force_custom_plan',
  ];
}

/** Names a set of migrations (their journal): what the build's empty database, and the tests' PostgreSQL template, were made from. */
export function migrationsFingerprint(): string {
  return createHash('sha256').update(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'))).digest('hex');
}

export interface PgliteTemplate {
  /** The empty database as a folder, to copy to a new DATA_DIR. */
  dir: string;
  /** The same as a tarball, for PGlite's loadDataDir (read on first use, then kept). */
  tarball(): Blob;
}

/**
 * The template tarball for PGlite's loadDataDir, read once per process. Node 20's Blob reads
 * itself through a stream of small chunks joined at the end, into fresh memory each time: 250 ms
 * of CPU for the template (42 MB then), a third of opening an in-memory database from it (CPU
 * profile of PGlite.create; a test run opens about 150). arrayBuffer() here gives the bytes read at the
 * start, not a copy: loadDataDir only reads them (untar, then a copy of each file into its
 * in-memory file system), as does anything else that reads a Blob.
 */
class BytesBlob extends Blob {
  readonly #bytes: ArrayBuffer;
  constructor(bytes: Uint8Array) {
    super([bytes]);
    this.#bytes = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.#bytes);
  }
}

let cached: { template: PgliteTemplate | null } | null = null;

/** The build's empty database, when there is one made from exactly these migrations; checked once per process. */
export function pgliteTemplate(logger: Logger): PgliteTemplate | null {
  if (cached) return cached.template;
  let template: PgliteTemplate | null = null;
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(PGLITE_TEMPLATE_DIR, PGLITE_TEMPLATE_MARKER), 'utf8')) as { migrations?: string };
    if (stamp.migrations !== migrationsFingerprint()) {
      logger.info('the empty database in dist/ was made from other migrations; creating one instead (npm run build makes it again)');
    } else {
      let blob: Blob | null = null;
      const tarball = path.join(PGLITE_TEMPLATE_DIR, 'pgdata.tar');
      const dir = path.join(PGLITE_TEMPLATE_DIR, 'pgdata');
      // Both parts, or none (a template from an older build lacks one): then initdb.
      if (fs.existsSync(tarball) && fs.existsSync(path.join(dir, 'PG_VERSION'))) {
        template = { dir, tarball: () => (blob ??= new BytesBlob(fs.readFileSync(tarball))) };
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err }, 'could not read the empty database in dist/; creating one instead');
  }
  cached = { template };
  return template;
}

/**
 * Makes the empty database with every migration applied into `outDir` (a folder that does not
 * exist yet; scripts/build.ts swaps it in whole): pgdata/, pgdata.tar, then stamp.json.
 */
export async function buildPgliteTemplate(outDir: string): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  const client = await PGlite.create(path.join(outDir, 'pgdata'), { startParams: pgliteStartParams() });
  let tarball: Blob;
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    // Statistics for every (empty) table now, not at run time: a table never analyzed counts as
    // due (database.ts, analyzeChangedTables), so every server on a fresh DATA_DIR analyzed all of
    // them a minute after its start, and PGlite's memory grew 25 MiB for good (257 -> 268 MiB
    // idle RSS, sampled every 5 s).
    await client.query('ANALYZE');
    // initdb's template0 and template1 are for CREATE DATABASE, which the embedded database never
    // runs (it serves one database, "postgres"): 16 of the 42 MB every fresh DATA_DIR copied and
    // every in-memory database (the tests') unpacked.
    for (const name of ['template0', 'template1']) {
      await client.query(`ALTER DATABASE ${name} IS_TEMPLATE false`);
      await client.query(`DROP DATABASE ${name}`);
    }
    await client.query('CHECKPOINT');
    tarball = await client.dumpDataDir('none');
  } finally {
    await client.close();
  }
  fs.writeFileSync(path.join(outDir, 'pgdata.tar'), Buffer.from(await tarball.arrayBuffer()));
  fs.writeFileSync(path.join(outDir, PGLITE_TEMPLATE_MARKER), `${JSON.stringify({ migrations: migrationsFingerprint() })}\n`);
  cached = null;
}
