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
/** The empty database made at build time ('../..' is the repository from src/db/ and from dist/server/). */
export const PGLITE_TEMPLATE = fileURLToPath(new URL('../../dist/pglite-template.tar.gz', import.meta.url));
/** The same database as a folder, beside the tarball. */
export const PGLITE_TEMPLATE_DIR = PGLITE_TEMPLATE.replace(/\.tar\.gz$/, '');
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

export interface PgliteTemplate {
  /** The empty database as a folder, to copy to a new DATA_DIR. */
  dir: string;
  /** The same as a tarball, for PGlite's loadDataDir (read on first use, then kept). */
  tarball(): Blob;
}

let cached: { template: PgliteTemplate | null } | null = null;

/** The build's empty database, when there is one made from exactly these migrations; checked once per process. */
export function pgliteTemplate(logger: Logger): PgliteTemplate | null {
  if (cached) return cached.template;
  let template: PgliteTemplate | null = null;
  try {
    const stamp = JSON.parse(fs.readFileSync(TEMPLATE_STAMP, 'utf8')) as { migrations?: string };
    if (stamp.migrations !== migrationsFingerprint()) {
      logger.info('the empty database in dist/ was made from other migrations; creating one instead (npm run build makes it again)');
    } else if (fs.existsSync(path.join(PGLITE_TEMPLATE_DIR, 'PG_VERSION')) && fs.existsSync(PGLITE_TEMPLATE)) {
      let blob: Blob | null = null;
      template = { dir: PGLITE_TEMPLATE_DIR, tarball: () => (blob ??= new Blob([fs.readFileSync(PGLITE_TEMPLATE)])) };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err }, 'could not read the empty database in dist/; creating one instead');
  }
  cached = { template };
  return template;
}

/**
 * Makes the empty database with every migration applied: the folder PGLITE_TEMPLATE_DIR, the
 * tarball PGLITE_TEMPLATE, and the stamp naming its migrations. Each is written aside and
 * renamed into place.
 */
export async function buildPgliteTemplate(): Promise<void> {
  const tmpDir = `${PGLITE_TEMPLATE_DIR}.tmp-${process.pid}`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(PGLITE_TEMPLATE_DIR), { recursive: true });
  const client = await PGlite.create(tmpDir, { startParams: pgliteStartParams() });
  let tarball: Blob;
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    await client.query('CHECKPOINT');
    tarball = await client.dumpDataDir('gzip');
  } finally {
    await client.close();
  }
  const tmpTar = `${PGLITE_TEMPLATE}.tmp-${process.pid}`;
  fs.writeFileSync(tmpTar, Buffer.from(await tarball.arrayBuffer()));
  fs.rmSync(PGLITE_TEMPLATE_DIR, { recursive: true, force: true });
  fs.renameSync(tmpDir, PGLITE_TEMPLATE_DIR);
  fs.renameSync(tmpTar, PGLITE_TEMPLATE);
  fs.writeFileSync(TEMPLATE_STAMP, `${JSON.stringify({ migrations: migrationsFingerprint() })}\n`);
  cached = null;
}
