/**
 * The small tools every kind of test uses, defined once: the contract's error check, waiting for
 * a condition, a pause (for what is measured over time, never to wait for something to happen),
 * a logger whose lines a test reads, and a TypeScript script run in a child process.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { pino } from 'pino';
import { expect } from 'vitest';
import { REPO_ROOT } from '../../src/web/paths.js';

/** A pino logger at `level` whose lines land, parsed, in `lines`. */
export function captureLogger(level: pino.LevelWithSilent = 'info'): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** An error answer's body, as the contract defines it. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** What expectError reads from a response: light-my-request's (app.inject) or an adapted fetch answer. */
export interface ErrorResponse {
  statusCode: number;
  body: string;
  json(): unknown;
}

/**
 * Asserts an error answer in the contract's format: this status, `{ error: { code, message,
 * details? } }` with this code, a non-empty message and nothing else. Returns the error.
 */
export function expectError(res: ErrorResponse, status: number, code: string): ErrorBody {
  let body: { error?: Partial<ErrorBody> } = {};
  try {
    body = res.json() as typeof body;
  } catch {
    // left empty, so the assertion below names the status and the raw body
  }
  expect({ status: res.statusCode, code: body.error?.code }, res.body).toEqual({ status, code });
  expect(Object.keys(body), res.body).toEqual(['error']);
  expect(typeof body.error?.message, res.body).toBe('string');
  expect(body.error?.message?.length, res.body).toBeGreaterThan(0);
  for (const key of Object.keys(body.error ?? {})) expect(['code', 'message', 'details'], res.body).toContain(key);
  return body.error as ErrorBody;
}

/** A pause of `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `cond` holds (it may be async), checking every `everyMs`; fails naming `what` after
 * `timeoutMs` (a function is called then, so the message can tell the state at the failure).
 * Resolves with the time it took, in ms.
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 10_000, everyMs = 10): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(everyMs);
  }
  return Date.now() - start;
}

/**
 * Runs an ES module script in a child Node process with the repository's TypeScript loader (tsx),
 * from the repository's root (so `./src/...ts` imports work); at most `timeoutMs`, then killed.
 */
export function runTsChild(script: string, timeoutMs = 20_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, timeout: timeoutMs, encoding: 'utf8' });
}
