/**
 * The delivery loop shared by the webhook and notification queues: bounded concurrency, a kick
 * that claims at once, and a stop that aborts deliveries in flight and hands back late claims.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { QueueWorker, retryDelayMs } from '../../src/services/shared/queue-worker.js';
import { waitFor } from '../helpers/kit.js';

const logger = createLogger({ level: 'silent', logDir: null });

/** An in-memory queue whose deliveries wait until released by the test (or aborted). */
function memoryQueue(items: number) {
  const queue = Array.from({ length: items }, (_, i) => i);
  const released: number[] = [];
  const delivered: number[] = [];
  const aborted: number[] = [];
  const waiting = new Map<number, () => void>();
  let maxInFlight = 0;
  let claimGate: Promise<void> | null = null;
  let claims = 0;
  const job = {
    claim: async (n: number) => {
      claims++;
      if (claimGate) await claimGate;
      return queue.splice(0, n);
    },
    release: async (item: number) => {
      released.push(item);
    },
    deliver: (item: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        waiting.set(item, () => {
          waiting.delete(item);
          delivered.push(item);
          resolve();
        });
        maxInFlight = Math.max(maxInFlight, waiting.size);
        signal.addEventListener('abort', () => {
          waiting.delete(item);
          aborted.push(item);
          resolve();
        });
      }),
    describe: (item: number) => ({ item }),
  };
  return {
    job,
    queue,
    released,
    delivered,
    aborted,
    waiting,
    get maxInFlight() {
      return maxInFlight;
    },
    /** Claims begun. */
    get claims() {
      return claims;
    },
    gateClaims(gate: Promise<void> | null) {
      claimGate = gate;
    },
  };
}

const until = (check: () => boolean): Promise<number> => waitFor(check, 'the queue to get there', 2_000, 5);
/** A turn of the event loop: the worker claims on the turn after a kick (setImmediate). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('QueueWorker', () => {
  it('never runs more than its concurrency, and drains the queue as deliveries finish', async () => {
    const q = memoryQueue(10);
    const worker = new QueueWorker('test', q.job, { pollIntervalMs: 60_000, concurrency: 3 }, logger);
    worker.start();
    await until(() => q.waiting.size === 3);
    while (q.delivered.length < 10) {
      await until(() => q.waiting.size > 0);
      for (const finish of [...q.waiting.values()]) finish();
    }
    expect(q.maxInFlight).toBe(3);
    expect(q.delivered.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await worker.stop();
  });

  it('stop aborts the deliveries in flight and waits for them', async () => {
    const q = memoryQueue(2);
    const worker = new QueueWorker('test', q.job, { pollIntervalMs: 60_000, concurrency: 4 }, logger);
    worker.start();
    await until(() => q.waiting.size === 2);
    await worker.stop();
    expect(q.aborted.sort()).toEqual([0, 1]);
    expect(q.waiting.size).toBe(0);
  });

  it('hands back what a claim returns after stop began, and delivers none of it', async () => {
    const q = memoryQueue(3);
    let open!: () => void;
    q.gateClaims(new Promise<void>((r) => (open = r)));
    const worker = new QueueWorker('test', q.job, { pollIntervalMs: 60_000, concurrency: 4 }, logger);
    worker.start();
    await until(() => q.claims === 1);
    const stopping = worker.stop();
    open();
    await stopping;
    expect(q.released.sort()).toEqual([0, 1, 2]);
    expect(q.delivered).toEqual([]);
  });

  it('a kick while stopped does nothing; start again resumes', async () => {
    const q = memoryQueue(1);
    const worker = new QueueWorker('test', q.job, { pollIntervalMs: 60_000, concurrency: 1 }, logger);
    worker.kick();
    await turn();
    await turn();
    expect(q.claims).toBe(0);
    expect(q.queue).toEqual([0]);
    worker.start();
    await until(() => q.waiting.size === 1);
    q.waiting.get(0)!();
    await worker.stop();
    expect(q.delivered).toEqual([0]);
  });
});

describe('retryDelayMs', () => {
  it('jitters each wait by at most 20% and ends after the last', () => {
    const delays = [1_000, 10_000];
    for (let i = 0; i < 200; i++) {
      const first = retryDelayMs(delays, 1)!;
      expect(first).toBeGreaterThanOrEqual(800);
      expect(first).toBeLessThanOrEqual(1_200);
      const second = retryDelayMs(delays, 2)!;
      expect(second).toBeGreaterThanOrEqual(8_000);
      expect(second).toBeLessThanOrEqual(12_000);
    }
    expect(retryDelayMs(delays, 3)).toBeNull();
    expect(retryDelayMs(delays, 0)).toBeNull();
  });
});
