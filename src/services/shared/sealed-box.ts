import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * A small JSON value sealed with AES-256-GCM under a server key, with an expiry inside: the
 * holder can neither read nor change it, and it stops opening after `ttlMs`. For state that
 * travels through the browser (the OpenID Connect sign-in in progress, in a cookie).
 */
export function seal(key: Buffer, value: unknown, ttlMs: number, now = Date.now()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const plain = Buffer.from(JSON.stringify({ v: value, e: now + ttlMs }), 'utf8');
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The sealed value, or null when it is malformed, was changed, was sealed under another key, or has expired. */
export function unseal<T>(key: Buffer, sealed: string, now = Date.now()): T | null {
  if (sealed.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 12 + 16 + 1) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
    const parsed = JSON.parse(plain.toString('utf8')) as { v: T; e: number };
    return typeof parsed.e === 'number' && parsed.e > now ? parsed.v : null;
  } catch {
    return null;
  }
}
