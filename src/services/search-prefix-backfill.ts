/**
 * Word-prefix search (meet finds Meeting) looks up prefix terms that messages stored before it
 * lack. This job adds them, a batch of messages by id at a time, each batch one short statement,
 * in the background after start. Its position (the last message id done) is kept in the settings
 * table: a restart goes on from there, and once through, each later start only looks at the
 * messages stored since (ids are time-ordered), which catches those sent through a node of the
 * previous release during a rolling upgrade. Until it reaches a message, that message is found
 * by whole words, as before. Two nodes running it at once only repeat work: a batch writes a row
 * only when it lacks terms, and the terms it writes are the ones searchTerms() gives.
 */
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { SearchPrefixesRepository } from '../db/repositories/search-prefixes.repository.js';
import type { SettingsRepository } from '../db/repositories/settings.repository.js';

/** Settings key: the last message id done. */
export const BACKFILL_KEY = 'search.prefixBackfill';

export interface SearchPrefixBackfillOptions {
  /** After start, before the first batch (lets a starting node settle); null: never by itself (tests call run). */
  startDelayMs: number | null;
  /** Messages per batch. */
  batchSize: number;
  /** Between batches, so sends and searches keep their share of the database. */
  pauseMs: number;
}

export const DEFAULT_BACKFILL_OPTIONS: SearchPrefixBackfillOptions = { startDelayMs: 10_000, batchSize: 1000, pauseMs: 50 };

export class SearchPrefixBackfill {
  private readonly options: SearchPrefixBackfillOptions;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly prefixes: SearchPrefixesRepository,
    private readonly settings: SettingsRepository,
    private readonly logger: Logger,
    options: Partial<SearchPrefixBackfillOptions> = {},
  ) {
    this.options = { ...DEFAULT_BACKFILL_OPTIONS, ...options };
  }

  start(): void {
    if (this.options.startDelayMs === null || this.timer) return;
    this.stopping = false;
    this.timer = setTimeout(() => {
      this.run().catch((err: unknown) => this.logger.warn({ err }, 'search prefix backfill failed; it goes on at the next start'));
    }, this.options.startDelayMs);
    this.timer.unref();
  }

  /** Stops after the batch in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current?.catch(() => undefined);
  }

  /** Runs the backfill to its end (or to stop()); a run in progress is joined. */
  run(): Promise<void> {
    this.current ??= this.backfill().finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async backfill(): Promise<void> {
    const started = Date.now();
    let after = await this.settings.get(BACKFILL_KEY);
    // Up to the messages stored before this run: those stored since have their prefixes (this
    // release writes them), and chasing them would keep a busy node's backfill running for ever.
    // A previous-release node's later sends are the next start's.
    const until = newId();
    let updated = 0;
    let batches = 0;
    for (;;) {
      if (this.stopping) return;
      const batch = await this.prefixes.backfillBatch(after, this.options.batchSize, until);
      if (batch.lastId === null) break;
      updated += batch.updated;
      batches++;
      after = batch.lastId;
      await this.settings.put(BACKFILL_KEY, after);
      if (this.options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
    if (updated > 0) this.logger.info({ updated, batches, ms: Date.now() - started }, 'search prefix backfill done');
  }
}
