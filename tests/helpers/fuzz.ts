/**
 * Shared pieces of the fuzz tests (tests/api/fuzz.test.ts, tests/ws/fuzz.test.ts): run counts
 * (small by default; `npm run fuzz` sets FUZZ_RUNS), hostile values, the contract's error check,
 * figures, and memory readings after a forced GC.
 */
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ERROR_STATUS } from '../../src/protocol/error-codes.js';

/** Inputs per property: FUZZ_RUNS when set (long mode), else `fallback`. */
export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** True under `npm run fuzz` (FUZZ_RUNS set): figures are printed. */
export const longMode = Boolean(process.env.FUZZ_RUNS);

/** App settings of the fuzz tests: FUZZ_LOG_LEVEL=error shows the server's log of a failure. */
export const fuzzEnv: Record<string, string> = process.env.FUZZ_LOG_LEVEL ? { LOG_LEVEL: process.env.FUZZ_LOG_LEVEL } : {};

/** fast-check parameters: FUZZ_SEED replays a failure that fast-check reported. */
export function fcParams(numRuns: number): fc.Parameters<unknown> {
  const seed = Number(process.env.FUZZ_SEED);
  return { numRuns, ...(Number.isInteger(seed) ? { seed } : {}) };
}

/** A test's time budget for `runs` inputs at up to `msPerInput` each. */
export function budgetMs(runs: number, msPerInput: number): number {
  return 60_000 + runs * msPerInput;
}

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\0',
  'a\0b',
  '\uD800',
  'x\uDFFFy',
  '\uFEFF',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  '😀👍🏽👨‍👩‍👧',
  '你好，世界',
  '\u0301\u0301\u0301',
  '\r\n',
  '\t',
  '..',
  '../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f',
  '%00',
  '%',
  '%ZZ',
  '%C0%AE',
  '/',
  '\\..\\..\\windows',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '0',
  '-0',
  '-1',
  '1e309',
  '-1e309',
  '1e-400',
  'NaN',
  'Infinity',
  '0x10',
  '9007199254740993',
  '99999999999999999999999999',
  '1.5',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '__proto__',
  'constructor',
  'toString',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  'a'.repeat(257),
  'a'.repeat(5000),
  '😀'.repeat(3000),
];

/** Strings that have broken servers before: encodings, separators, numbers in disguise, sizes. */
export const weirdString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 70_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 80 }) },
);

const SPECIAL_NUMBERS = [0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, 1e21];

/** Nested arrays or objects `depth` levels deep. */
export function deep(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = kind === 'array' ? [] : {};
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** Any JSON value a client might send where something else is expected. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: weirdString },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 1, arbitrary: fc.constantFrom([], {}, [null], [''], { '': null }) },
  { weight: 1, arbitrary: fc.array(weirdString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(weirdString, weirdString, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => deep(d, k)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Raw request texts that are not what JSON.stringify would produce. */
export const rawJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '"text"',
    '[]',
    '{',
    '}',
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    '{"a":1}{"b":2}',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"a":1,"a":2}',
    '\uFEFF{}',
    'NaN',
    '{"n":NaN}',
    '{"n":Infinity}',
    '{"s":"\\ud800"}',
    '{"s":"\\u0000"}',
    '{"s":"\\x41"}',
    '// comment\n{}',
  ),
  fc.integer({ min: 1, max: 120_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 1, max: 50_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
  fc.integer({ min: 1, max: 50_000 }).map((d) => '['.repeat(d)),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** JSON number literals JSON.stringify never writes. */
export const numberLiteral = fc.constantFrom('1e309', '-1e309', '-0', '1e-400', '123456789012345678901234567890', '0.0000001', '1E2', '-0.0', '9007199254740993', '1.0');

/** Checks a 4xx body against the contract: {error:{code,message}} with a known code of that status. */
export function contractErrorProblem(status: number, body: string, expectBody = true): string | null {
  if (status >= 500) return `status ${status}`;
  if (status < 400 || !expectBody) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `a ${status} with a body that is not JSON: ${body.slice(0, 200)}`;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') return `a ${status} without {error:{code,message}}: ${body.slice(0, 200)}`;
  if (!Object.hasOwn(ERROR_STATUS, error.code)) return `unknown error code ${error.code}`;
  if (ERROR_STATUS[error.code as keyof typeof ERROR_STATUS] !== status) return `code ${error.code} with status ${status}`;
  return null;
}

/** Counts of outcomes, printed at the end of a long run. */
export class FuzzStats {
  inputs = 0;
  readonly outcomes = new Map<string, number>();
  private readonly started = performance.now();

  count(outcome: string | number): void {
    this.inputs += 1;
    const key = String(outcome);
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  get elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  summary(label: string): string {
    const hist = [...this.outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}:${n}`).join(' ');
    return `${label}: ${this.inputs} inputs in ${this.elapsedS.toFixed(1)} s; ${hist}`;
  }
}

let gcFn: (() => void) | null | undefined;
/** A full GC, also without --expose-gc (the flag is switched on at run time). */
export function forceGc(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn?.();
}

export interface MemoryReading {
  rssMb: number;
  heapUsedMb: number;
}

/** RSS and heap in use after a full GC, in MB. */
export function memoryAfterGc(): MemoryReading {
  forceGc();
  forceGc();
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 1048576), heapUsedMb: Math.round(m.heapUsed / 1048576) };
}

export function formatMemory(before: MemoryReading, after: MemoryReading, middle?: MemoryReading | null): string {
  const mid = (k: keyof MemoryReading) => (middle ? ` -> ${middle[k]}` : '');
  return `rss ${before.rssMb}${mid('rssMb')} -> ${after.rssMb} MB, heapUsed ${before.heapUsedMb}${mid('heapUsedMb')} -> ${after.heapUsedMb} MB (after GC${middle ? '; start, half-way, end' : ''})`;
}

/** Heap growth allowed over a whole run, and over its second half (a leak keeps growing there). */
export const HEAP_GROWTH_LIMIT_MB = 96;
export const HEAP_SECOND_HALF_LIMIT_MB = 32;
