/**
 * The C heap's trims (src/core/memory-trim.ts): glibc's malloc_trim reached for real through
 * koffi on this Linux machine, and the schedule around it (first shortly after ready, then every
 * period, never keeping the process alive; off where there is no malloc_trim; off for good after
 * a failure) with an injected call and fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIRST_TRIM_AFTER_MS, loadMallocTrim, startMemoryTrim, type TrimCall } from '../../src/core/memory-trim.js';
import { captureLogger, runTsChild } from '../helpers/kit.js';

/** This process runs on glibc (the report's header names its version; musl's has none). */
const onGlibc = process.platform === 'linux' && typeof (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime === 'string';

describe('malloc_trim through koffi', () => {
  it.runIf(onGlibc)('is found in glibc and answers 0 or 1', async () => {
    const trim = await loadMallocTrim();
    expect(trim).toBeTypeOf('function');
    expect([0, 1]).toContain(trim!());
  });
});

describe('startMemoryTrim', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function counting(result = 1): { call: TrimCall; calls: () => number } {
    let n = 0;
    return {
      call: () => {
        n++;
        return result;
      },
      calls: () => n,
    };
  }

  it(`trims ${FIRST_TRIM_AFTER_MS / 1000} s after it starts, then every period, and logs each trim with the RSS before and after; stop() ends it`, async () => {
    vi.useFakeTimers();
    const { logger, lines } = captureLogger('debug');
    const trim = counting();
    const trimmer = startMemoryTrim({ everyMs: 60_000, logger, load: () => Promise.resolve(trim.call) });
    await vi.advanceTimersByTimeAsync(FIRST_TRIM_AFTER_MS - 1);
    expect(trim.calls()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(trim.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(trim.calls()).toBe(2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(trim.calls()).toBe(4);
    const logged = lines.filter((l) => l.msg === 'C heap trimmed');
    expect(logged).toHaveLength(4);
    expect(logged[0]).toMatchObject({ level: 20, returned: true, rssBeforeMiB: expect.any(Number), rssAfterMiB: expect.any(Number), ms: expect.any(Number) });
    trimmer.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(trim.calls()).toBe(4);
  });

  it('trims first after one period when the period is shorter than the usual first wait', async () => {
    vi.useFakeTimers();
    const trim = counting(0);
    const trimmer = startMemoryTrim({ everyMs: 1_000, logger: captureLogger().logger, load: () => Promise.resolve(trim.call) });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(trim.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(trim.calls()).toBe(4);
    trimmer.stop();
  });

  it('loads the call once, and where there is none says so once at debug level and never tries again', async () => {
    vi.useFakeTimers();
    const { logger, lines } = captureLogger('debug');
    const load = vi.fn(() => Promise.resolve(null));
    const trimmer = startMemoryTrim({ everyMs: 1_000, logger, load });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(load).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[20, 'malloc_trim is not available here (not glibc, or koffi is not installed): the C heap is not trimmed']]);
    expect(vi.getTimerCount()).toBe(0);
    trimmer.stop();
  });

  it('after a failing call warns once and stops trimming', async () => {
    vi.useFakeTimers();
    const { logger, lines } = captureLogger('debug');
    const call = vi.fn((): number => {
      throw new Error('no such symbol');
    });
    startMemoryTrim({ everyMs: 1_000, logger, load: () => Promise.resolve(call) });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(call).toHaveBeenCalledTimes(1);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['could not trim the C heap; memory trimming is off']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a stop while the call is still loading means no trim and nothing scheduled', async () => {
    vi.useFakeTimers();
    let loaded!: (call: TrimCall) => void;
    const trim = counting();
    const trimmer = startMemoryTrim({ everyMs: 1_000, logger: captureLogger().logger, load: () => new Promise<TrimCall>((r) => (loaded = r)) });
    await vi.advanceTimersByTimeAsync(1_000);
    trimmer.stop();
    loaded(trim.call);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(trim.calls()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a stop before the first trim means no trim and no load', async () => {
    vi.useFakeTimers();
    const load = vi.fn(() => Promise.resolve(counting().call));
    startMemoryTrim({ everyMs: 1_000, logger: captureLogger().logger, load }).stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(load).not.toHaveBeenCalled();
  });

  it('never keeps the process alive: a process that only started it exits by itself', () => {
    const script = `const { startMemoryTrim } = await import('./src/core/memory-trim.ts');
startMemoryTrim({ everyMs: 60000, logger: { debug() {}, warn() {} } });`;
    // Were its timer referenced, the child would wait 10 s for the first trim and then forever.
    const child = runTsChild(script);
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
  });
});
