/**
 * How much a piece of background work takes at once. On the embedded database every statement
 * runs on the event loop's own thread, so one batch of an export or a backfill is the longest
 * anyone else waits for it. A fixed size is either slow where rows are cheap or a long stall where
 * they are dear (rows read for the first time, a cold cache, a busy node); this sizes each batch
 * from what the previous ones took, aiming at `targetMs`: it shrinks at once when a batch took
 * longer, and grows at most twofold a batch when batches are quick.
 */
export interface WorkSizerOptions {
  /** The first batch's size. */
  initial: number;
  min: number;
  max: number;
  /** What one batch may take, in ms. */
  targetMs: number;
}

export class WorkSizer {
  private current: number;

  constructor(private readonly options: WorkSizerOptions) {
    this.current = options.initial;
  }

  /** The size of the next batch. */
  get size(): number {
    return this.current;
  }

  /** The last batch did `done` units of work in `ms`. */
  took(ms: number, done: number): void {
    if (done <= 0) return;
    const { min, max, targetMs } = this.options;
    const fits = ms > 0 ? Math.floor((targetMs * done) / ms) : max;
    this.current = Math.max(min, Math.min(max, fits, this.current * 2));
  }
}
