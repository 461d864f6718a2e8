/** What an OpenID Connect provider's claims say about a new account: its username, display name and e-mail. */
import { cleanDisplayText } from '../../core/display-text.js';
import { checkEmail } from './email-address.js';

/** The claims Parley reads (from the ID token, completed by the UserInfo response). */
export interface OidcClaims {
  sub: string;
  preferred_username?: unknown;
  name?: unknown;
  email?: unknown;
  email_verified?: unknown;
  [claim: string]: unknown;
}

export interface OidcProfile {
  subject: string;
  /** A valid username (3-32 of [A-Za-z0-9_.-]); a suffix makes it unique if it is taken. */
  username: string;
  /** 1-64 characters. */
  displayName: string;
  /** Only an address the provider says it verified, in a valid form; null otherwise. */
  email: string | null;
}

const USERNAME_MAX = 32;
const DISPLAY_NAME_MAX = 64;

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * A username from free text: accents dropped (é → e), every run of other characters made one
 * `_`, trimmed of separators at the ends and cut to 32; '' when nothing usable is left.
 */
export function usernameFrom(raw: string): string {
  const ascii = raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return ascii
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '')
    .slice(0, USERNAME_MAX)
    .replace(/[_.-]+$/, '');
}

/** The i-th candidate for a username taken i times: `base`, then `base_2`, `base_3`… then a random suffix, within 32 characters. */
export function usernameCandidate(base: string, attempt: number, random: () => string): string {
  if (attempt === 0) return base;
  const suffix = attempt < 5 ? `_${attempt + 1}` : `_${random()}`;
  return `${base.slice(0, USERNAME_MAX - suffix.length)}${suffix}`;
}

/** Only an `email_verified` of true (or "true", as some providers send it) counts. */
function verifiedEmail(claims: OidcClaims): string | null {
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  if (!verified || typeof claims.email !== 'string') return null;
  try {
    return checkEmail(claims.email);
  } catch {
    return null;
  }
}

/** Maps a provider's claims to a new account's fields. */
export function profileFromClaims(claims: OidcClaims): OidcProfile {
  const email = verifiedEmail(claims);
  const emailLocal = typeof claims.email === 'string' ? claims.email.split('@')[0]! : '';
  const sources = [text(claims.preferred_username), emailLocal, text(claims.name)];
  // The first source giving 3 characters or more; a shorter one ("jo") gets a suffix; none at all (a name in Chinese) is "user".
  const usable = sources.map(usernameFrom).filter((u) => u.length > 0);
  const short = usable[0];
  const username = usable.find((u) => u.length >= 3) ?? (short ? `${short}_user` : 'user');
  const name = cleanDisplayText(text(claims.name).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '));
  const displayName = name.length > 0 ? [...name].slice(0, DISPLAY_NAME_MAX).join('').trim() : username;
  return { subject: claims.sub, username, displayName, email };
}
