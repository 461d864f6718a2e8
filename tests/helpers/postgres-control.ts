/**
 * A PostgreSQL cluster of a test's own, to stop, start and kill while the app runs against it.
 * Not the cluster of scripts/with-postgres.sh: other test files use that one at the same time
 * (vitest runs two at once), and stopping it would fail them. Same binaries (PARLEY_PG_BIN, which
 * with-postgres.sh exports, or the newest /usr/lib/postgresql/N/bin) and, as root, the same
 * `postgres` user. initdb costs a couple of seconds: create one per file, in beforeAll.
 *
 *   const pg = await createPostgresCluster();
 *   await pg.stop();            // fast shutdown: clients get 57P01, then ECONNREFUSED
 *   await pg.start();           // same port, same data
 *   await pg.kill();            // kill -9 of the postmaster (crash recovery on start)
 *   await pg.destroy();         // afterAll
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from './process.js';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly running: boolean;
  /** pg_ctl stop (mode fast by default; `immediate` is an abrupt stop without a checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** kill -9 of the postmaster; its backends exit when they notice. */
  kill(): Promise<void>;
  /** A database of its own on this cluster. */
  createDatabase(name: string): Promise<string>;
  destroy(): Promise<void>;
}

function pgBin(): string {
  const fromEnv = process.env.PARLEY_PG_BIN;
  if (fromEnv && fs.existsSync(path.join(fromEnv, 'pg_ctl'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl'))) : [];
  versions.sort((a, b) => Number(a) - Number(b));
  const v = versions.at(-1);
  if (!v) throw new Error('no PostgreSQL server under /usr/lib/postgresql/*/bin');
  return path.join(root, v, 'bin');
}

/** True when this machine can run a cluster of its own (the binaries are there). */
export function canRunPostgres(): boolean {
  try {
    pgBin();
    return true;
  } catch {
    return false;
  }
}

export async function createPostgresCluster(): Promise<PostgresCluster> {
  const bin = pgBin();
  const asRoot = process.getuid?.() === 0;
  // Where scripts/with-postgres.sh makes the run's cluster (scripts/test.sh: memory when it can).
  const dir = fs.mkdtempSync(path.join(process.env.PG_PARENT_DIR ?? '/tmp', 'parley-pgctl-'));
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  /** Runs a PostgreSQL binary as the cluster's owner; returns its status and output. */
  const run = (tool: string, args: string[]) => {
    const cmd = asRoot ? 'runuser' : path.join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
    return spawnSync(cmd, argv, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  };
  const init = run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  let running = false;

  const start = async () => {
    const r = run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -c fsync=off -c max_connections=100`, 'start']);
    if (r.status !== 0) throw new Error(`pg_ctl start failed: ${r.stderr}\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    running = true;
  };
  await start();

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    get running() {
      return running;
    },
    async stop(mode = 'fast') {
      const r = run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
      if (r.status !== 0) throw new Error(`pg_ctl stop failed: ${r.stderr}`);
      running = false;
    },
    start,
    async kill() {
      const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      // Until the postmaster is gone (its backends follow on their own).
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      running = false;
    },
    async createDatabase(name: string) {
      const admin = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async destroy() {
      if (fs.existsSync(path.join(dataDir, 'postmaster.pid'))) run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
      running = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
