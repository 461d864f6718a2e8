import type { ParleyApp } from '../src/app.js';
import type { Database } from '../src/db/database.js';

export interface ScenarioContext {
  app: ParleyApp;
  database: Database;
  log(line: string): void;
}

/** A benchmark: bounded in time, loopback only, returns rows of figures (with their baseline). */
export interface Scenario {
  name: string;
  describe: string;
  run(ctx: ScenarioContext): Promise<Record<string, string | number>[]>;
}

export function percentiles(samples: number[]): { p50: number; p99: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** A plain-text table, the way BENCHMARKS.md records it. */
export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(no rows)';
  // Every row's columns, in the order they first appear (a baseline row has fewer).
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = (c: string) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(cols.map((c) => c.padEnd(width(c)))),
    line(cols.map((c) => '-'.repeat(width(c)))),
    ...rows.map((r) => line(cols.map((c) => String(r[c] ?? '').padEnd(width(c))))),
  ].join('\n');
}
