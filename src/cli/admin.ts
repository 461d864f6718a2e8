/**
 * `npm run admin -- <command>`: operator commands for those without the web client. runAdmin
 * takes its argv, streams and database opener as arguments, so tests run it in-process.
 */
import fs from 'node:fs';
import { ConfigError, type Config, type S3Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { openDatabase, type Db } from '../db/database.js';
import { DirLockedError } from '../db/dir-lock.js';
import { repositories } from '../db/repositories/index.js';
import { AuditService } from '../services/identity/audit.service.js';
import { USERNAME_PATTERN } from '../protocol/rest.js';
import { LocalBlobStore, type BlobStore } from '../storage/blob-store.js';
import { openBlobStore } from '../storage/open-blob-store.js';
import { CliError, createAdmin, gcFiles, listUsers, moveFiles, resetPassword, type AdminIo, type CommandContext, type FilesContext } from './admin-commands.js';
import { parseArgs, UsageError, type ArgSpec, type ParsedArgs } from './args.js';
import { IMPORT_SOURCES, runImport, type ImportSourceName } from './import-command.js';
import { PasswordError } from './password-input.js';

export type { AdminIo } from './admin-commands.js';

/** An open database as the CLI needs it. */
export interface AdminDatabase {
  db: Db;
  close(): Promise<void>;
}

export interface AdminDeps {
  /** Opens the configured database; only commands that need it call this, once. */
  open(): Promise<AdminDatabase>;
  /** The configured UPLOAD_DIR (gc-files, move-files). */
  uploadDir(): string;
  /** The bucket UPLOAD_STORE names (null or absent: UPLOAD_STORE=local). */
  s3?(): S3Config | null;
  logger: Logger;
}

export const HELP = `Usage: npm run admin -- <command> [options]

Operator commands, run with the server's configuration (.env, DATA_DIR, DATABASE_URL).
On the embedded database (no DATABASE_URL) stop the server first: DATA_DIR serves one
process at a time, and the command refuses a DATA_DIR in use. On PostgreSQL (DATABASE_URL)
the commands work while the server runs.

Commands:
  create-admin <username> [--display-name NAME] [--generate]
      Creates <username> as a site admin, or makes an existing user one (then its
      password and display name are left as they are).
  reset-password <username> [--generate] [--revoke-tokens]
      Sets a new password and revokes every login session of the user, so each device
      must sign in again. API tokens (bots, scripts) are kept unless --revoke-tokens is
      given. A running server refuses a revoked token at its next request; a WebSocket
      it already opened stays open until it reconnects (then it is refused): restart
      the server to close such sockets at once.
  list-users [--admins] [--deactivated] [--json]
      Users by username: username, display name, site admin, bot, deactivated, created.
      --admins: site admins only; --deactivated: deactivated accounts only;
      --json: one JSON object per line instead of a table.
  gc-files [--dry-run]
      Removes the stored files (under UPLOAD_DIR, or in the bucket UPLOAD_STORE
      names) that no upload uses any more: left by a crash between a deletion and
      its file removal, by restoring an older database backup beside newer files,
      or by a move-files beside a live server. Each file is checked again under its
      lock before it goes, so it is safe while the server runs on PostgreSQL.
      --dry-run: list them (one hash per line) and remove nothing.
  move-files --to s3|local
      Copies every stored file from UPLOAD_DIR to the S3 bucket (--to s3) or back
      (--to local), reading each back to check it; the source is left as it is.
      Needs UPLOAD_STORE=s3://bucket[/prefix] and the S3_* settings whichever way.
      Files already there are skipped: run it again after an interruption, or to
      copy what a live server stored since. It does not open the database, so it
      runs beside the server on either database (docs/admin.md: switching stores).
  import slack <EXPORT.zip>
  import mattermost <BULK.jsonl>
      Brings a Slack export or a Mattermost bulk export in: users (matched by e-mail,
      else created deactivated until they sign in), channels as groups, direct
      messages, threads, reactions, files and timestamps. The export is checked whole
      first: a broken one is refused with its file and line, and nothing is written.
      Running it again adds nothing (docs/admin.md, "Importing from Slack or Mattermost").
  help
      This text.

Passwords have 8-256 characters. They come from --generate (a random one, printed
once), else the PARLEY_PASSWORD environment variable, else one line of stdin when it
is not a terminal, else a prompt without echo.

Each change to an account is written to the audit log (no actor; details {"via":"cli"}).
Exit codes: 0 done, 1 failed (the reason on stderr), 2 wrong usage.
`;

interface Command {
  spec: ArgSpec;
  /** Checks the arguments (UsageError) before the database is opened, then runs with it. */
  prepare?(args: ParsedArgs): (ctx: CommandContext) => Promise<void>;
  /** A command on the stored files alone: runs without opening the database (beside a server on the embedded one too). */
  prepareFiles?(args: ParsedArgs): (ctx: FilesContext) => Promise<void>;
}

/** Runs `run` with the store UPLOAD_STORE names (the bucket's connections closed after). */
async function withStore(ctx: FilesContext, run: (blobs: BlobStore) => Promise<void>): Promise<void> {
  const blobs = await openBlobStore({ dir: ctx.uploadDir, s3: ctx.s3 }, ctx.logger);
  try {
    await run(blobs);
  } finally {
    blobs.close();
  }
}

const USERNAME = new RegExp(USERNAME_PATTERN);

function username(command: string, value: string): string {
  if (!USERNAME.test(value)) throw new UsageError(`${command}: "${value}" is not a username (3-32 of A-Z a-z 0-9 _ . -)`);
  return value;
}

function displayName(value: string | undefined): string | null {
  if (value === undefined) return null;
  const name = value.trim();
  const length = [...name].length;
  if (length < 1 || length > 64) throw new UsageError('create-admin: --display-name must have 1-64 characters');
  return name;
}

const COMMANDS: Record<string, Command> = {
  'create-admin': {
    spec: { positionals: ['username'], flags: ['generate'], options: ['display-name'] },
    prepare: (args) => {
      const input = {
        username: username('create-admin', args.positionals[0]!),
        displayName: displayName(args.options.get('display-name')),
        generate: args.flags.has('generate'),
      };
      return (ctx) => createAdmin(ctx, input);
    },
  },
  'reset-password': {
    spec: { positionals: ['username'], flags: ['generate', 'revoke-tokens'] },
    prepare: (args) => {
      const input = {
        username: args.positionals[0]!,
        generate: args.flags.has('generate'),
        revokeTokens: args.flags.has('revoke-tokens'),
      };
      return (ctx) => resetPassword(ctx, input);
    },
  },
  'gc-files': {
    spec: { positionals: [], flags: ['dry-run'] },
    prepare: (args) => {
      const input = { dryRun: args.flags.has('dry-run') };
      return (ctx) => withStore(ctx, (blobs) => gcFiles(ctx, blobs, input));
    },
  },
  'move-files': {
    spec: { positionals: [], flags: [], options: ['to'] },
    prepareFiles: (args) => {
      const to = args.options.get('to');
      if (to !== 's3' && to !== 'local') throw new UsageError('move-files: --to s3 or --to local is required');
      return async (ctx) => {
        if (!ctx.s3) throw new CliError('move-files needs the bucket whichever way it copies: set UPLOAD_STORE=s3://bucket[/prefix] and the S3_* settings (docs/admin.md)');
        const local = new LocalBlobStore(ctx.uploadDir);
        await withStore(ctx, (bucket) => moveFiles(ctx, to === 's3' ? { from: local, to: bucket } : { from: bucket, to: local }));
      };
    },
  },
  import: {
    spec: { positionals: ['source', 'file'] },
    prepare: (args) => {
      const [source, file] = args.positionals as [string, string];
      if (!(IMPORT_SOURCES as readonly string[]).includes(source)) throw new UsageError(`import: the source is ${IMPORT_SOURCES.join(' or ')}, not "${source}"`);
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`import: no file "${file}"`);
      const input = { source: source as ImportSourceName, file };
      return (ctx) => withStore(ctx, (blobs) => runImport(ctx, blobs, ctx.logger, input));
    },
  },
  'list-users': {
    spec: { positionals: [], flags: ['admins', 'deactivated', 'json'] },
    prepare: (args) => {
      const input = { admins: args.flags.has('admins'), deactivated: args.flags.has('deactivated'), json: args.flags.has('json') };
      return (ctx) => listUsers(ctx, input);
    },
  },
};

/** The one-line reason a command failed, as the operator should read it. */
function reason(err: unknown): string {
  if (err instanceof DirLockedError) {
    return `DATA_DIR ${err.dir} is in use by another process (pid ${err.pid}), most likely the running server: stop the server first, or use DATABASE_URL`;
  }
  if (err instanceof CliError || err instanceof PasswordError || err instanceof ConfigError) return err.message;
  return `failed: ${err instanceof Error ? err.message : String(err)}`.replace(/\s*\n\s*/g, ' ');
}

/** Runs one admin command; resolves with the process exit code (0 done, 1 failed, 2 wrong usage). */
export async function runAdmin(argv: readonly string[], io: AdminIo, deps: AdminDeps): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h' || rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(HELP);
    return 0;
  }
  let database: AdminDatabase | null = null;
  let code = 0;
  try {
    if (name === undefined) throw new UsageError('no command given');
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const args = parseArgs(name, rest, command.spec);
    if (command.prepareFiles) {
      const run = command.prepareFiles(args);
      await run({ io, uploadDir: deps.uploadDir(), s3: deps.s3?.() ?? null, logger: deps.logger });
    } else {
      const run = command.prepare!(args);
      database = await deps.open();
      const repos = repositories(database.db);
      await run({ db: database.db, repos, audit: new AuditService(repos, deps.logger), io, uploadDir: deps.uploadDir(), s3: deps.s3?.() ?? null, logger: deps.logger });
    }
  } catch (err) {
    code = fail(err, io, deps.logger);
  }
  try {
    await database?.close();
  } catch (err) {
    code = fail(err, io, deps.logger);
  }
  return code;
}

function fail(err: unknown, io: AdminIo, logger: Logger): number {
  if (err instanceof UsageError) {
    io.stderr.write(`parley admin: ${err.message} (usage: npm run admin -- help)\n`);
    return 2;
  }
  logger.debug({ err }, 'admin command failed');
  io.stderr.write(`parley admin: ${reason(err)}\n`);
  return 1;
}

/** Opens the database `config` names (PostgreSQL, or the embedded one in DATA_DIR, locked). */
export async function openConfiguredDatabase(config: Config, logger: Logger): Promise<AdminDatabase> {
  try {
    return await openDatabase(
      config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl, poolSize: 2 } : { kind: 'pglite', dataDir: config.dataDir, sharedBuffers: config.pgliteSharedBuffers },
      logger,
    );
  } catch (err) {
    if (err instanceof DirLockedError) throw err;
    throw new CliError(`could not open the database: ${(err as Error).message}`);
  }
}
