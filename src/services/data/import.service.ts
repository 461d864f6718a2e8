/**
 * Imports a Slack or Mattermost export (`npm run admin -- import`, docs/admin.md). First the
 * whole export is read once and checked, writing nothing: a broken one is refused with its file
 * and line. Then the people (import/users.ts), then each conversation in one transaction: the
 * conversation, its members and its whole history, written in bulk (multi-row INSERTs, seqs in
 * time order, as a send would have stored each message), its import key last. A run that stops
 * leaves every conversation whole or absent; running it again finishes it, and a run of an
 * export already imported adds nothing (messages have ids derived from their source key).
 */
import { cleanDisplayText } from '../../core/display-text.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { vacuumChangedTables, type Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { HistoryWriter } from './import/history-writer.js';
import type { ImportSource, SourceConversation, SourceMessage } from './import/model.js';
import { emptySummary, type ImportSummary } from './import/summary.js';
import { importPeople, type Person } from './import/users.js';

export { ImportFormatError } from './import/model.js';
export type { ImportSource } from './import/model.js';
export type { ImportSummary } from './import/summary.js';

/** Messages written per batch of INSERTs. */
const BATCH = 2000;
const GROUP_NAME_MAX = 100;

export interface ImportProgress {
  phase: 'checking' | 'importing';
  done: number;
  /** Known once the check is over. */
  total: number | null;
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
    // The imported rows' hint bits set once, now, rather than page by page on their first reads
    // (an export of never-read history ran 5x slower), and fresh statistics for the planner at
    // once (the embedded database analyzes a minute after start otherwise).
    if (summary.messages > 0) {
      const vacuumed = await vacuumChangedTables(this.db);
      this.logger.info({ tables: vacuumed }, 'import: vacuumed and analyzed the tables it filled');
    }
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
