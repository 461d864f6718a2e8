/**
 * Password hashing: argon2id at OWASP's minimum profile (19 MiB, 2 passes), on libuv's thread
 * pool. A hash names the cost it was made with, and verification reads it from there, so hashes
 * of any cost verify alike.
 */
import { hash } from '@node-rs/argon2';

export interface PasswordHashCost {
  /** KiB of memory. */
  memoryCost: number;
  /** Passes over it. */
  timeCost: number;
}

export const PASSWORD_HASH_COST: Readonly<PasswordHashCost> = { memoryCost: 19_456, timeCost: 2 };

let cost: Readonly<PasswordHashCost> = PASSWORD_HASH_COST;

/** An argon2id hash of a password, computed off the main thread. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: 2 /* Argon2id */, parallelism: 1, ...cost });
}

/**
 * The cost of the hashes made from now on in this process. For test runs only (tests/setup.ts
 * makes it the cheapest): 15 ms of CPU a hash was a tenth of the CPU of the files that register
 * many accounts. Nothing in the server calls it; the tests of the cost set it back.
 */
export function setPasswordHashCostForTests(next: Readonly<PasswordHashCost>): void {
  cost = next;
}
