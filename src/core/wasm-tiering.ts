import v8 from 'node:v8';

/**
 * V8 recompiles a WebAssembly function with its optimizing compiler once the function has run
 * through a budget (`--wasm-tiering-budget`, roughly bytes of its code executed). The embedded
 * database's start runs enough of PGlite's code to send hundreds of functions to that compiler, on
 * background threads that share the machine's cores with the start itself (on two cores the main
 * thread waits for them: BENCHMARKS.md, "Ready sooner: the WebAssembly tiering budget while the
 * database opens").
 *
 * While the server starts, the budget is ten times V8's: a start on the embedded database is ready
 * ~15 % sooner with ~20 % less CPU. Once it is ready the budget is V8's again, so a busy server's
 * functions reach the optimizing compiler as they would have (those the start left with a budget
 * ten times larger need that much more of their own work under load once: milliseconds). Nothing
 * is changed when the budget was set on the command line or in NODE_OPTIONS (the tests' servers).
 */

/** V8's own budget (V8 11 to 13: Node 20 to 24), what `node --v8-options` prints as the default. */
export const V8_WASM_TIERING_BUDGET = 1_800_000;
/** The budget while the server starts. */
export const START_WASM_TIERING_BUDGET = V8_WASM_TIERING_BUDGET * 10;

/** Whether the budget was set for this process from outside (command line or NODE_OPTIONS). */
export function tieringBudgetSetByOperator(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--wasm[-_]tiering[-_]budget\b/.test(a));
}

/**
 * Raises the budget for the start, before the WebAssembly is instantiated; returns what puts V8's
 * back (call it once the server is ready). A no-op pair when the operator set the budget.
 */
export function raiseWasmTieringBudgetForStart(): () => void {
  if (tieringBudgetSetByOperator()) return () => undefined;
  v8.setFlagsFromString(`--wasm-tiering-budget=${START_WASM_TIERING_BUDGET}`);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    v8.setFlagsFromString(`--wasm-tiering-budget=${V8_WASM_TIERING_BUDGET}`);
  };
}
