/**
 * The pacer's verdict on a reader (src/realtime/socket-pacer.ts): a socket whose buffer makes no
 * progress for `stallMs` is a stalled reader; time the server's own event loop was held does not
 * count, since nothing could reach the socket then and the first check afterwards runs before
 * the socket's I/O.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { SocketPacer } from '../../src/realtime/socket-pacer.js';
import { waitFor } from '../helpers/kit.js';

const LIMITS = { writeBufferBytes: 1000, stallMs: 200 };

/** What the pacer reads of a `ws` socket: its buffered bytes, its net socket's 'drain', 'close'. */
class FakeWs extends EventEmitter {
  bufferedAmount = 0;
  readonly _socket = new EventEmitter();

  /** The client read everything: the buffer empties and the net socket says so. */
  drain(): void {
    this.bufferedAmount = 0;
    this._socket.emit('drain');
  }
}

/** A pacer over a fake socket, and the stalls it reports. */
function pacer() {
  const ws = new FakeWs();
  const stalls: { buffered: number; stalledMs: number }[] = [];
  const p = new SocketPacer(ws as unknown as WebSocket, LIMITS, (info) => stalls.push(info));
  return { ws, p, stalls };
}

/** Fills the socket past the pacing mark and waits for the stall it must report, no sooner than stallMs. */
async function expectStall(ws: FakeWs, p: SocketPacer, stalls: { buffered: number; stalledMs: number }[]): Promise<void> {
  ws.bufferedAmount = 5000;
  const started = Date.now();
  void p.room();
  await waitFor(() => stalls.length > 0, 'a stall reported', 3000);
  expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.stallMs);
  expect(stalls[0]).toMatchObject({ buffered: 5000 });
  expect(stalls[0]!.stalledMs).toBeGreaterThanOrEqual(LIMITS.stallMs);
}

/** Holds this process's event loop, as a long synchronous task does. */
function holdLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('socket pacer', () => {
  it('lets writes go while the socket has room, and waits for a drain once it is full', async () => {
    const { ws, p, stalls } = pacer();
    await p.room();
    ws.bufferedAmount = 5000;
    let released = false;
    const room = p.room().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 60));
    expect(released).toBe(false);
    ws.drain();
    await room;
    expect(stalls).toEqual([]);
    p.stop();
  });

  it('reports a reader whose buffer makes no progress for stallMs', async () => {
    const { ws, p, stalls } = pacer();
    await expectStall(ws, p, stalls);
    p.stop();
  });

  it('does not blame the reader for time its own event loop was held', async () => {
    const { ws, p, stalls } = pacer();
    ws.bufferedAmount = 5000;
    const room = p.room();
    // Three times stallMs without a turn of the loop; the client's reads show up as the socket's
    // I/O does, after the first timer check (a timer due later than the pacer's).
    holdLoop(3 * LIMITS.stallMs);
    setTimeout(() => ws.drain(), 1);
    await room;
    expect(stalls).toEqual([]);
    // A reader that then stops for real is still reported.
    await expectStall(ws, p, stalls);
    p.stop();
  });

  it('reports a stalled reader after stallMs / interval checks even when every check runs late', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let clock = 0;
      const ws = new FakeWs();
      const stalls: { buffered: number; stalledMs: number }[] = [];
      const p = new SocketPacer(ws as unknown as WebSocket, LIMITS, (info) => stalls.push(info), () => clock);
      const interval = LIMITS.stallMs / 4; // the pacer's check interval for this stallMs
      ws.bufferedAmount = 5000;
      void p.room();
      let checks = 0;
      while (stalls.length === 0 && checks < 20) {
        clock += 2 * interval; // each check runs one interval late
        vi.advanceTimersByTime(interval);
        checks++;
      }
      // The lateness is credited, the interval is not: four checks of 50 ms make the 200 ms.
      expect(checks).toBe(LIMITS.stallMs / interval);
      expect(stalls[0]!.stalledMs).toBeGreaterThanOrEqual(LIMITS.stallMs);
      p.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
