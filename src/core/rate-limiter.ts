/** A token bucket per key: `capacity` at once, refilled at `perSecond`. Idle keys are swept. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly enabled = true,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Takes one token for key; false when the key is over its rate. */
  take(key: string, now = Date.now()): boolean {
    if (!this.enabled) return true;
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Whole seconds until key has a token again (at least 1). */
  retryAfter(key: string, now = Date.now()): number {
    const b = this.buckets.get(key);
    if (!b) return 1;
    const tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }

  private sweep(now = Date.now()): void {
    const full = (this.capacity / this.perSecond) * 1000;
    for (const [key, b] of this.buckets) if (now - b.at > full) this.buckets.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.buckets.clear();
  }
}
