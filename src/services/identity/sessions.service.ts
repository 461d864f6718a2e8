import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { notFound } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { SessionRow } from '../../db/repositories/sessions.repository.js';
import type { LoginSession } from '../../protocol/rest-sessions.js';
import type { Actor } from './identity.js';
import type { EventPublisher } from '../shared/events.js';
import { deviceLabel } from './user-agent.js';
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from './identity.js';

const present = (row: SessionRow, currentId: string): LoginSession => ({
  id: row.id,
  current: row.id === currentId,
  kind: 'session',
  device: deviceLabel(row.userAgent),
  userAgent: row.userAgent,
  ip: row.ip,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt.toISOString(),
  expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
  cookie: row.cookie,
});

/** A person's login sessions (devices): the list, revocation, the expiry sweep, and CSRF tokens of cookie sessions. */
export class SessionsService {
  private secret: Promise<Buffer> | null = null;

  constructor(
    private readonly repos: Pick<Repositories, 'sessions' | 'uploads'>,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
    /** PUBLIC_URL (or http://HOST:PORT): its origin is trusted for cookie requests; https makes the cookie Secure. */
    readonly publicUrl: string | null = null,
  ) {}

  /** Seconds a login session opened now, or renewed now, has left (its cookie's Max-Age). */
  remainingSeconds(createdAt: Date = new Date(), now = Date.now()): number {
    const idle = this.policy.idleSeconds;
    if (this.policy.maxSeconds === null) return idle;
    const cap = Math.floor((createdAt.getTime() + this.policy.maxSeconds * 1000 - now) / 1000);
    return Math.max(0, Math.min(idle, cap));
  }

  /** The caller's login sessions (not API tokens), oldest first; `current` marks the caller's own. */
  async list(actor: Actor): Promise<{ sessions: LoginSession[] }> {
    const rows = await this.repos.sessions.listForUser(actor.user.id, 'session');
    return { sessions: rows.map((r) => present(r, actor.sessionId)) };
  }

  /** Revokes one of the caller's login sessions; its sockets close on every node. 404 for another's or an unknown id. */
  async revoke(actor: Actor, id: string): Promise<void> {
    const row = isUuid(id) ? await this.repos.sessions.deleteOne(actor.user.id, id, 'session') : null;
    if (!row) throw notFound('session');
    this.publisher.revoke(row.tokenHash);
  }

  /** Revokes every login session of the caller but the current one ("sign out everywhere else"). */
  async revokeOthers(actor: Actor): Promise<number> {
    const rows = await this.repos.sessions.deleteOthers(actor.user.id, 'session', actor.sessionId);
    for (const row of rows) this.publisher.revoke(row.tokenHash);
    return rows.length;
  }

  /** Deletes expired sessions and tokens; idempotent, so every node may run it. */
  async sweep(): Promise<number> {
    const n = await this.repos.sessions.deleteExpired();
    if (n > 0) this.logger.info({ sessions: n }, 'expired sessions deleted');
    return n;
  }

  /**
   * The CSRF token of a session: HMAC-SHA256 of its token hash under a server secret kept in
   * the database (the same on every node). Scripts learn it from the API; a cross-site form cannot.
   */
  async csrfToken(tokenHash: string): Promise<string> {
    return createHmac('sha256', await this.key()).update(tokenHash, 'utf8').digest('base64url');
  }

  /** Whether `given` is the session's CSRF token (constant-time comparison). */
  async checkCsrf(tokenHash: string, given: string | undefined): Promise<boolean> {
    if (!given || given.length > 128) return false;
    const expected = Buffer.from(await this.csrfToken(tokenHash), 'utf8');
    const actual = Buffer.from(given, 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  private key(): Promise<Buffer> {
    this.secret ??= this.repos.uploads
      .setting('csrf_secret', () => randomBytes(32).toString('hex'))
      .then((hex) => Buffer.from(hex, 'hex'))
      .catch((err: unknown) => {
        this.secret = null;
        throw err;
      });
    return this.secret;
  }
}
