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
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { WorkSizer } from '../../core/work-sizer.js';
import type { SearchPrefixesRepository } from '../../db/repositories/search-prefixes.repository.js';
import type { SettingsRepository } from '../../db/repositories/settings.repository.js';

/** Settings key: the last message id done. */
export const BACKFILL_KEY = 'search.prefixBackfill';

export interface SearchPrefixBackfillOptions {
  /** After start, before the first batch (lets a starting node settle); null: never by itself (tests call run). */
  startDelayMs: number | null;
  /** Messages per batch at most; each batch is sized to take about `batchTargetMs`. */
  batchSize: number;
  /**
   * What one batch may take. A batch is one statement, and on the embedded database a statement
   * holds the event loop: batches of a fixed 1,000 messages took 10-185 ms each (cold pages the
   * most), a stall for every request and socket of the node, repeated for the whole history.
   */
  batchTargetMs: number;
  /** Between batches at least, and never less than twice the last batch: the backfill takes at most a third of the database. */
  pauseMs: number;
}

export const DEFAULT_BACKFILL_OPTIONS: SearchPrefixBackfillOptions = { startDelayMs: 10_000, batchSize: 1000, batchTargetMs: 10, pauseMs: 50 };

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
    const { batchSize, batchTargetMs, pauseMs } = this.options;
    const sizer = new WorkSizer({ initial: Math.min(100, batchSize), min: Math.min(20, batchSize), max: batchSize, targetMs: batchTargetMs });
    for (;;) {
      if (this.stopping) return;
      const limit = sizer.size;
      const t0 = performance.now();
      const batch = await this.prefixes.backfillBatch(after, limit, until);
      const ms = performance.now() - t0;
      if (batch.lastId === null) break;
      sizer.took(ms, limit);
      updated += batch.updated;
      batches++;
      after = batch.lastId;
      await this.settings.put(BACKFILL_KEY, after);
      const pause = Math.max(pauseMs, 2 * ms);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
    if (updated > 0) this.logger.info({ updated, batches, ms: Date.now() - started }, 'search prefix backfill done');
  }
}
