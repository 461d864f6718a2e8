import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from './db.js';

/** Runs raw SQL and returns its rows, whichever driver is underneath (PGlite or postgres.js). */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** The PostgreSQL error of err (or of its cause, as drivers and drizzle wrap it), or null. */
export function pgError(err: unknown): { code: string; detail?: string } | null {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return { code, detail: (e as { detail?: string }).detail };
  }
  return null;
}

/** True when err (or its cause) is PostgreSQL's unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  return pgError(err)?.code === '23505';
}

/** Escapes LIKE wildcards so user text matches literally. */
export function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A PostgreSQL array literal (`{"a","b"}`) of strings, passed as one text parameter and cast
 * (`::text[]`, `::uuid[]`): one parameter whatever the length, so the statement's shape is fixed.
 */
export function pgArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/**
 * `column = ANY($1::type[])`: the `inArray` of a list of any length as one parameter. An IN list
 * is one parameter per value, so every length is another statement: on the embedded database
 * one with more than MAX_PREPARED_PARAMS values is parsed, planned and read through PGlite's own
 * path each time (a history page's 50 message ids, an export page's hundreds), and drizzle builds
 * a chunk per value. This one is prepared once for every length. For uuid and text columns.
 */
export function anyOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} = ANY(${pgArray(values)}::${sql.raw(column.getSQLType())}[])`;
}
