import { badRequest } from './errors.js';

/** Opaque list cursors: a base64url JSON array of the sort key of the last row returned. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a cursor of `arity` strings or numbers; anything else is a 400. */
export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('invalid cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== arity ||
    !parsed.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw badRequest('invalid cursor');
  }
  return parsed as (string | number)[];
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

/** The contract's page size: 50 by default, clamped to 100. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  return Math.min(Math.max(1, limit), MAX_LIMIT);
}
