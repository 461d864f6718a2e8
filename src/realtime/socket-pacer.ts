import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export interface PacerLimits {
  /** Bytes a connection's conversation events may have waiting in its socket; past it they wait. */
  writeBufferBytes: number;
  /** A socket with writes waiting whose buffer has not gone down for this long is not reading. */
  stallMs: number;
}

/**
 * Paces one connection's conversation events by what its client reads. A replay (sync, gap
 * fill) or a burst of live events writes while the socket holds less than `writeBufferBytes`,
 * then waits for it to drain: what the server chose to send at once never piles up in memory,
 * and a client that reads, however much it has to catch up, is never cut off for it. While
 * writes wait, the reader is judged by progress: its buffer going down (or emptying) within
 * `stallMs`. One that makes none is reported through `onStall` (the connection closes it).
 *
 * Only time the server could watch counts against a reader. While this process's event loop is
 * held (a long synchronous task, e.g. an embedded-database query), nothing it queued reaches the
 * kernel, and the first thing to run afterwards is the timers phase, before the socket's I/O: a
 * check then would blame the reader for the server's own pause (a busy suite on two cores once
 * closed a reader that read steadily, this way). So each check credits the reader with how late
 * it ran beyond its interval, whether the loop was held or only busy: the stalled time still grows
 * by one interval per check, so a reader that makes no progress is reported after at most
 * stallMs / interval checks, later in wall time only by as much as the checks themselves are late.
 * Times come from a monotonic clock: a wall-clock step neither closes readers nor spares them.
 */
export class SocketPacer {
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastProgressAt = 0;
  private lastBuffered = 0;
  private lastTickAt = 0;
  private stopped = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: PacerLimits,
    private readonly onStall: (info: { buffered: number; stalledMs: number }) => void,
    /** Milliseconds on a monotonic clock (a test gives its own). */
    private readonly now: () => number = () => performance.now(),
  ) {
    // 'drain': everything written so far went out to the kernel (the client read enough).
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    socket?.on('drain', () => this.progress());
    ws.once('close', () => this.stop());
  }

  /** The socket holds as much as paced writes may give it. */
  get full(): boolean {
    return this.ws.bufferedAmount >= this.limits.writeBufferBytes;
  }

  /** Resolves when the socket has room for the next paced write (at once when it has), or when it closes. */
  room(): Promise<void> {
    if (this.stopped || !this.full) return Promise.resolve();
    this.watch();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** No more pacing (the connection closes): every waiting writer goes on, and finds it closed. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.release();
  }

  private watch(): void {
    if (this.timer || this.stopped) return;
    this.lastProgressAt = this.now();
    this.lastTickAt = this.lastProgressAt;
    this.lastBuffered = this.ws.bufferedAmount;
    this.timer = setInterval(() => this.tick(), this.interval);
    this.timer.unref();
  }

  /** How often a waiting pacer looks at its socket. */
  private get interval(): number {
    return Math.max(10, Math.min(250, this.limits.stallMs / 4));
  }

  private progress(): void {
    this.lastProgressAt = this.now();
    this.lastBuffered = this.ws.bufferedAmount;
    this.release();
  }

  private release(): void {
    if (!this.stopped && this.full) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }

  private tick(): void {
    const now = this.now();
    // A check that ran late: the loop was held for the excess, which is not the reader's doing.
    const late = now - this.lastTickAt - this.interval;
    this.lastTickAt = now;
    if (late > 0) this.lastProgressAt = Math.min(now, this.lastProgressAt + late);
    const buffered = this.ws.bufferedAmount;
    if (buffered < this.lastBuffered) this.progress();
    else this.lastBuffered = buffered;
    if (!this.full) {
      this.release();
      if (this.waiters.length === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
      return;
    }
    const stalledMs = now - this.lastProgressAt;
    if (stalledMs >= this.limits.stallMs) this.onStall({ buffered, stalledMs });
  }
}
