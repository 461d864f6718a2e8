/**
 * The start's pacing (src/core/start-pacing.ts): V8's WebAssembly compilation kept to the cores
 * the main thread does not need, and the event loop held until the start is over, then let go.
 */
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { paceStart, wasmCompilationTasks } from '../../src/core/start-pacing.js';
import { runTsChild } from '../helpers/kit.js';

describe('wasmCompilationTasks', () => {
  it('leaves the main thread one core of its own, and never goes below one task', () => {
    expect(wasmCompilationTasks(1)).toBe(1);
    expect(wasmCompilationTasks(2)).toBe(1);
    expect(wasmCompilationTasks(4)).toBe(3);
    expect(wasmCompilationTasks(16)).toBe(15);
    expect(wasmCompilationTasks(0)).toBe(1);
  });
});

describe('paceStart', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("sets V8's compilation tasks from the cores it is given", () => {
    // Not passed on to V8: this worker process is shared with other files that open PGlite.
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => {});
    const pacing = paceStart(4);
    pacing.release();
    expect(set).toHaveBeenCalledWith('--wasm-num-compilation-tasks=3');
  });

  it('holds the event loop until release(), and no longer', () => {
    // Nothing but an unreferenced timer: without the hold the child would exit at once; without
    // the release it would never exit (and the spawn time out).
    const script = `const { paceStart } = await import('./src/core/start-pacing.ts');
const began = Date.now();
const pacing = paceStart();
setTimeout(() => pacing.release(), 300).unref();
process.on('exit', () => process.stdout.write(String(Date.now() - began)));`;
    const child = runTsChild(script);
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(Number(child.stdout)).toBeGreaterThanOrEqual(290);
  });
});
