/**
 * One conversation's history, written batch by batch inside its transaction: ids derived from
 * the source keys, seqs after the conversation's last, bodies rendered, files stored, reactions
 * named, threads summed up (their summaries and followers written at the end with the
 * conversation's head).
 */
import { derivedId, newId } from '../../../core/ids.js';
import type { ImportedMessage } from '../../../db/repositories/import.repository.js';
import type { Repositories } from '../../../db/repositories/index.js';
import { MAX_ATTACHMENTS, MESSAGE_BODY_MAX } from '../../../protocol/limits.js';
import type { BlobStore } from '../../../storage/blob-store.js';
import { cleanFilename } from '../../files/uploads.service.js';
import { reactionEmoji } from './emoji.js';
import { storeFile } from './files.js';
import type { ImportSource, SourceMessage } from './model.js';
import type { ImportSummary } from './summary.js';
import type { Person } from './users.js';

interface ThreadState {
  count: number;
  lastAt: Date;
  lastSeq: number;
  /** Repliers, most recent first. */
  participants: string[];
  followers: Set<string>;
}

const chars = (s: string): string[] => [...s];

/** One conversation's history, batch by batch, inside its transaction. */
export class HistoryWriter {
  /** Top-level messages by source key: the roots replies may name. */
  private readonly roots = new Map<string, { id: string; senderId: string }>();
  private readonly threads = new Map<string, ThreadState>();
  private firstAt: Date | null = null;
  private lastAt: Date | null = null;

  constructor(
    private readonly tx: Pick<Repositories, 'imports'>,
    private readonly blobs: BlobStore,
    private readonly source: ImportSource,
    private readonly conversationId: string,
    /** What message ids are derived from, with each message's key. */
    private readonly idPrefix: string,
    private readonly people: Map<string, Person>,
    private readonly summary: ImportSummary,
    private lastSeq: number,
    /** An earlier run made the conversation: messages it brought are passed over. */
    private readonly continued: boolean,
  ) {}

  private readonly nameOf = (key: string): string | null => this.people.get(key)?.username ?? null;

  async write(batch: SourceMessage[]): Promise<void> {
    if (batch.length === 0) return;
    const ids = batch.map((m) => derivedId(m.at, `${this.idPrefix}:${m.key}`));
    const known = this.continued ? await this.tx.imports.existingMessageIds(ids) : new Set<string>();
    const rows: ImportedMessage[] = [];
    const reactions: Parameters<Repositories['imports']['insertMessages']>[1]['reactions'] = [];
    const uploads: Parameters<Repositories['imports']['insertMessages']>[1]['uploads'] = [];
    const attachments: Parameters<Repositories['imports']['insertMessages']>[1]['attachments'] = [];
    for (const [i, m] of batch.entries()) {
      const id = ids[i]!;
      const senderId = this.people.get(m.userKey)!.id;
      const root = m.threadKey === null ? undefined : this.roots.get(m.threadKey);
      if (!root) this.roots.set(m.key, { id, senderId });
      if (known.has(id)) {
        this.summary.messagesKnown++;
        continue;
      }
      const createdAt = new Date(m.at);
      const stored: string[] = [];
      const notes: string[] = [];
      for (const f of m.files) {
        if (f.path && stored.length < MAX_ATTACHMENTS) {
          const file = await storeFile(this.blobs, f.path);
          const uploadId = newId();
          uploads.push({ id: uploadId, ownerId: senderId, filename: cleanFilename(f.name), contentType: file.contentType, size: file.size, sha256: file.sha256, createdAt, attachedAt: createdAt });
          attachments.push({ messageId: id, uploadId, position: stored.length });
          stored.push(uploadId);
          this.summary.filesStored++;
        } else {
          notes.push(`📎 ${cleanFilename(f.name)}${f.size === null ? '' : ` (${formatSize(f.size)})`}: not imported`);
          this.summary.filesSkipped++;
        }
      }
      let body = [this.source.renderText(m.text, this.nameOf).trim(), ...notes].filter(Boolean).join('\n');
      if (chars(body).length > MESSAGE_BODY_MAX) {
        body = `${chars(body).slice(0, MESSAGE_BODY_MAX - 1).join('')}…`;
        this.summary.messagesTruncated++;
      }
      if (!body && stored.length === 0) {
        this.source.skipped++;
        continue;
      }
      const seq = ++this.lastSeq;
      const threadId = root?.id ?? null;
      const mentions = [...new Set(m.mentionKeys.map((k) => this.people.get(k)?.id).filter((u): u is string => u !== undefined))];
      rows.push({ id, conversationId: this.conversationId, seq, senderId, body, mentions, createdAt, editedAt: m.editedAt !== null && m.editedAt > m.at ? new Date(m.editedAt) : null, threadId, alsoInConversation: threadId !== null && m.alsoInConversation });
      for (const r of m.reactions) {
        const emoji = reactionEmoji(r.name);
        if (!emoji) {
          this.summary.reactionsSkipped += r.userKeys.length;
          continue;
        }
        for (const userId of new Set(r.userKeys.map((k) => this.people.get(k)!.id))) {
          reactions.push({ messageId: id, emoji, userId, createdAt });
          this.summary.reactions++;
        }
      }
      if (root) this.replied(root, senderId, seq, createdAt);
      this.firstAt ??= createdAt;
      this.lastAt = createdAt;
    }
    await this.tx.imports.insertMessages(rows, { reactions, uploads, attachments });
    this.summary.messages += rows.length;
  }

  private replied(root: { id: string; senderId: string }, senderId: string, seq: number, at: Date): void {
    let t = this.threads.get(root.id);
    if (!t) {
      t = { count: 0, lastAt: at, lastSeq: seq, participants: [], followers: new Set([root.senderId]) };
      this.threads.set(root.id, t);
      this.summary.threads++;
    }
    t.count++;
    t.lastAt = at;
    t.lastSeq = seq;
    t.participants = [senderId, ...t.participants.filter((p) => p !== senderId)].slice(0, 10);
    t.followers.add(senderId);
  }

  /** The threads' summaries and followers, and the conversation's head. */
  async finish(): Promise<void> {
    const threads = [...this.threads];
    await this.tx.imports.upsertThreads(
      threads.map(([rootId, t]) => ({ rootId, conversationId: this.conversationId, replyCount: t.count, lastReplyAt: t.lastAt, lastReplySeq: t.lastSeq, participantIds: t.participants })),
    );
    await this.tx.imports.followThreads(
      threads.flatMap(([rootId, t]) => [...t.followers].map((userId) => ({ rootId, userId, conversationId: this.conversationId, following: true, lastReadSeq: t.lastSeq }))),
    );
    await this.tx.imports.finishConversation(this.conversationId, this.lastSeq, this.firstAt, this.lastAt);
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
