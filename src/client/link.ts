/** The link to the server: dead-link detection, reconnect backoff, and the socket URL. */

export class Heartbeat {
  private lastFrameAt = Date.now();
  private pingSentAt: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly ping: () => void,
    private readonly dead: (why: string) => void,
  ) {}

  /** Any frame from the server proves the link alive. */
  seen(): void {
    this.lastFrameAt = Date.now();
    this.pingSentAt = null;
  }

  start(): void {
    this.stop();
    this.lastFrameAt = Date.now();
    const tick = Math.max(20, Math.min(this.intervalMs, this.timeoutMs) / 2);
    this.timer = setInterval(() => {
      const now = Date.now();
      if (this.pingSentAt !== null) {
        if (now - this.pingSentAt >= this.timeoutMs) {
          this.stop();
          this.dead(`no frame within ${this.timeoutMs} ms of a ping`);
        }
        return;
      }
      if (now - this.lastFrameAt >= this.intervalMs) {
        this.pingSentAt = now;
        this.ping();
      }
    }, tick);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Delay before reconnect attempt `failures` (0 = first): doubling from minMs up to maxMs, less up to `jitter` of it at random. */
export function backoffDelay(failures: number, o: { minMs: number; maxMs: number; jitter: number }): number {
  const base = Math.min(o.maxMs, o.minMs * 2 ** Math.min(failures, 30));
  return Math.round(base * (1 - o.jitter * Math.random()));
}

/**
 * The WebSocket URL for a server base URL (`https://host` → `wss://host/api/v1/ws`); '' = the
 * page's own origin (browser).
 */
export function realtimeUrl(baseUrl = ''): string {
  let base = baseUrl.replace(/\/+$/, '');
  if (base === '') {
    const loc = (globalThis as { location?: { protocol: string; host: string } }).location;
    if (!loc) throw new TypeError('realtimeUrl: a baseUrl is needed outside a browser');
    base = `${loc.protocol}//${loc.host}`;
  }
  return `${base.replace(/^http(s?):/i, 'ws$1:')}/api/v1/ws`;
}
