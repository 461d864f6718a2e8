import type { Sql } from 'postgres';

/**
 * Queries with at most this many parameters run as prepared statements. A longer list is almost
 * always an IN list whose length varies (each length would be a statement of its own, kept by
 * each connection until it is recycled); those stay unnamed.
 */
export const MAX_PREPARED_PARAMS = 32;

interface Scope {
  unsafe: (query: string, params?: unknown[], options?: Record<string, unknown>) => unknown;
  begin?: (...args: unknown[]) => unknown;
  savepoint?: (...args: unknown[]) => unknown;
}

/**
 * Makes drizzle's queries on postgres.js prepared statements. drizzle-orm's postgres.js driver
 * runs every query through `unsafe(query, params, { prepare: false })` (drizzle-orm#6096), and
 * postgres.js sends an unprepared query with parameters as two round trips (Parse and Describe
 * first, then Bind and Execute) that PostgreSQL parses and plans each time. Prepared, a query
 * after its first run on a connection is one round trip with its plan reused. Connections are
 * recycled (postgres.js `max_lifetime`, 30-60 min), which bounds what each one keeps.
 */
export function preparePostgresQueries(client: Sql): void {
  prepareScope(client as unknown as Scope);
}

function prepareScope(scope: Scope): Scope {
  const unsafe = scope.unsafe;
  scope.unsafe = (query, params = [], options = {}) =>
    unsafe(query, params, params.length > 0 && params.length <= MAX_PREPARED_PARAMS ? { ...options, prepare: true } : options);
  for (const key of ['begin', 'savepoint'] as const) {
    const open = scope[key];
    if (!open) continue;
    // The last argument is the callback that receives the transaction's own scope.
    scope[key] = (...args: unknown[]) => {
      const fn = args.at(-1);
      if (typeof fn === 'function') args[args.length - 1] = (sql: Scope) => (fn as (s: Scope) => unknown)(prepareScope(sql));
      return open(...args);
    };
  }
  return scope;
}
