/**
 * Bounds the sync frames a node serves at once, over all its connections. A reconnect storm
 * (thousands of sockets coming back and syncing together) would otherwise start as many replays
 * as there are sockets: the database pool's queue, the event loop and memory all grow with them.
 * Past `concurrency` running, syncs wait in order; past `maxQueued` waiting, a sync is refused at
 * once with a back-off hint (`retryAfter` seconds, from the recent sync time and the queue) and
 * the client syncs again after it. The gateway uses a second one, that never refuses, for the
 * handshakes (token and positions checks) of a storm of sockets connecting at once.
 */
export interface SyncGateStats {
  running: number;
  queued: number;
  /** Most syncs ever running at once. */
  peakRunning: number;
  /** Syncs served (finished, failed or not). */
  served: number;
  /** Syncs refused with a back-off hint. */
  refused: number;
}

export class SyncGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Admitted and not finished: running plus waiting, whoever has yet to reach the gate. */
  private admitted = 0;
  private peakRunning = 0;
  private served = 0;
  private refused = 0;
  /** Moving average of one sync's duration, in ms. */
  private avgMs = 20;

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  /**
   * Reserves a place for a sync, or returns the seconds the client should wait (the place is
   * then refused). A reserved place must be used by exactly one `run`.
   */
  admit(): { ok: true } | { ok: false; retryAfter: number } {
    if (this.admitted >= this.concurrency + this.maxQueued) {
      this.refused++;
      return { ok: false, retryAfter: this.retryAfter() };
    }
    this.admitted++;
    return { ok: true };
  }

  /** Runs an admitted sync when its turn comes. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    try {
      if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.running++;
      this.peakRunning = Math.max(this.peakRunning, this.running);
      const t0 = performance.now();
      try {
        // Each sync starts on a later turn of the event loop: the embedded database answers
        // within microtasks, so without this a burst of sync frames would run back to back in
        // one turn, starving every other socket and request (and never queueing here at all).
        await new Promise<void>((resolve) => setImmediate(resolve));
        return await job();
      } finally {
        this.running--;
        this.served++;
        this.avgMs = this.avgMs * 0.9 + (performance.now() - t0) * 0.1;
        this.waiting.shift()?.();
      }
    } finally {
      this.admitted--;
    }
  }

  /** Seconds until the queue has room again, about: at least 1, at most 30. */
  retryAfter(): number {
    const drainMs = ((this.admitted / Math.max(1, this.concurrency)) * this.avgMs) || 1000;
    return Math.min(30, Math.max(1, Math.ceil(drainMs / 1000)));
  }

  get stats(): SyncGateStats {
    return { running: this.running, queued: this.waiting.length, peakRunning: this.peakRunning, served: this.served, refused: this.refused };
  }
}
