/**
 * Group export: a group, its members and its whole history as one JSON file, streamed in seq
 * order batch by batch, so no history is ever held in memory whole.
 */
import { Readable } from 'node:stream';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ConversationRow } from '../db/repositories/conversations.repository.js';
import type { Repositories } from '../db/repositories/index.js';
import type { MessageRow } from '../db/repositories/messages.repository.js';
import type { ExportedGroup, ExportedMember, ExportedMessage } from '../protocol/export.js';
import type { Actor } from './accounts.service.js';
import { loadConversation, requireAdmin, requireMember } from './access.js';
import type { AuditService } from './audit.service.js';

/** Rows read per query, members and messages alike. */
const BATCH = 500;
/** What a second export of the same user is told to wait, in seconds. */
const RETRY_AFTER_S = 10;

export interface GroupExportFile {
  /** The `content-disposition` of the download: `<group name>-export.json`. */
  disposition: string;
  /** The JSON document; destroying it (the client went away) stops the export. */
  stream: Readable;
}

/** `attachment` with an ASCII name for old clients and the exact (UTF-8) one for the others. */
export function exportDisposition(groupName: string): string {
  const safe =
    groupName
      .normalize('NFC')
      .replace(/[\p{Cc}/\\:*?"<>|]+/gu, '_')
      .replace(/\s+/gu, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 80) || 'group';
  const ascii = safe.replace(/[^\x20-\x7e]+/g, '').replace(/^[_.-]+|[_.-]+$/g, '') || 'group';
  const encoded = encodeURIComponent(`${safe}-export.json`).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}-export.json"; filename*=UTF-8''${encoded}`;
}

export class ExportService {
  /** Users with an export being streamed on this node: one each at a time. */
  private readonly running = new Set<string>();

  constructor(
    private readonly repos: Repositories,
    private readonly audit: AuditService,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts an export of a group for one of its admins: 404 for an unknown, deleted or (to a
   * non-member) private group, 403 for anyone else who is not an admin, 429 while the caller's
   * previous export is still streaming. Messages sent after it starts are not included.
   */
  async open(actor: Actor, groupId: string): Promise<GroupExportFile> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    const userId = actor.user.id;
    if (this.running.has(userId)) {
      throw new AppError('rate_limited', 'your previous export is still running; try again when it has finished', undefined, {
        'retry-after': String(RETRY_AFTER_S),
      });
    }
    this.running.add(userId);
    const release = (): void => void this.running.delete(userId);
    const stream = Readable.from(this.document(conv, new Date(), release), { objectMode: false });
    // 'close' comes after the end, an error, or a destroy (the client went away, even before
    // the first read) alike.
    stream.once('close', release);
    stream.once('error', (err) => this.logger.warn({ err, conversationId: conv.id }, 'group export failed'));
    await this.audit.record({ actorId: userId, action: 'group.exported', conversationId: conv.id, details: { lastSeq: conv.lastSeq } });
    return { disposition: exportDisposition(conv.name ?? 'group'), stream };
  }

  /** The JSON text, piece by piece; `done` is called as soon as the last piece is read. */
  private async *document(conv: ConversationRow, exportedAt: Date, done: () => void): AsyncGenerator<string> {
    try {
      yield* this.pieces(conv, exportedAt);
    } finally {
      done();
    }
  }

  private async *pieces(conv: ConversationRow, exportedAt: Date): AsyncGenerator<string> {
    const group: ExportedGroup = {
      id: conv.id,
      name: conv.name ?? '',
      description: conv.description,
      visibility: conv.visibility ?? 'private',
      createdAt: conv.createdAt.toISOString(),
    };
    yield `{"exportedAt":${JSON.stringify(exportedAt.toISOString())},"group":${JSON.stringify(group)},"members":[`;
    let first = true;
    for await (const member of this.members(conv.id)) {
      yield `${first ? '\n' : ',\n'}${JSON.stringify(member)}`;
      first = false;
    }
    yield '\n],"messages":[';
    first = true;
    for await (const message of this.messages(conv.id, conv.lastSeq)) {
      yield `${first ? '\n' : ',\n'}${JSON.stringify(message)}`;
      first = false;
    }
    yield '\n]}\n';
  }

  private async *members(conversationId: string): AsyncGenerator<ExportedMember> {
    let after: { at: Date; userId: string } | null = null;
    for (;;) {
      const rows = await this.repos.members.list(conversationId, after, BATCH);
      for (const { member, user } of rows) {
        yield { userId: user.id, username: user.username, displayName: user.displayName, role: member.role, joinedAt: member.joinedAt.toISOString() };
      }
      const last = rows[rows.length - 1];
      if (rows.length < BATCH || !last) return;
      after = { at: last.member.joinedAt, userId: last.member.userId };
    }
  }

  /** Messages up to `lastSeq`, in seq order, a batch at a time. */
  private async *messages(conversationId: string, lastSeq: number): AsyncGenerator<ExportedMessage> {
    const usernames = new Map<string, string>();
    let after = 0;
    for (;;) {
      const { rows, hasMore } = await this.repos.messages.rows(conversationId, { after, before: lastSeq + 1 }, BATCH);
      const ids = rows.map((r) => r.id);
      const [attachments, reactions] = await Promise.all([this.repos.uploads.attachmentsOf(ids), this.repos.reactions.reactors(ids)]);
      const unknown = [...new Set(rows.map((r) => r.senderId))].filter((id) => !usernames.has(id));
      for (const u of await this.repos.users.findByIds(unknown)) usernames.set(u.id, u.username);
      for (const row of rows) {
        yield present(row, usernames.get(row.senderId) ?? null, attachments.get(row.id) ?? [], reactions.get(row.id) ?? []);
      }
      const last = rows[rows.length - 1];
      if (!hasMore || !last) return;
      after = last.seq;
    }
  }
}

/** A message as the export shows it; a deleted one is a tombstone (no text, mentions, files or reactions). */
function present(
  row: MessageRow,
  senderUsername: string | null,
  attachments: { id: string; filename: string; contentType: string; size: number }[],
  reactions: { emoji: string; userIds: string[] }[],
): ExportedMessage {
  const deleted = row.deletedAt !== null;
  return {
    id: row.id,
    seq: row.seq,
    senderId: row.senderId,
    senderUsername,
    body: deleted ? '' : row.body,
    replyTo: row.replyToId,
    mentions: deleted ? [] : row.mentions,
    attachments: deleted ? [] : attachments.map((a) => ({ id: a.id, filename: a.filename, contentType: a.contentType, size: a.size })),
    reactions: deleted ? [] : reactions,
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt ? row.editedAt.toISOString() : null,
    deletedAt: row.deletedAt ? row.deletedAt.toISOString() : null,
  };
}
