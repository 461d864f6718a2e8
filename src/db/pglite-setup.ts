/**
 * How the embedded database (PGlite) starts: the memory it is given, and the empty database a new
 * one is unpacked from. `npm run build` (scripts/build.ts) makes that empty database once, with
 * every migration applied, so a fresh DATA_DIR (and every in-memory database of the tests) skips
 * initdb and the migrations; without a matching one, PGlite runs initdb as before.
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
/** The empty database made at build time ('../..' is the repository from src/db/ and from dist/server/). */
export const PGLITE_TEMPLATE = fileURLToPath(new URL('../../dist/pglite-template.tar.gz', import.meta.url));
/** Which migrations the template holds: it is used only when they are exactly this code's. */
const TEMPLATE_STAMP = PGLITE_TEMPLATE.replace(/\.tar\.gz$/, '.json');

export interface PgliteSettings {
  /** PostgreSQL's shared_buffers, e.g. "32MB" (default DEFAULT_PGLITE_SHARED_BUFFERS, src/core/config.ts). */
  sharedBuffers?: string;
}

/** PGlite's start parameters with ours added (PGlite's own are kept: single-user mode and the rest). */
export function pgliteStartParams(settings: PgliteSettings = {}): string[] {
  return [...PGlite.defaultStartParams, '-c', `shared_buffers=${settings.sharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS}`];
}

function migrationsFingerprint(): string {
  return createHash('sha256').update(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'))).digest('hex');
}

let cached: { blob: Blob | null } | null = null;

/** The build's empty database, when there is one made from exactly these migrations; read once per process. */
export function pgliteTemplate(logger: Logger): Blob | null {
  if (cached) return cached.blob;
  let blob: Blob | null = null;
  try {
    const stamp = JSON.parse(fs.readFileSync(TEMPLATE_STAMP, 'utf8')) as { migrations?: string };
    if (stamp.migrations === migrationsFingerprint()) blob = new Blob([fs.readFileSync(PGLITE_TEMPLATE)]);
    else logger.info('the empty database in dist/ was made from other migrations; creating one instead (npm run build makes it again)');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err }, 'could not read the empty database in dist/; creating one instead');
  }
  cached = { blob };
  return blob;
}

/** Makes the empty database with every migration applied, written to `file` (and its stamp beside it). */
export async function buildPgliteTemplate(file: string = PGLITE_TEMPLATE): Promise<void> {
  const client = await PGlite.create('memory://', { startParams: pgliteStartParams() });
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    await client.query('CHECKPOINT');
    const tarball = await client.dumpDataDir('gzip');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, Buffer.from(await tarball.arrayBuffer()));
    fs.renameSync(tmp, file);
    fs.writeFileSync(file.replace(/\.tar\.gz$/, '.json'), `${JSON.stringify({ migrations: migrationsFingerprint() })}\n`);
  } finally {
    await client.close();
  }
  cached = null;
}
