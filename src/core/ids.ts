import { createHash, randomBytes } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a well-formed UUID; anything else in a path is "not found" without asking the database. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

let lastMs = 0;
let counter = 0;

/**
 * A time-ordered UUID (version 7): new rows land at the end of their primary-key index, and ids
 * made by this process increase even within one millisecond (a 12-bit counter in rand_a, RFC 9562
 * method 1), so "newest first" can break ties by id.
 */
export function newId(): string {
  const b = randomBytes(16);
  let ms = Date.now();
  if (ms <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      // 4096 ids in one millisecond: borrow the next millisecond.
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = b[6]! & 0x07; // start low, leaving room to count up
  }
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A version-7 UUID for the time `ms` whose remaining bits are a hash of `key`: the same key and
 * time give the same id on every run (what an import made is found again by its source key),
 * and ids still sort by time as newId()'s do.
 */
export function derivedId(ms: number, key: string): string {
  const b = createHash('sha256').update(key).digest().subarray(0, 16);
  b.writeUIntBE(Math.min(Math.max(0, Math.floor(ms)), 0xffffffffffff), 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
