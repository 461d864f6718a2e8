/**
 * The WebAssembly tiering budget while the server starts (src/core/wasm-tiering.ts): raised ten
 * times before the embedded database opens, V8's again once the server is ready, and left alone
 * when the operator set it on the command line or in NODE_OPTIONS.
 */
import { execFileSync } from 'node:child_process';
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { raiseWasmTieringBudgetForStart, START_WASM_TIERING_BUDGET, tieringBudgetSetByOperator, V8_WASM_TIERING_BUDGET } from '../../src/core/wasm-tiering.js';

describe('the WebAssembly tiering budget during the start', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("is V8's default here (what node --v8-options prints), and ten times that while starting", () => {
    // Node's own listing of V8's options and their defaults.
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    const printed = /--wasm-tiering-budget[^\n]*\n\s*type: int\s+default: --wasm-tiering-budget=(\d+)/.exec(options);
    expect(Number(printed?.[1])).toBe(V8_WASM_TIERING_BUDGET);
    expect(START_WASM_TIERING_BUDGET).toBe(10 * V8_WASM_TIERING_BUDGET);
  });

  it("raises it, then puts V8's back once (a second restore does nothing)", () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    vi.stubEnv('NODE_OPTIONS', '');
    const restore = raiseWasmTieringBudgetForStart();
    expect(set.mock.calls).toEqual([[`--wasm-tiering-budget=${START_WASM_TIERING_BUDGET}`]]);
    restore();
    restore();
    expect(set.mock.calls).toEqual([[`--wasm-tiering-budget=${START_WASM_TIERING_BUDGET}`], [`--wasm-tiering-budget=${V8_WASM_TIERING_BUDGET}`]]);
    vi.unstubAllEnvs();
  });

  it('leaves a budget the operator set alone', () => {
    expect(tieringBudgetSetByOperator(['--wasm-tiering-budget=180000000'], '')).toBe(true);
    expect(tieringBudgetSetByOperator(['--enable-source-maps'], '--max-old-space-size=512 --wasm_tiering_budget=5')).toBe(true);
    expect(tieringBudgetSetByOperator(['--enable-source-maps'], '--max-old-space-size=512')).toBe(false);
    expect(tieringBudgetSetByOperator([], '')).toBe(false);
  });
});
