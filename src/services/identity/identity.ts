/**
 * Who is calling, and the small helpers every service that checks it needs: the Actor, the
 * site-admin check, session tokens and their hashes, session lifetimes. Kept apart from the
 * services so none of them imports another just for these (that made a cycle through eight).
 */
import { createHash, randomBytes } from 'node:crypto';
import { forbidden } from '../../core/errors.js';
import type { SessionRow } from '../../db/repositories/sessions.repository.js';
import type { UserRow } from '../../db/repositories/users.repository.js';

export type { UserRow };

/** The signed-in caller of a request or socket. */
export interface Actor {
  user: UserRow;
  sessionId: string;
  tokenHash: string;
  /** The session row's kind and flags (absent on actors built by hand, e.g. in tools). */
  session?: Pick<SessionRow, 'kind' | 'cookie' | 'createdAt' | 'expiresAt' | 'scopes'>;
  /** This request moved the session's expiry forward (sliding renewal): a cookie is sent again. */
  renewed?: boolean;
}

/** Throws 403 unless the caller is a site admin. */
export function requireSiteAdmin(actor: Actor): void {
  if (!actor.user.siteAdmin) throw forbidden('only a site admin may do this');
}

/** What is stored of a token: its SHA-256 (a token is 256 random bits, so no salt or stretching). */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new opaque token; the prefix lets secret scanners recognise a leaked one. */
export const newToken = (kind: 'session' | 'api'): string =>
  (kind === 'api' ? 'parley_pat_' : '') + randomBytes(32).toString('base64url');

/** How long login sessions live (SESSION_IDLE_DAYS, SESSION_MAX_DAYS), in seconds. */
export interface SessionPolicy {
  /** An unused login session ends this long after its last use (each use slides it). */
  idleSeconds: number;
  /** A login session ends this long after it was opened, however much it is used; null = never. */
  maxSeconds: number | null;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleSeconds: 30 * 86_400, maxSeconds: 365 * 86_400 };

/** Where a sign-in came from, kept with its session for the sessions list. */
export interface SessionMeta {
  /** The User-Agent, already trimmed (cleanUserAgent). */
  userAgent: string | null;
  /** The client address (request.ip: X-Forwarded-For when TRUST_PROXY believes it). */
  ip: string | null;
  /** The web client's HttpOnly cookie carries the token (CSRF-checked), not a bearer header. */
  cookie?: boolean;
}

/** The expiry a login session opened now gets. */
export function initialExpiry(policy: SessionPolicy, now = Date.now()): Date {
  const idle = now + policy.idleSeconds * 1000;
  return new Date(policy.maxSeconds === null ? idle : Math.min(idle, now + policy.maxSeconds * 1000));
}
