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
 */
export class SocketPacer {
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastProgressAt = 0;
  private lastBuffered = 0;
  private stopped = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: PacerLimits,
    private readonly onStall: (info: { buffered: number; stalledMs: number }) => void,
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
    this.lastProgressAt = Date.now();
    this.lastBuffered = this.ws.bufferedAmount;
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(250, this.limits.stallMs / 4)));
    this.timer.unref();
  }

  private progress(): void {
    this.lastProgressAt = Date.now();
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
    const stalledMs = Date.now() - this.lastProgressAt;
    if (stalledMs >= this.limits.stallMs) this.onStall({ buffered, stalledMs });
  }
}
