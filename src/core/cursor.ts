import { badRequest } from './errors.js';
import { isUuid } from './ids.js';

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
    !parsed.every(
      (v) => (typeof v === 'string' && v.length <= 256 && !v.includes('\0')) || (typeof v === 'number' && Number.isFinite(v)),
    )
  ) {
    throw badRequest('invalid cursor');
  }
  return parsed as (string | number)[];
}

/** Dates a cursor may carry: what PostgreSQL's timestamptz and JSON round-trip both hold. */
const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31);

/** A (timestamp, id) cursor, checked before any query sees it. */
export function decodeTimeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 2);
  const date = new Date(typeof at === 'string' ? at : NaN);
  const ms = date.getTime();
  if (Number.isNaN(ms) || ms < MIN_MS || ms > MAX_MS || typeof id !== 'string' || !isUuid(id)) {
    throw badRequest('invalid cursor');
  }
  return { at: date, id };
}

/** A (name, id) cursor. */
export function decodeNameCursor(cursor: string): { name: string; id: string } {
  const [name, id] = decodeCursor(cursor, 2);
  if (typeof name !== 'string' || typeof id !== 'string' || !isUuid(id)) throw badRequest('invalid cursor');
  return { name, id };
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

/** The contract's page size: 50 by default, clamped to 100. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  return Math.min(Math.max(1, limit), MAX_LIMIT);
}
