/**
 * Named locks that hold across the nodes sharing one PostgreSQL server: session-level advisory
 * locks on a connection reserved for as long as they are held. A node that dies loses its
 * connection, and the server drops its locks with it: nothing is left to expire or clean up.
 */
import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';
import type { Logger } from '../core/logger.js';

/** Locks held together; `release` (once is enough) frees them all. */
export interface LockLease {
  release(): Promise<void>;
}

/** The answer of `tryLocks`: the lease, or the first key another holder has. */
export type LockAttempt = { ok: true; lease: LockLease } | { ok: false; busy: string };

/** A lock key's 32-bit half: the first four bytes of its SHA-256 (distinct keys rarely meet). */
export function lockId(key: string): number {
  return createHash('sha256').update(key, 'utf8').digest().readInt32BE(0);
}

/**
 * Takes every key's lock under `namespace` on one reserved connection, or none (the ones taken
 * are given back): never waits for a holder. The two-integer form keeps them apart from the
 * single-bigint locks (the migration lock).
 */
export async function tryAdvisoryLocks(client: Sql, namespace: number, keys: readonly string[], logger: Logger): Promise<LockAttempt> {
  const conn = await client.reserve();
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    try {
      await conn`SELECT pg_advisory_unlock_all()`;
    } catch (err) {
      // A connection that broke took its locks with it.
      logger.warn({ err }, 'releasing advisory locks failed');
    } finally {
      conn.release();
    }
  };
  try {
    for (const key of keys) {
      const [row] = await conn<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(${namespace}::int, ${lockId(key)}::int) AS ok`;
      if (!row?.ok) {
        await release();
        return { ok: false, busy: key };
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { ok: true, lease: { release } };
}

/** The embedded database serves one process: the caller's own bookkeeping is the lock there. */
export const localLocks = async (): Promise<LockAttempt> => ({ ok: true, lease: { release: async () => {} } });
