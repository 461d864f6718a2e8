/** What each admin CLI command does, over repositories (no process, no argv: see admin.ts). */
import { newId } from '../core/ids.js';
import type { Db } from '../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../db/repositories/index.js';
import type { UserRow } from '../db/repositories/users.repository.js';
import { hashPassword } from '../services/identity/passwords.js';
import type { AuditService } from '../services/identity/audit.service.js';
import { removeUnusedBlobs } from '../services/files/blob-cleanup.js';
import { isReservedUsername } from '../services/messaging/mention-all.js';
import type { S3Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { uploadHashes, type BlobStore } from '../storage/blob-store.js';
import { copyBlobs, type CopyCounts } from '../storage/copy-blobs.js';
import { generatePassword, readPassword, type PasswordIo } from './password-input.js';
import { formatTable } from './table.js';

/** A command that failed for a reason the operator can act on: exit code 1, the message on stderr. */
export class CliError extends Error {}

export interface AdminIo extends PasswordIo {
  stdout: { write(text: string): unknown };
  /** isTTY: progress is drawn in place on a terminal. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** What a command on the stored files alone has (move-files: no database). */
export interface FilesContext {
  io: AdminIo;
  /** UPLOAD_DIR. */
  uploadDir: string;
  /** The bucket UPLOAD_STORE names; null = UPLOAD_STORE=local. */
  s3: S3Config | null;
  logger: Logger;
}

export interface CommandContext extends FilesContext {
  db: Db;
  repos: Repositories;
  audit: AuditService;
}

/** Audit details of every action taken through the CLI (its actor is null: nobody signed in). */
const VIA_CLI = { via: 'cli' } as const;
/** Users read per query by list-users. */
const PAGE = 500;

const say = (ctx: FilesContext, line: string): void => void ctx.io.stdout.write(`${line}\n`);
const note = (ctx: FilesContext, line: string): void => void ctx.io.stderr.write(`note: ${line}\n`);

async function newPassword(ctx: CommandContext, generate: boolean): Promise<{ password: string; generated: boolean }> {
  if (generate) return { password: generatePassword(), generated: true };
  return { password: await readPassword(ctx.io), generated: false };
}

function showGenerated(ctx: CommandContext, pw: { password: string; generated: boolean }): void {
  if (pw.generated) say(ctx, `generated password (shown only now): ${pw.password}`);
}

/** Creates the user as a site admin, or makes an existing user one (its password left alone). */
export async function createAdmin(
  ctx: CommandContext,
  input: { username: string; displayName: string | null; generate: boolean },
): Promise<void> {
  const existing = await ctx.repos.users.findByUsername(input.username);
  if (existing) return promote(ctx, existing, input);
  if (isReservedUsername(input.username)) throw new CliError(`"${input.username}" is reserved (it mentions a whole group): choose another username`);
  const pw = await newPassword(ctx, input.generate);
  const passwordHash = await hashPassword(pw.password);
  const created = await inTransaction<UserRow, null>(ctx.db, async (tx) => {
    const row = await tx.users.create({
      id: newId(),
      username: input.username,
      displayName: input.displayName ?? input.username,
      passwordHash,
      siteAdmin: true,
    });
    if (!row) throw new Rollback(null);
    await ctx.audit.record({ actorId: null, action: 'user.site_admin_granted', targetUserId: row.id, details: { ...VIA_CLI, created: true } }, tx);
    return row;
  });
  if (!created) throw new CliError(`the username "${input.username}" was taken meanwhile; run create-admin again to promote it`);
  say(ctx, `created site admin "${created.username}"`);
  showGenerated(ctx, pw);
}

async function promote(ctx: CommandContext, user: UserRow, input: { displayName: string | null; generate: boolean }): Promise<void> {
  if (input.generate || input.displayName !== null || ctx.io.env.PARLEY_PASSWORD) {
    note(ctx, `"${user.username}" already exists: its password and display name are left as they are (reset-password sets a password)`);
  }
  if (user.bot) throw new CliError(`"${user.username}" is a bot: only a person can be a site admin`);
  if (user.deactivatedAt) note(ctx, `the account "${user.username}" is deactivated: it cannot sign in`);
  if (user.siteAdmin) {
    say(ctx, `"${user.username}" is already a site admin`);
    return;
  }
  await inTransaction(ctx.db, async (tx) => {
    await tx.users.setAdminState(user.id, { siteAdmin: true });
    await ctx.audit.record({ actorId: null, action: 'user.site_admin_granted', targetUserId: user.id, details: { ...VIA_CLI, created: false } }, tx);
  });
  say(ctx, `"${user.username}" is now a site admin`);
}

/**
 * Sets a new password and revokes every login session of the user; API tokens too with
 * `revokeTokens`. The server may run meanwhile (on PostgreSQL): its next request with a revoked
 * token is refused.
 */
export async function resetPassword(
  ctx: CommandContext,
  input: { username: string; generate: boolean; revokeTokens: boolean },
): Promise<void> {
  const user = await ctx.repos.users.findByUsername(input.username);
  if (!user) throw new CliError(`no user named "${input.username}"`);
  if (user.bot) throw new CliError(`"${user.username}" is a bot: bots have no password and sign in with API tokens only`);
  const pw = await newPassword(ctx, input.generate);
  const passwordHash = await hashPassword(pw.password);
  const counts = await inTransaction(ctx.db, async (tx) => {
    await tx.users.setAdminState(user.id, { passwordHash });
    const sessions = await tx.sessions.deleteAllForUser(user.id, 'session');
    const tokens = input.revokeTokens ? await tx.sessions.deleteAllForUser(user.id, 'api') : 0;
    const tokensKept = input.revokeTokens ? 0 : await tx.sessions.countForUser(user.id, 'api');
    await ctx.audit.record(
      { actorId: null, action: 'user.password_reset', targetUserId: user.id, details: { ...VIA_CLI, sessionsRevoked: sessions, tokensRevoked: tokens } },
      tx,
    );
    return { sessions, tokens, tokensKept };
  });
  const tokens = input.revokeTokens
    ? `${counts.tokens} API token(s) revoked`
    : `${counts.tokensKept} API token(s) kept (--revoke-tokens revokes them)`;
  say(ctx, `password of "${user.username}" reset; ${counts.sessions} session(s) revoked; ${tokens}`);
  if (user.deactivatedAt) note(ctx, `the account "${user.username}" is deactivated: it cannot sign in`);
  showGenerated(ctx, pw);
}

/** Every user (or only site admins / deactivated accounts), by username: a table, or JSON lines. */
export async function listUsers(ctx: CommandContext, input: { admins: boolean; deactivated: boolean; json: boolean }): Promise<void> {
  const filter = { q: '', ...(input.admins ? { siteAdmin: true } : {}), ...(input.deactivated ? { deactivated: true } : {}) };
  const table: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const rows = await ctx.repos.users.listForAdmin(filter, after, PAGE);
    for (const u of rows) {
      if (input.json) say(ctx, JSON.stringify(userLine(u)));
      else table.push([u.username, u.displayName, yes(u.siteAdmin), yes(u.bot), u.deactivatedAt ? shortTime(u.deactivatedAt) : '', shortTime(u.createdAt)]);
    }
    const last = rows[rows.length - 1];
    if (rows.length < PAGE || !last) break;
    after = last.username.toLowerCase();
  }
  if (input.json) return;
  ctx.io.stdout.write(formatTable(['USERNAME', 'DISPLAY NAME', 'SITE ADMIN', 'BOT', 'DEACTIVATED', 'CREATED'], table));
  if (table.length === 0) say(ctx, '(no users)');
}

function userLine(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    siteAdmin: u.siteAdmin,
    bot: u.bot,
    deactivatedAt: u.deactivatedAt ? u.deactivatedAt.toISOString() : null,
    createdAt: u.createdAt.toISOString(),
  };
}

const yes = (b: boolean): string => (b ? 'yes' : '');
/** A time to the minute, in UTC: `2026-11-24 10:21Z`. */
const shortTime = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;

/** Content hashes checked against the uploads table at once. */
const GC_BATCH = 1_000;

/**
 * Removes the stored files (UPLOAD_DIR or the bucket) that no upload uses (left by a crash between a deletion's
 * commit and its file removal, or by restoring an older database backup). Each goes under its
 * hash's lock, checked again there, as the server's own removals do: an upload of the same bytes
 * stored meanwhile keeps its file, so this is safe beside a running server on PostgreSQL.
 */
export async function gcFiles(ctx: CommandContext, blobs: BlobStore, input: { dryRun: boolean }): Promise<void> {
  let checked = 0;
  let unused = 0;
  let removed = 0;
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    const used = await ctx.repos.uploads.hashesInUse(batch);
    const orphans = batch.filter((sha) => !used.has(sha));
    unused += orphans.length;
    if (input.dryRun) for (const sha of orphans) say(ctx, `unused: ${sha}`);
    else removed += await removeUnusedBlobs(ctx.db, blobs, orphans);
    checked += batch.length;
    batch = [];
  };
  for await (const sha of uploadHashes(blobs)) {
    batch.push(sha);
    if (batch.length >= GC_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  say(
    ctx,
    input.dryRun
      ? `${checked} stored files checked: ${unused} unused (nothing removed: --dry-run)`
      : `${checked} stored files checked: ${removed} unused removed${unused > removed ? ` (${unused - removed} found in use again meanwhile, kept)` : ''}`,
  );
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function copySummary(c: CopyCounts): string {
  return `${c.listed} files: ${c.copied} copied (${mib(c.bytes)}), ${c.present} already there, ${c.vanished} removed meanwhile, ${c.failed.length} failed`;
}

/**
 * Copies every stored file from one store (UPLOAD_DIR or the bucket) to the other, each read
 * back and checked after it lands; what the target already holds is skipped, so it can run
 * again (after an interruption, or to catch up with a live server) and copies only what is
 * new. The source is left as it is.
 */
export async function moveFiles(ctx: FilesContext, stores: { from: BlobStore; to: BlobStore }): Promise<void> {
  say(ctx, `copying every stored file from ${stores.from.kind} to ${stores.to.kind}`);
  const counts = await copyBlobs(stores.from, stores.to, (c) => note(ctx, `${copySummary(c)} so far`));
  for (const f of counts.failed) say(ctx, `failed: ${f.key}: ${f.reason}`);
  say(ctx, copySummary(counts));
  if (counts.failed.length > 0) throw new CliError(`${counts.failed.length} files were not copied (listed above): run move-files again; a file that fails every time is damaged in the source`);
}
