/**
 * A reconnect storm (CI form): 1,000 sockets of the real client library come back at once over
 * loopback, each behind by a few events in two conversations, and sync. The server serves at
 * most `syncConcurrency` syncs at once and refuses the overflow with `rate_limited` and a
 * back-off hint (details.retryAfter), which the client honours. Every socket ends synced with
 * every missed event once and in order, none is dropped, the event loop keeps answering /healthz
 * with under a second of its process's CPU ahead of each answer, and memory stays bounded.
 * Long form: `npm run storm` (STORM_SOCKETS, STORM_MISSED).
 */
import { describe, expect, it } from 'vitest';
import { runStorm } from '../helpers/storm.js';

const SOCKETS = Number(process.env.STORM_SOCKETS ?? 1000);
const MISSED = Number(process.env.STORM_MISSED ?? 10);

// The deadline is liveness, not speed: alone on this machine all sync in ~7 s, but beside two
// other test files and a browser on two cores PGlite's run took 76 s once and over 90 s once
// (967 of 1,000 synced), the clients' back-off growing while the shared cores were busy.
describe('reconnect storm', () => {
  it(`${SOCKETS} sockets reconnect and sync at once: bounded syncs, back-off hints honoured, all synced`, async () => {
    const r = await runStorm({ sockets: SOCKETS, missed: MISSED, conversations: 2, users: 10, syncConcurrency: 4, syncQueue: 200, timeoutMs: 130_000 });
    console.log(`storm: ${JSON.stringify(r)}`);
    expect(r.synced).toBe(SOCKETS);
    expect(r.wrongEvents).toBe(0);
    expect(r.events).toBe(SOCKETS * MISSED * 2);
    expect(r.dropped).toBe(0);
    // Bounded: never more syncs at once than the gate allows; the overflow was told to back off.
    expect(r.peakSyncsRunning).toBeLessThanOrEqual(4);
    expect(r.backoffsSent).toBeGreaterThan(0);
    expect(r.backoffsSeen).toBe(r.backoffsSent);
    expect(r.earlyRetries).toBe(0);
    expect(r.maxRetryAfterS).toBeGreaterThanOrEqual(1);
    // The process stays responsive and its memory bounded (server and all clients are in it).
    // Responsive means no stall of seconds: at most a second of this process's CPU goes ahead of a
    // /healthz (292 ms alone, 422 ms beside six busy loops on two cores). Not the wall time: that
    // grows with whatever else the machine runs (238 ms alone, 1,149 ms beside the six loops, up
    // to 3.3 s in full suites beside two other test files and a browser).
    expect(r.maxHealthzCpuMs).toBeLessThan(1000);
    expect(r.peakRssMb - r.rssBeforeMb).toBeLessThan(600);
  }, 150_000);
});
