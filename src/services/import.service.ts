/**
 * Imports a Slack or Mattermost export (`npm run admin -- import`, docs/admin.md). First the
 * whole export is read once and checked, writing nothing: a broken one is refused with its file
 * and line. Then the people (import/users.ts), then each conversation in one transaction: the
 * conversation, its members and its whole history, written in bulk (multi-row INSERTs, seqs in
 * time order, as a send would have stored each message), its import key last. A run that stops
 * leaves every conversation whole or absent; running it again finishes it, and a run of an
 * export already imported adds nothing (messages have ids derived from their source key).
 */
import { cleanDisplayText } from '../core/display-text.js';
import { derivedId, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { analyzeChangedTables, type Db } from '../db/database.js';
import { inTransaction, type Repositories } from '../db/repositories/index.js';
import type { ImportedMessage } from '../db/repositories/import.repository.js';
import { MAX_ATTACHMENTS, MESSAGE_BODY_MAX } from '../protocol/limits.js';
import type { BlobStore } from '../storage/blob-store.js';
import { reactionEmoji } from './import/emoji.js';
import { storeFile } from './import/files.js';
import type { ImportSource, SourceConversation, SourceMessage } from './import/model.js';
import { importPeople, type Person } from './import/users.js';
import { cleanFilename } from './uploads.service.js';

export { ImportFormatError } from './import/model.js';
export type { ImportSource } from './import/model.js';

/** Messages written per batch of INSERTs. */
const BATCH = 2000;
const GROUP_NAME_MAX = 100;

export interface ImportSummary {
  usersMatched: number;
  usersCreated: number;
  /** Users an earlier run of this import already brought. */
  usersKnown: number;
  conversationsCreated: number;
  /** Conversations an earlier run created, checked for messages it did not bring. */
  conversationsContinued: number;
  /** Left alone, with why (a direct conversation that already exists in Parley…). */
  conversationsSkipped: { key: string; reason: string }[];
  messages: number;
  /** Messages an earlier run already brought. */
  messagesKnown: number;
  /** System messages (joins, topic changes), messages without an author, empty ones. */
  messagesSkipped: number;
  /** Bodies longer than Parley's 8,000 characters, cut. */
  messagesTruncated: number;
  threads: number;
  reactions: number;
  /** Emoji names that cannot be a reaction. */
  reactionsSkipped: number;
  filesStored: number;
  /** Files whose bytes are not in the export: a note in the message names them. */
  filesSkipped: number;
}

export interface ImportProgress {
  phase: 'checking' | 'importing';
  done: number;
  /** Known once the check is over. */
  total: number | null;
}

interface ThreadState {
  count: number;
  lastAt: Date;
  lastSeq: number;
  /** Repliers, most recent first. */
  participants: string[];
  followers: Set<string>;
}

function emptySummary(): ImportSummary {
  return {
    usersMatched: 0,
    usersCreated: 0,
    usersKnown: 0,
    conversationsCreated: 0,
    conversationsContinued: 0,
    conversationsSkipped: [],
    messages: 0,
    messagesKnown: 0,
    messagesSkipped: 0,
    messagesTruncated: 0,
    threads: 0,
    reactions: 0,
    reactionsSkipped: 0,
    filesStored: 0,
    filesSkipped: 0,
  };
}

const chars = (s: string): string[] => [...s];

export class ImportService {
  constructor(
    private readonly db: Db,
    private readonly repos: Repositories,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {}

  /** Checks, then imports `source`; throws ImportFormatError (nothing written) for a broken export. */
  async run(source: ImportSource, onProgress?: (p: ImportProgress) => void): Promise<ImportSummary> {
    const checked = await source.check((done) => onProgress?.({ phase: 'checking', done, total: null }));
    this.logger.info({ source: source.kind, ...checked }, 'import: export checked');
    const summary = emptySummary();
    const { people, counts } = await importPeople(this.db, this.repos, source.kind, source.users());
    summary.usersMatched = counts.matched;
    summary.usersCreated = counts.created;
    summary.usersKnown = counts.known;
    const progress = { done: 0, tick: (n: number) => onProgress?.({ phase: 'importing', done: (progress.done += n), total: checked.messages }) };
    progress.tick(0);
    for await (const conversation of source.conversations()) {
      await this.importConversation(source, conversation, people, summary, progress.tick);
    }
    summary.messagesSkipped = source.skipped;
    // Fresh statistics for the planner at once (the embedded database analyzes a minute after start otherwise).
    if (summary.messages > 0) await analyzeChangedTables(this.db);
    this.logger.info({ source: source.kind, ...summary, conversationsSkipped: summary.conversationsSkipped.length }, 'import: done');
    return summary;
  }

  private async importConversation(
    source: ImportSource,
    conv: SourceConversation,
    people: Map<string, Person>,
    summary: ImportSummary,
    tick: (n: number) => void,
  ): Promise<void> {
    const skip = async (reason: string): Promise<void> => {
      summary.conversationsSkipped.push({ key: conv.key, reason });
      // Its messages are read all the same, so the progress bar reaches the end.
      for await (const _ of source.messages(conv)) tick(1);
    };
    const memberIds = [...new Set(conv.memberKeys.map((k) => people.get(k)!.id))];
    if (conv.kind === 'direct' && memberIds.length !== 2) return skip('a direct conversation with oneself');
    const outcome = await inTransaction<'created' | 'continued' | { skipped: string }>(this.db, async (tx) => {
      // One run of an import of this source at a time writes (a second one waits, then finds
      // what the first made): the key is read under the lock.
      await tx.imports.lockSource(source.kind);
      const earlier = (await tx.imports.findKeys(source.kind, 'conversation', [conv.key])).get(conv.key) ?? null;
      const directKey = conv.kind === 'direct' ? [...memberIds].sort().join(':') : null;
      if (directKey && !earlier && (await tx.imports.findDirect(directKey))) return { skipped: 'these two people already have a direct conversation in Parley' };
      let conversationId: string;
      let lastSeq = 0;
      if (earlier) {
        // It keeps its members as they are now in Parley: who left or was removed since is not brought back.
        const locked = await tx.imports.lockConversation(earlier);
        if (!locked) return { skipped: 'the conversation an earlier run made was deleted' };
        conversationId = earlier;
        lastSeq = locked.lastSeq;
      } else {
        conversationId = newId();
        const createdAt = conv.createdAt ?? new Date();
        const made = await tx.imports.insertConversation(
          conv.kind === 'direct'
            ? { id: conversationId, kind: 'direct', directKey, createdAt, lastActivityAt: createdAt }
            : {
                id: conversationId,
                kind: 'group',
                name: this.groupName(conv, people),
                description: conv.description ? chars(cleanDisplayText(conv.description)).slice(0, 1000).join('') : null,
                visibility: conv.kind,
                createdAt,
                lastActivityAt: createdAt,
              },
        );
        if (!made) return { skipped: 'these two people started a direct conversation in Parley meanwhile' };
        await tx.imports.insertKeys([{ source: source.kind, kind: 'conversation', externalId: conv.key, parleyId: conversationId, claimable: false }]);
        const ownerId = conv.kind === 'direct' ? null : ((conv.creatorKey ? people.get(conv.creatorKey)?.id : undefined) ?? memberIds[0] ?? null);
        const everyone = [...new Set([...(ownerId ? [ownerId] : []), ...memberIds])];
        await tx.imports.addMembers(
          everyone.map((userId) => ({ conversationId, userId, role: userId === ownerId ? ('owner' as const) : ('member' as const), joinedAt: conv.createdAt ?? undefined })),
        );
      }
      const writer = new HistoryWriter(tx, this.blobs, source, conversationId, `${source.kind}:${conv.key}`, people, summary, lastSeq, earlier !== null);
      let batch: SourceMessage[] = [];
      for await (const m of source.messages(conv)) {
        batch.push(m);
        if (batch.length >= BATCH) {
          await writer.write(batch);
          tick(batch.length);
          batch = [];
        }
      }
      await writer.write(batch);
      tick(batch.length);
      await writer.finish();
      return earlier ? 'continued' : 'created';
    });
    if (typeof outcome === 'object') return skip(outcome.skipped);
    if (outcome === 'continued') summary.conversationsContinued++;
    else summary.conversationsCreated++;
  }

  /** A group's name: the channel's, or for a group message its people's usernames. */
  private groupName(conv: SourceConversation, people: Map<string, Person>): string {
    const raw = conv.name ?? conv.memberKeys.map((k) => people.get(k)!.username).join(', ');
    const name = chars(cleanDisplayText(raw)).slice(0, GROUP_NAME_MAX).join('');
    return name || 'imported';
  }
}

/** One conversation's history, batch by batch, inside its transaction. */
class HistoryWriter {
  /** Top-level messages by source key: the roots replies may name. */
  private readonly roots = new Map<string, { id: string; senderId: string }>();
  private readonly threads = new Map<string, ThreadState>();
  private firstAt: Date | null = null;
  private lastAt: Date | null = null;

  constructor(
    private readonly tx: Repositories,
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
