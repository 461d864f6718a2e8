/**
 * "Download my data": everything stored about the caller as one JSON file, streamed batch by
 * batch as the group export is (never held in memory whole), one export per user at a time.
 * Only the caller's own data: other people's messages and any secret (token or password
 * hashes, push keys) are left out.
 */
import { Readable } from 'node:stream';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../db/database.js';
import type { Repositories } from '../db/repositories/index.js';
import { UserExportRepository } from '../db/repositories/user-export.repository.js';
import type { UserRow } from '../db/repositories/users.repository.js';
import type { Actor } from './accounts.service.js';

const BATCH = 500;
const RETRY_AFTER_S = 10;
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export interface UserExportFile {
  disposition: string;
  stream: Readable;
}

/** `attachment; filename="parley-<username>-data.json"` (usernames are ASCII). */
export function userExportDisposition(username: string): string {
  return `attachment; filename="parley-${username.replace(/[^A-Za-z0-9_.-]/g, '_')}-data.json"`;
}

export class UserExportService {
  /** Users with an export being streamed on this node. */
  private readonly running = new Set<string>();
  private readonly reads: UserExportRepository;

  constructor(
    db: Db,
    private readonly repos: Pick<Repositories, 'uploads' | 'users'>,
    private readonly logger: Logger,
  ) {
    this.reads = new UserExportRepository(db);
  }

  /** Starts the caller's export; 429 while their previous one is still streaming. */
  async open(actor: Actor): Promise<UserExportFile> {
    const userId = actor.user.id;
    if (this.running.has(userId)) {
      throw new AppError('rate_limited', 'your previous export is still running; try again when it has finished', undefined, {
        'retry-after': String(RETRY_AFTER_S),
      });
    }
    this.running.add(userId);
    const release = (): void => void this.running.delete(userId);
    // The row as it is now, not as the request's authentication read it.
    const user = (await this.repos.users.findById(userId).catch(() => null)) ?? actor.user;
    const stream = Readable.from(this.document(user, new Date(), release), { objectMode: false });
    stream.once('close', release);
    stream.once('error', (err) => this.logger.warn({ err, userId }, 'user data export failed'));
    this.logger.info({ userId }, 'user data export started');
    return { disposition: userExportDisposition(user.username), stream };
  }

  private async *document(user: UserRow, exportedAt: Date, done: () => void): AsyncGenerator<string> {
    try {
      yield* this.pieces(user, exportedAt);
    } finally {
      done();
    }
  }

  private async *pieces(user: UserRow, exportedAt: Date): AsyncGenerator<string> {
    const profile = {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      email: user.email,
      createdAt: user.createdAt.toISOString(),
      lastSeenAt: iso(user.lastSeenAt),
      bot: user.bot,
      siteAdmin: user.siteAdmin,
      avatarUploadId: user.avatarUploadId,
      notificationPrefs: user.notificationPrefs,
    };
    const sessions = await this.reads.sessions(user.id);
    const logins = sessions
      .filter((s) => s.kind === 'session')
      .map((s) => ({ id: s.id, userAgent: s.userAgent, ip: s.ip, createdAt: s.createdAt.toISOString(), lastUsedAt: s.lastUsedAt.toISOString(), expiresAt: iso(s.expiresAt) }));
    const tokens = sessions
      .filter((s) => s.kind === 'api')
      .map((s) => ({ id: s.id, name: s.name, createdAt: s.createdAt.toISOString(), lastUsedAt: s.lastUsedAt.toISOString() }));
    const memberships = (await this.reads.memberships(user.id)).map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() }));
    const push = (await this.reads.pushSubscriptions(user.id)).map((p) => ({ ...p, createdAt: p.createdAt.toISOString() }));
    yield `{"exportedAt":${JSON.stringify(exportedAt.toISOString())},"profile":${JSON.stringify(profile)},`;
    yield `"sessions":${JSON.stringify(logins)},"apiTokens":${JSON.stringify(tokens)},`;
    yield `"memberships":${JSON.stringify(memberships)},"pushSubscriptions":${JSON.stringify(push)},"uploads":[`;
    yield* list(this.uploads(user.id));
    yield '\n],"reactions":[';
    yield* list(this.reactions(user.id));
    yield '\n],"messages":[';
    yield* list(this.messages(user.id));
    yield '\n]}\n';
  }

  private async *uploads(userId: string): AsyncGenerator<unknown> {
    let after: string | null = null;
    for (;;) {
      const rows = await this.reads.uploads(userId, after, BATCH);
      for (const u of rows) yield { ...u, createdAt: u.createdAt.toISOString(), attachedAt: iso(u.attachedAt) };
      if (rows.length < BATCH) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  private async *reactions(userId: string): AsyncGenerator<unknown> {
    let after: { messageId: string; emoji: string } | null = null;
    for (;;) {
      const rows = await this.reads.reactions(userId, after, BATCH);
      for (const r of rows) yield { ...r, createdAt: r.createdAt.toISOString() };
      if (rows.length < BATCH) return;
      const last = rows[rows.length - 1]!;
      after = { messageId: last.messageId, emoji: last.emoji };
    }
  }

  private async *messages(userId: string): AsyncGenerator<unknown> {
    let after: { conversationId: string; seq: number } | null = null;
    for (;;) {
      const rows = await this.reads.messages(userId, after, BATCH);
      const attachments = await this.repos.uploads.attachmentsOf(rows.filter((r) => !r.deletedAt).map((r) => r.id));
      for (const row of rows) {
        const deleted = row.deletedAt !== null;
        yield {
          id: row.id,
          conversationId: row.conversationId,
          seq: row.seq,
          body: deleted ? '' : row.body,
          replyTo: row.replyToId,
          mentions: deleted ? [] : row.mentions,
          attachments: (attachments.get(row.id) ?? []).map((a) => ({ id: a.id, filename: a.filename, contentType: a.contentType, size: a.size })),
          createdAt: row.createdAt.toISOString(),
          editedAt: iso(row.editedAt),
          deletedAt: iso(row.deletedAt),
        };
      }
      if (rows.length < BATCH) return;
      const last = rows[rows.length - 1]!;
      after = { conversationId: last.conversationId, seq: last.seq };
    }
  }
}

/** The items of a JSON array, one a line. */
async function* list(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  for await (const item of items) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(item)}`;
    first = false;
  }
}
