import { verify } from '@node-rs/argon2';
import { cleanDisplayText } from '../../core/display-text.js';
import { validEmoji } from '../../core/emoji.js';
import { randomBytes } from 'node:crypto';
import { AppError, badRequest, notFound } from '../../core/errors.js';
import { decodeCursor, encodeCursor, clampLimit } from '../../core/cursor.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Repositories } from '../../db/repositories/index.js';
import { DEFAULT_SESSION_POLICY, initialExpiry, type SessionMeta, type SessionPolicy } from './identity.js';
import type { Locale, Me, Theme, User } from '../../protocol/entities.js';
import type { AdminService } from './admin.service.js';
import type { SignupService } from './signup.service.js';
import { newToken } from './identity.js';
import type { EventPublisher } from '../shared/events.js';
import type { UploadsService } from '../files/uploads.service.js';
import { isReservedUsername } from '../messaging/mention-all.js';
import { presentMe, presentUser, type UserView } from '../shared/presenters.js';
import { announceUser } from './user-updates.js';
import { hashToken, type Actor } from './identity.js';
import { hashPassword } from './passwords.js';


/**
 * Tokens are stored and looked up only as this SHA-256: the lookup is an indexed equality on the
 * hash, so its timing says something about a hash the caller chose, never about a stored token
 * (no constant-time comparison needed here, unlike METRICS_TOKEN and upload URL signatures).
 */

/** A status text's length, in characters once cleaned. */
const STATUS_TEXT_MAX = 100;

/** An instant from a request that must lie ahead, within a year (400 otherwise). */
function futureWithinAYear(value: string, field: string): Date {
  const at = new Date(value);
  const now = Date.now();
  if (Number.isNaN(at.getTime()) || at.getTime() <= now || at.getTime() > now + 366 * 86_400_000) {
    throw badRequest(`${field} must be a time in the next year`, { field });
  }
  return at;
}

export class AccountsService {
  /** Verified against when a username is unknown, so timing does not reveal which usernames exist. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly repos: Pick<Repositories, 'members' | 'sessions' | 'users'>,
    private readonly presence: UserView,
    private readonly publisher: EventPublisher,
    private readonly avatars: Pick<UploadsService, 'checkAvatar'>,
    private readonly admins: Pick<AdminService, 'onRegistered'>,
    private readonly logger: Logger,
    /** SESSION_IDLE_DAYS / SESSION_MAX_DAYS. */
    private readonly sessionPolicy: SessionPolicy = DEFAULT_SESSION_POLICY,
    /** Who may sign up (SignupService: open, invite-only or by e-mail domain). */
    private readonly signup?: Pick<SignupService, 'admit' | 'create'>,
  ) {}

  async register(input: { username: string; password: string; displayName?: string; email?: string; inviteCode?: string }, meta?: SessionMeta): Promise<{ user: User; token: string }> {
    if (isReservedUsername(input.username)) throw new AppError('username_taken', `"${input.username}" is reserved (it mentions a whole group)`);
    const displayName = cleanDisplayText(input.displayName ?? input.username);
    if (displayName.length === 0) throw badRequest('displayName must not be blank');
    const admission = (await this.signup?.admit(input)) ?? { email: null, inviteHash: null };
    const passwordHash = await hashPassword(input.password);
    const values = { id: newId(), username: input.username, displayName, passwordHash };
    const created = this.signup ? await this.signup.create(admission, values) : await this.repos.users.create(values);
    if (!created) throw new AppError('username_taken', 'that username is taken');
    this.logger.info({ userId: created.id }, 'user registered');
    const row = (await this.admins.onRegistered(created)) ?? created;
    return { user: presentUser(row, this.presence), token: await this.openSession(row.id, meta) };
  }

  async login(input: { username: string; password: string }, meta?: SessionMeta): Promise<{ user: User; token: string }> {
    const row = await this.repos.users.findByUsername(input.username);
    // A bot has no password: it signs in with API tokens only.
    const ok = row?.passwordHash
      ? await verify(row.passwordHash, input.password)
      : await verify(await this.dummy(), input.password).then(() => false);
    if (!row || !ok) throw new AppError('invalid_credentials', 'wrong username or password');
    // Only after the right password: a wrong one must not tell whether the account exists.
    if (row.deactivatedAt) throw new AppError('account_deactivated', 'this account has been deactivated');
    return { user: presentUser(row, this.presence), token: await this.openSession(row.id, meta) };
  }

  /** Revokes the token of the caller's session. */
  async logout(actor: Actor): Promise<void> {
    await this.repos.sessions.deleteByTokenHash(actor.tokenHash);
    this.publisher.revoke(actor.tokenHash);
  }

  /** The caller behind a token, or null when the token is unknown, revoked or expired. */
  async authenticate(token: string): Promise<Actor | null> {
    if (token.length < 16 || token.length > 200) return null;
    const tokenHash = hashToken(token);
    const found = await this.repos.sessions.findByTokenHash(tokenHash);
    if (!found) return null;
    const { session } = found;
    // "Last used" (shown in the token list) is kept to the minute: at most one write a minute.
    // A login session's expiry slides with it (SESSION_IDLE_DAYS, capped by SESSION_MAX_DAYS).
    // Awaited (once a minute per session at most): of concurrent requests, only the one whose
    // update matched renews, so the cookie is sent again once, not by every request in flight.
    let renewed = false;
    if (Date.now() - session.lastUsedAt.getTime() > 60_000) {
      const { idleSeconds, maxSeconds } = this.sessionPolicy;
      try {
        renewed = (await this.repos.sessions.touch(session.id, session.kind === 'session' ? { idleSeconds, maxSeconds } : undefined)) !== null;
      } catch (err) {
        this.logger.warn({ err }, 'marking a session used failed');
      }
    }
    return { user: found.user, sessionId: session.id, tokenHash, session, renewed };
  }

  /** Which of these tokens (by hash) are still valid: the sockets of the others are closed. */
  async liveTokens(tokenHashes: readonly string[]): Promise<Set<string>> {
    const live = new Set<string>();
    for (let i = 0; i < tokenHashes.length; i += 1000) {
      for (const h of await this.repos.sessions.liveTokenHashes(tokenHashes.slice(i, i + 1000))) live.add(h);
    }
    return live;
  }

  me(actor: Actor): User {
    return presentUser(actor.user, this.presence);
  }

  /**
   * Changes the caller's profile (told to everyone sharing a conversation), language and theme
   * (theirs alone); returns the caller as they see themself.
   */
  async patchMe(actor: Actor, patch: { displayName?: string; avatarUploadId?: string | null; locale?: Locale; theme?: Theme }): Promise<Me> {
    const changes: { displayName?: string; avatarUploadId?: string | null } = {};
    if (patch.displayName !== undefined) {
      const name = cleanDisplayText(patch.displayName);
      if (name.length === 0) throw badRequest('displayName must not be blank');
      changes.displayName = name;
    }
    if (patch.avatarUploadId !== undefined) {
      if (patch.avatarUploadId !== null) await this.avatars.checkAvatar(actor, patch.avatarUploadId);
      changes.avatarUploadId = patch.avatarUploadId;
    }
    const own = { ...(patch.locale === undefined ? {} : { locale: patch.locale }), ...(patch.theme === undefined ? {} : { theme: patch.theme }) };
    if (Object.keys(changes).length === 0 && Object.keys(own).length === 0) return presentMe(actor.user, this.presence);
    const row = await this.repos.users.update(actor.user.id, { ...changes, ...own });
    if (!row) throw notFound('user');
    // The language and theme are the caller's alone: others hear of a change of name or avatar only.
    if (Object.keys(changes).length > 0) await announceUser({ repos: this.repos, publisher: this.publisher, view: this.presence, logger: this.logger }, row);
    return presentMe(row, this.presence);
  }

  /** Sets the caller's status (a text and/or an emoji, until `expiresAt`); told to everyone sharing a conversation. */
  async setStatus(actor: Actor, input: { text?: string | null; emoji?: string | null; expiresAt?: string | null }): Promise<User> {
    const text = input.text ? cleanDisplayText(input.text) : '';
    if ([...text].length > STATUS_TEXT_MAX) throw badRequest(`text is longer than ${STATUS_TEXT_MAX} characters`, { field: 'text' });
    const emoji = input.emoji?.trim() || null;
    if (emoji !== null && !validEmoji(emoji)) throw badRequest('emoji must be a Unicode emoji or a :short_name:', { field: 'emoji' });
    if (!text && !emoji) throw badRequest('a status needs a text or an emoji (DELETE /users/me/status clears it)');
    const expiresAt = input.expiresAt ? futureWithinAYear(input.expiresAt, 'expiresAt') : null;
    return this.changeMe(actor, { statusText: text || null, statusEmoji: emoji, statusExpiresAt: expiresAt });
  }

  async clearStatus(actor: Actor): Promise<User> {
    return this.changeMe(actor, { statusText: null, statusEmoji: null, statusExpiresAt: null });
  }

  /** Do not disturb until then: pushes are not sent and the e-mail digest waits. */
  async setDnd(actor: Actor, until: string): Promise<User> {
    return this.changeMe(actor, { dndUntil: futureWithinAYear(until, 'until') });
  }

  async clearDnd(actor: Actor): Promise<User> {
    return this.changeMe(actor, { dndUntil: null });
  }

  private async changeMe(actor: Actor, changes: Parameters<Repositories['users']['update']>[1]): Promise<User> {
    const row = await this.repos.users.update(actor.user.id, changes);
    if (!row) throw notFound('user');
    await announceUser({ repos: this.repos, publisher: this.publisher, view: this.presence, logger: this.logger }, row);
    return presentUser(row, this.presence);
  }

  async get(id: string): Promise<User> {
    const row = isUuid(id) ? await this.repos.users.findById(id) : null;
    if (!row) throw notFound('user');
    return presentUser(row, this.presence);
  }

  async search(q: string | undefined, cursor: string | undefined, limit: number | undefined): Promise<{ users: User[]; nextCursor: string | null }> {
    const n = clampLimit(limit);
    const after = cursor ? String(decodeCursor(cursor, 1)[0]) : null;
    const rows = await this.repos.users.searchByPrefix((q ?? '').trim(), after, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      users: page.map((r) => presentUser(r, this.presence)),
      nextCursor: rows.length > n && last ? encodeCursor([last.username.toLowerCase()]) : null,
    };
  }

  /**
   * Opens a login session for a user and returns its token: it expires after SESSION_IDLE_DAYS
   * unused; `meta` records the device (User-Agent, address) and whether a cookie carries it.
   */
  async openSession(userId: string, meta?: SessionMeta): Promise<string> {
    const token = newToken('session');
    await this.repos.sessions.create({
      id: newId(),
      userId,
      tokenHash: hashToken(token),
      expiresAt: initialExpiry(this.sessionPolicy),
      userAgent: meta?.userAgent ?? null,
      ip: meta?.ip ?? null,
      cookie: meta?.cookie ?? false,
    });
    return token;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}
