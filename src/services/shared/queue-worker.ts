/**
 * The loop behind each outbound delivery queue (webhooks, Web Push and e-mail): every node runs
 * one per queue. It polls the durable queue (and is kicked at once after a local enqueue or a
 * delivery finishing), claims as many due rows as it has free slots with a lease (past which
 * another node may take them), and runs them a few at a time. Stopping aborts the deliveries in
 * flight through their signal and hands claims not yet started back for the next node.
 *
 * What a delivery is, and what its outcome does to the queue, is the owner's: `deliver` records
 * it (complete, reschedule, give up) itself.
 */
import type { Logger } from '../../core/logger.js';

export interface QueueWorkerOptions {
  /** How often the queue is polled when nothing kicks it. */
  pollIntervalMs: number;
  /** Deliveries in flight at once on this node. */
  concurrency: number;
}

export interface QueueWorkerJob<T> {
  /** Claims up to `n` due items (with a lease). */
  claim(n: number): Promise<T[]>;
  /** Hands an item claimed but not delivered back to the queue. */
  release(item: T): Promise<void>;
  /** Delivers one item and records its outcome; `signal` aborts when the worker stops. */
  deliver(item: T, signal: AbortSignal): Promise<void>;
  /** Names an item in the log. */
  describe(item: T): Record<string, unknown>;
}

export class QueueWorker<T> {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private filling: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = true;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = new AbortController();

  constructor(
    /** What the queue holds, for the log ("webhook", "notification"). */
    private readonly name: string,
    private readonly job: QueueWorkerJob<T>,
    private readonly options: QueueWorkerOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = new AbortController();
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops polling, aborts the deliveries in flight and waits for them to record their outcome. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopping.abort();
    await this.filling;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Looks at the queue soon (after a local enqueue, or a delivery finishing). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = true;
    this.filling = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.fill())
      .catch((err: unknown) => this.logger.warn({ err }, `claiming ${this.name} deliveries failed`))
      .finally(() => {
        this.running = false;
        if (this.pending) {
          this.pending = false;
          this.kick();
        }
      });
  }

  /** Claims as many due deliveries as there are free slots and starts them. */
  private async fill(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0 || this.stopped) return;
    const claimed = await this.job.claim(free);
    if (this.stopped) {
      await Promise.allSettled(claimed.map((item) => this.job.release(item)));
      return;
    }
    const signal = this.stopping.signal;
    for (const item of claimed) {
      const delivery: Promise<void> = this.job
        .deliver(item, signal)
        .catch((err: unknown) => this.logger.error({ err, ...this.job.describe(item) }, `recording a ${this.name} delivery failed`))
        .finally(() => {
          this.inFlight.delete(delivery);
          this.kick();
        });
      this.inFlight.add(delivery);
    }
    // A full batch: there may be more due right now.
    if (claimed.length === free) this.pending = true;
  }
}

/**
 * The wait before retry number `attempts` (1-based) of a delivery, jittered ±20% so a receiver
 * back from an outage is not met by every retry at once; null once the retries are spent.
 */
export function retryDelayMs(delays: readonly number[], attempts: number): number | null {
  if (attempts < 1 || attempts > delays.length) return null;
  return delays[attempts - 1]! * (0.8 + Math.random() * 0.4);
}
