import { badRequest } from '../../core/errors.js';

export const EMAIL_MAX_LENGTH = 254;
// No spaces, no control characters (C0, DEL, C1), no angle brackets or commas (header injection, lists).
const FORBIDDEN = /[\s\u0000-\u001f\u007f-\u009f<>,;"\\]/u;
const DOMAIN = /^(?=.{1,253}$)([\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}\p{N}-]{2,63}$/u;

/**
 * Checks the form of an e-mail address (a sane subset: one @, a local part of 1-64 characters, a
 * domain with a dot, at most 254 characters, no spaces or control characters) and returns it
 * trimmed, as given otherwise; 400 with a clear message when it is not one.
 */
export function checkEmail(raw: string): string {
  const email = raw.trim();
  const bad = (why: string) => badRequest(`not a valid e-mail address: ${why}`, { field: 'email' });
  if (email.length === 0 || email.length > EMAIL_MAX_LENGTH) throw bad(`1 to ${EMAIL_MAX_LENGTH} characters`);
  if (FORBIDDEN.test(email)) throw bad('no spaces, control characters or <>,;"\\');
  const parts = email.split('@');
  if (parts.length !== 2) throw bad('exactly one @');
  const [local, domain] = parts as [string, string];
  if (local.length === 0 || local.length > 64) throw bad('1 to 64 characters before the @');
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) throw bad('misplaced dot before the @');
  if (!DOMAIN.test(domain)) throw bad('a domain name such as example.com after the @');
  return email;
}

/** The lower-case domain of a checked address. */
export const emailDomain = (email: string): string => email.slice(email.lastIndexOf('@') + 1).toLowerCase();
