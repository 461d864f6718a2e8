/**
 * Group export: a group, its members and its whole history as one JSON file, streamed in seq
 * order a small page at a time as the client reads it (export-stream.ts), never held in memory
 * whole and never holding up other requests for more than a page. One export at a time per
 * requester and per group, a few per node (export-gate.ts).
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Db } from '../../db/database.js';
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import { GroupExportRepository } from '../../db/repositories/group-export.repository.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { ExportedGroup, ExportedMember } from '../../protocol/export.js';
import type { Actor } from '../identity/identity.js';
import { loadConversation, requireAdmin, requireMember } from '../shared/access.js';
import type { AuditService } from '../identity/audit.service.js';
import type { ExportGate } from './export-gate.js';
import { documentStream, jsonArrayPages, PageSizer } from './export-stream.js';

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
  private readonly reads: GroupExportRepository;

  constructor(
    db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages'>,
    private readonly audit: AuditService,
    private readonly gate: ExportGate,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.reads = new GroupExportRepository(db);
  }

  /**
   * Starts an export of a group for one of its admins: 404 for an unknown, deleted or (to a
   * non-member) private group, 403 for anyone else who is not an admin, 429 while an export of
   * the caller (or of the bot owner behind it), of this group, or too many on this node run.
   * Messages sent after it starts are not included.
   */
  async open(actor: Actor, groupId: string): Promise<GroupExportFile> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    const slot = await this.gate.acquire(actor, conv.id);
    try {
      await this.audit.record({ actorId: actor.user.id, action: 'group.exported', conversationId: conv.id, details: { lastSeq: conv.lastSeq } });
    } catch (err) {
      slot.release();
      throw err;
    }
    const log = this.logger.child({ conversationId: conv.id, userId: actor.user.id });
    const stream = documentStream(this.pieces(conv, new Date()), () => slot.release(), (err) => log.warn({ err }, 'group export failed'));
    log.info({ lastSeq: conv.lastSeq }, 'group export started');
    return { disposition: exportDisposition(conv.name ?? 'group'), stream };
  }

  private async *pieces(conv: ConversationRow, exportedAt: Date): AsyncGenerator<string> {
    const group: ExportedGroup = {
      id: conv.id,
      name: conv.name ?? '',
      description: conv.description,
      visibility: conv.visibility ?? 'private',
      createdAt: conv.createdAt.toISOString(),
    };
    const timed = (s: number): void => this.metrics?.exportPageDuration.observe(s);
    yield `{"exportedAt":${JSON.stringify(exportedAt.toISOString())},"group":${JSON.stringify(group)},"members":[`;
    yield* jsonArrayPages(this.members(conv.id), timed, JSON.stringify);
    yield '\n],"messages":[';
    yield* jsonArrayPages(this.messages(conv.id, conv.lastSeq), timed, (json) => json);
    yield '\n]}\n';
  }

  /** Members in join order, a page at a time (members_list_idx). */
  private async *members(conversationId: string): AsyncGenerator<ExportedMember[]> {
    const sizer = new PageSizer(() => this.gate.giveWay());
    let after: { at: Date; userId: string } | null = null;
    for (;;) {
      const { rows, last } = await sizer.page((limit) => this.repos.members.list(conversationId, after, limit));
      yield rows.map(({ member, user }) => ({ userId: user.id, username: user.username, displayName: user.displayName, role: member.role, joinedAt: member.joinedAt.toISOString() }));
      const tail = rows[rows.length - 1];
      if (last || !tail) return;
      after = { at: tail.member.joinedAt, userId: tail.member.userId };
    }
  }

  /**
   * Messages up to `lastSeq`, in seq order, a page at a time, each with its files and reactions:
   * their JSON as the database wrote it (group-export.repository.ts), one statement a page.
   */
  private async *messages(conversationId: string, lastSeq: number): AsyncGenerator<string[]> {
    const sizer = new PageSizer(() => this.gate.giveWay());
    let after = 0;
    for (;;) {
      const { rows, last } = await sizer.page((limit) => this.reads.messages(conversationId, after, lastSeq, limit));
      // Previews, when a message has them, are its last key (absent otherwise, as ExportedMessage says).
      yield rows.map((r) => (r.previews === null ? r.json : `${r.json.slice(0, -1)},"previews":${r.previews}}`));
      const tail = rows[rows.length - 1];
      if (last || !tail) return;
      after = Number(tail.seq);
    }
  }
}
