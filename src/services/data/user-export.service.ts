/**
 * "Download my data": everything stored about the caller as one JSON file, streamed a small page
 * at a time as the group export is (export-stream.ts: never held in memory whole, never holding
 * up other requests for more than a page), under the same limits (export-gate.ts). Only the
 * caller's own data: other people's messages and any secret (token or password hashes, push
 * keys) are left out.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Db } from '../../db/database.js';
import type { Repositories } from '../../db/repositories/index.js';
import { UserExportRepository } from '../../db/repositories/user-export.repository.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import type { Actor } from '../identity/identity.js';
import type { ExportGate } from './export-gate.js';
import { documentStream, jsonArrayPages, PageSizer } from './export-stream.js';
import { exportedPreviews } from '../messaging/link-preview-view.js';

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
  private readonly reads: UserExportRepository;

  constructor(
    db: Db,
    private readonly repos: Pick<Repositories, 'uploads' | 'users'>,
    private readonly gate: ExportGate,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.reads = new UserExportRepository(db);
  }

  /** Starts the caller's export; 429 while another export of theirs (or of a bot's owner) runs, or too many on this node. */
  async open(actor: Actor): Promise<UserExportFile> {
    const userId = actor.user.id;
    const slot = await this.gate.acquire(actor, null);
    let user: UserRow;
    try {
      // The row as it is now, not as the request's authentication read it.
      user = (await this.repos.users.findById(userId)) ?? actor.user;
    } catch (err) {
      slot.release();
      throw err;
    }
    const stream = documentStream(this.pieces(user, new Date()), () => slot.release(), (err) => this.logger.warn({ err, userId }, 'user data export failed'));
    this.logger.info({ userId }, 'user data export started');
    return { disposition: userExportDisposition(user.username), stream };
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
    const push = (await this.reads.pushSubscriptions(user.id)).map((p) => ({ ...p, createdAt: p.createdAt.toISOString() }));
    const drafts = (await this.reads.drafts(user.id)).map((d) => ({ ...d, updatedAt: d.updatedAt.toISOString() }));
    const timed = (s: number): void => this.metrics?.exportPageDuration.observe(s);
    yield `{"exportedAt":${JSON.stringify(exportedAt.toISOString())},"profile":${JSON.stringify(profile)},`;
    yield `"sessions":${JSON.stringify(logins)},"apiTokens":${JSON.stringify(tokens)},"memberships":[`;
    yield* jsonArrayPages(this.memberships(user.id), timed);
    yield `\n],"pushSubscriptions":${JSON.stringify(push)},"drafts":${JSON.stringify(drafts)},"uploads":[`;
    yield* jsonArrayPages(this.uploads(user.id), timed);
    yield '\n],"reactions":[';
    yield* jsonArrayPages(this.reactions(user.id), timed);
    yield '\n],"messages":[';
    yield* jsonArrayPages(this.messages(user.id), timed);
    yield '\n]}\n';
  }

  private async *memberships(userId: string): AsyncGenerator<unknown[]> {
    const sizer = new PageSizer(() => this.gate.giveWay());
    let after: string | null = null;
    for (;;) {
      const { rows, last } = await sizer.page((limit) => this.reads.memberships(userId, after, limit));
      yield rows.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() }));
      if (last || !rows.length) return;
      after = rows[rows.length - 1]!.conversationId;
    }
  }

  private async *uploads(userId: string): AsyncGenerator<unknown[]> {
    const sizer = new PageSizer(() => this.gate.giveWay());
    let after: string | null = null;
    for (;;) {
      const { rows, last } = await sizer.page((limit) => this.reads.uploads(userId, after, limit));
      yield rows.map((u) => ({ ...u, createdAt: u.createdAt.toISOString(), attachedAt: iso(u.attachedAt) }));
      if (last || !rows.length) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  private async *reactions(userId: string): AsyncGenerator<unknown[]> {
    const sizer = new PageSizer(() => this.gate.giveWay());
    let after: { messageId: string; emoji: string } | null = null;
    for (;;) {
      const { rows, last } = await sizer.page((limit) => this.reads.reactions(userId, after, limit));
      yield rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
      const tail = rows[rows.length - 1];
      if (last || !tail) return;
      after = { messageId: tail.messageId, emoji: tail.emoji };
    }
  }

  private async *messages(userId: string): AsyncGenerator<unknown[]> {
    const sizer = new PageSizer(() => this.gate.giveWay());
    let after: { conversationId: string; seq: number } | null = null;
    for (;;) {
      // The page's two reads are timed together: together they are what a page costs.
      const { rows, last } = await sizer.page(async (limit) => {
        const rows = await this.reads.messages(userId, after, limit);
        const attachments = await this.repos.uploads.attachmentsOf(rows.filter((r) => !r.deletedAt).map((r) => r.id));
        return rows.map((row) => {
          const deleted = row.deletedAt !== null;
          return {
            id: row.id,
            conversationId: row.conversationId,
            seq: row.seq,
            body: deleted ? '' : row.body,
            replyTo: row.replyToId,
            threadId: row.threadId,
            alsoInConversation: row.alsoInConversation,
            mentions: deleted ? [] : row.mentions,
            attachments: (attachments.get(row.id) ?? []).map((a) => ({ id: a.id, filename: a.filename, contentType: a.contentType, size: a.size })),
            createdAt: row.createdAt.toISOString(),
            editedAt: iso(row.editedAt),
            deletedAt: iso(row.deletedAt),
            ...exportedPreviews(row),
          };
        });
      });
      yield rows;
      const tail = rows[rows.length - 1];
      if (last || !tail) return;
      after = { conversationId: tail.conversationId, seq: tail.seq };
    }
  }
}
