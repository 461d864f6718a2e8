/**
 * Message retention: messages older than their conversation's period (a group's own, else the
 * site's) become tombstones, as a delete makes them, and the files attached only to them are
 * removed. Runs hourly on every node; batches are short transactions that lock the rows they
 * take and skip rows another run holds, so concurrent runs share the work and never repeat it.
 */
import type { Logger } from '../../core/logger.js';
import { WorkSizer } from '../../core/work-sizer.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import { RetentionRepository, type ExpiringConversation } from '../../db/repositories/retention.repository.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { removeUnusedBlobs } from '../files/blob-cleanup.js';
import type { EventPublisher } from '../shared/events.js';
import type { SiteSettingsService } from '../identity/site-settings.service.js';

export interface RetentionOptions {
  /** Between runs; null: no timer (tests call runOnce). */
  intervalMs: number | null;
  /** After start, before the first run (lets a starting node settle). */
  firstRunDelayMs: number;
  /**
   * Messages per transaction at most. Each batch is sized to take about RETENTION_BATCH_TARGET_MS
   * and followed by a pause as long as it took: a transaction holds the embedded database (and
   * its event loop) while it runs, so a run of fixed 500-message batches back to back held every
   * request of the node behind it for as long as it lasted.
   */
  batchSize: number;
}

const RETENTION_BATCH_TARGET_MS = 20;

export const DEFAULT_RETENTION_OPTIONS: RetentionOptions = { intervalMs: 60 * 60 * 1000, firstRunDelayMs: 60 * 1000, batchSize: 500 };

const DAY_MS = 24 * 60 * 60 * 1000;

/** What one run did (logged as one line). */
export interface RetentionRunSummary {
  conversations: number;
  messages: number;
  uploads: number;
  files: number;
  batches: number;
  ms: number;
}

export class RetentionService {
  private readonly options: RetentionOptions;
  private current: Promise<RetentionRunSummary> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'members'>,
    private readonly publisher: Pick<EventPublisher, 'ephemeral'>,
    private readonly settings: Pick<SiteSettingsService, 'get'>,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    options: Partial<RetentionOptions> = {},
  ) {
    this.options = { ...DEFAULT_RETENTION_OPTIONS, ...options };
  }

  /** Starts the timer (a no-op without an interval). */
  start(): void {
    const every = this.options.intervalMs;
    if (every === null || this.timer) return;
    this.stopping = false;
    const tick = (): void => {
      this.runOnce().catch((err: unknown) => this.logger.warn({ err }, 'retention run failed'));
    };
    this.timer = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, every);
      this.timer.unref();
    }, Math.min(this.options.firstRunDelayMs, every));
    this.timer.unref();
  }

  /** Stops the timer and lets a run in progress end after its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current?.catch(() => undefined);
  }

  /**
   * Purges every conversation's expired messages (`now` is for tests). A run already going on
   * this node is joined, not doubled; another node's run shares the rows (SKIP LOCKED).
   */
  runOnce(now: Date = new Date()): Promise<RetentionRunSummary> {
    this.current ??= this.run(now).finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async run(now: Date): Promise<RetentionRunSummary> {
    const started = Date.now();
    const summary: RetentionRunSummary = { conversations: 0, messages: 0, uploads: 0, files: 0, batches: 0, ms: 0 };
    const { retentionDays } = await this.settings.get();
    const expiring = await new RetentionRepository(this.db).expiring(retentionDays);
    for (const conv of expiring) {
      if (this.stopping) break;
      const purged = await this.purgeConversation(conv, new Date(now.getTime() - conv.days * DAY_MS), summary);
      if (purged > 0) summary.conversations++;
    }
    summary.ms = Date.now() - started;
    this.logger.info({ retention: summary }, 'retention run done');
    return summary;
  }

  /**
   * One conversation, batch by batch from its floor (each batch starts after the last); returns
   * how many messages it purged. A run that reaches the end raises the floor.
   */
  private async purgeConversation(conv: ExpiringConversation, before: Date, summary: RetentionRunSummary): Promise<number> {
    let total = 0;
    let after = conv.floorSeq;
    const { batchSize } = this.options;
    const sizer = new WorkSizer({ initial: Math.min(100, batchSize), min: Math.min(20, batchSize), max: batchSize, targetMs: RETENTION_BATCH_TARGET_MS });
    for (;;) {
      if (this.stopping) return total;
      const limit = sizer.size;
      const t0 = performance.now();
      const batch = await inTransaction(this.db, async (_, tx) => {
        const repo = new RetentionRepository(tx);
        const rows = await repo.lockExpired(conv.id, after, before, limit);
        return { taken: rows.length, last: rows.at(-1)?.seq ?? after, ...(await repo.tombstone(rows.map((r) => r.id))) };
      });
      const ms = performance.now() - t0;
      sizer.took(ms, batch.taken);
      after = batch.last;
      if (batch.taken === 0) {
        await this.raiseFloor(conv);
        return total;
      }
      summary.batches++;
      if (batch.seqs.length > 0) {
        total += batch.seqs.length;
        summary.messages += batch.seqs.length;
        summary.uploads += batch.uploads;
        await this.announce(conv.id, batch.seqs[batch.seqs.length - 1]! + 1);
        summary.files += await removeUnusedBlobs(this.db, this.blobs, batch.sha256s, this.logger);
      }
      if (batch.taken < limit) {
        await this.raiseFloor(conv);
        return total;
      }
      // Everyone else's turn: the run takes at most about half of the database while it lasts.
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }

  /** Where the next run of this conversation starts; a failure only costs the next run a longer walk. */
  private async raiseFloor(conv: ExpiringConversation): Promise<void> {
    try {
      await new RetentionRepository(this.db).raiseFloor(conv.id, conv.floorSeq);
    } catch (err) {
      this.logger.warn({ err, conversationId: conv.id }, 'raising the retention floor failed');
    }
  }

  /** Tells the members' open clients that every message before `beforeSeq` that expired is a tombstone now. */
  private async announce(conversationId: string, beforeSeq: number): Promise<void> {
    try {
      const members = await this.repos.members.userIds(conversationId);
      this.publisher.ephemeral({ type: 'messages.purged', conversationId, beforeSeq }, members);
    } catch (err) {
      // The tombstones are committed: a client sees them on its next history read.
      this.logger.warn({ err, conversationId }, 'announcing purged messages failed');
    }
  }
}
