import { verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import type { Me } from '../../protocol/rest-signup.js';
import { hashPassword } from './passwords.js';
import { hashToken, type Actor } from './identity.js';
import type { AuditService } from './audit.service.js';
import { checkEmail } from './email-address.js';
import type { EventPublisher } from '../shared/events.js';
import type { Mailer } from '../notifications/mailer.js';
import { presentMe, type UserView } from '../shared/presenters.js';
import { emailTaken } from './signup.service.js';
import { serverText } from '../notifications/server-text.js';

/** How long a reset link works. */
export const RESET_CODE_TTL_MS = 3_600_000;
/** How long closing the app waits for reset e-mails still being sent. */
const DRAIN_MS = 5_000;

/** The link in a reset e-mail: the web client's reset page with the code. */
export const resetUrl = (publicUrl: string, code: string): string => `${publicUrl.replace(/\/+$/, '')}/#/reset/${code}`;

/**
 * The account's own e-mail address and password: changing them (with the current password) and
 * resetting a forgotten password through a single-use link sent by e-mail.
 */
export class AccountSecurityService {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'imports' | 'passwordResets' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly mailer: Pick<Mailer, 'enabled' | 'send'>,
    private readonly view: UserView,
    private readonly publicUrl: string,
    private readonly logger: Logger,
  ) {}

  /** GET /users/me: the caller with their e-mail address. */
  me(actor: Actor): Me {
    return presentMe(actor.user, this.view);
  }

  /**
   * Changes the caller's password. The caller's other login sessions are revoked and their sockets
   * closed; this session and API tokens are kept. Unused reset links stop working.
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string): Promise<void> {
    await this.checkPassword(actor.user, currentPassword);
    const passwordHash = await hashPassword(newPassword);
    const revoked = await inTransaction(this.db, async (tx) => {
      await tx.users.setAdminState(actor.user.id, { passwordHash });
      await tx.passwordResets.invalidateForUser(actor.user.id);
      return tx.sessions.deleteOthers(actor.user.id, 'session', actor.sessionId);
    });
    for (const s of revoked) this.publisher.revoke(s.tokenHash);
    this.logger.info({ userId: actor.user.id, revokedSessions: revoked.length }, 'password changed');
  }

  /** Changes the caller's e-mail address (their password confirms it); 409 `email_taken`. */
  async changeEmail(actor: Actor, rawEmail: string, password: string): Promise<Me> {
    const email = checkEmail(rawEmail);
    await this.checkPassword(actor.user, password);
    const row = await this.repos.users.setEmail(actor.user.id, email);
    if (row === 'taken') throw emailTaken();
    if (!row) throw new AppError('not_found', 'user not found');
    // A reset link sent to the old address must not outlive the change.
    await this.repos.passwordResets.invalidateForUser(row.id);
    return presentMe(row, this.view);
  }

  /**
   * Starts a password reset for a username or e-mail address: 503 when no SMTP server is
   * configured, otherwise nothing is said about the account. The lookup and the e-mail happen
   * after the answer, so its timing is the same for unknown accounts; `allowAccount` is the
   * per-account rate limit (over it, nothing is sent).
   */
  requestReset(login: string, allowAccount: (userId: string) => Promise<boolean>): void {
    if (!this.mailer.enabled) throw new AppError('unavailable', 'password reset by e-mail is not available: no e-mail server is configured (SMTP_URL)');
    const job = this.sendReset(login.trim(), allowAccount)
      .catch((err: unknown) => this.logger.warn({ err }, 'sending a password reset e-mail failed'))
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /**
   * Sets a new password with a reset code: the code is used up, every login session of the
   * account is revoked and its sockets closed (API tokens are kept). 400 `reset_code_invalid`
   * for an unknown, expired or used code.
   */
  async confirmReset(code: string, newPassword: string): Promise<void> {
    const tokenHash = hashToken(code);
    if (!(await this.repos.passwordResets.findLive(tokenHash))) throw invalidCode();
    const passwordHash = await hashPassword(newPassword);
    const revoked = await inTransaction(this.db, async (tx) => {
      const used = await tx.passwordResets.use(tokenHash);
      const user = used ? await tx.users.findById(used.userId) : null;
      if (!user || user.bot) throw invalidCode();
      // A deactivated account may only be one an import made, claimed now by its owner.
      const claimed = user.deactivatedAt !== null && (await tx.imports.isClaimable(user.id)) && (await tx.imports.claim(user.id, passwordHash));
      if (user.deactivatedAt && !claimed) throw invalidCode();
      if (!claimed) await tx.users.setAdminState(user.id, { passwordHash });
      await tx.passwordResets.invalidateForUser(user.id);
      const sessions = await tx.sessions.listForUser(user.id, 'session');
      await tx.sessions.deleteAllForUser(user.id, 'session');
      await this.audit.record({ actorId: user.id, action: claimed ? 'user.claimed' : 'user.password_reset', targetUserId: user.id, details: { via: 'email' } }, tx);
      return sessions;
    });
    for (const s of revoked) this.publisher.revoke(s.tokenHash);
  }

  /** Waits (a little) for reset e-mails still being sent; called when the app closes. */
  async drain(): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)));
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
  }

  private async sendReset(login: string, allowAccount: (userId: string) => Promise<boolean>): Promise<void> {
    const user = login.includes('@') ? await this.repos.users.findByEmail(login) : await this.repos.users.findByUsername(login);
    // Only people who sign in with a password and have somewhere to receive the link, and the
    // owners of accounts an import made (deactivated, no password) who claim theirs.
    if (!user?.email || user.bot || user.erasedAt) return;
    const claimable = !user.passwordHash && user.deactivatedAt !== null && (await this.repos.imports.isClaimable(user.id));
    if (!claimable && (!user.passwordHash || user.deactivatedAt)) return;
    if (!(await allowAccount(user.id))) {
      this.logger.info({ userId: user.id }, 'password reset e-mail not sent: too many requests for this account');
      return;
    }
    const code = randomBytes(24).toString('base64url');
    // Old codes only matter while they could be used: the table keeps about a day of them.
    await this.repos.passwordResets.deleteExpired();
    await inTransaction(this.db, async (tx) => {
      await tx.passwordResets.invalidateForUser(user.id);
      await tx.passwordResets.create({ tokenHash: hashToken(code), userId: user.id, expiresAt: new Date(Date.now() + RESET_CODE_TTL_MS) });
    });
    const link = resetUrl(this.publicUrl, code);
    // In the account's language (its saved locale; English when none).
    const t = serverText(user.locale).reset;
    await this.mailer.send({
      to: user.email,
      subject: t.subject(user.username),
      text: [t.hello(user.displayName), '', ...t.lines(user.username, this.publicUrl), '', t.openWithin, link, '', ...t.after].join('\n'),
    });
    this.logger.info({ userId: user.id }, 'password reset e-mail sent');
  }

  private async checkPassword(user: UserRow, password: string): Promise<void> {
    if (!user.passwordHash) {
      throw new AppError('password_not_set', 'this account has no password (a bot, or one that signs in through an identity provider)');
    }
    if (!(await verify(user.passwordHash, password))) throw new AppError('wrong_password', 'the current password is wrong');
  }
}

const invalidCode = (): AppError => new AppError('reset_code_invalid', 'this reset link is invalid, expired or already used; ask for a new one');
