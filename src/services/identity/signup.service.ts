import { AppError } from '../../core/errors.js';
import type { Db } from '../../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../../db/repositories/index.js';
import type { NewUser, UserRow } from '../../db/repositories/users.repository.js';
import type { AuthOptions } from '../../protocol/rest-signup.js';
import { hashToken } from './identity.js';
import { checkEmail, emailDomain } from './email-address.js';
import type { SiteSettingsService } from './site-settings.service.js';

/** What the sign-up policy decided for one sign-up: its checked e-mail and the invite it uses. */
export interface Admission {
  email: string | null;
  /** SHA-256 of the invite code the account is created with; null when none is needed. */
  inviteHash: string | null;
}

/**
 * Who may create an account (the site settings' signupMode): anyone (`open`), holders of a
 * valid invite (`invite`), or owners of an e-mail address in an allowed domain (`domain`, where
 * an invite admits others too). The very first account is always admitted (it becomes site
 * admin). Bots are created by their owners and never pass through here.
 */
export class SignupService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'invites' | 'users'>,
    private readonly settings: Pick<SiteSettingsService, 'get'>,
    private readonly mailerEnabled: boolean,
  ) {}

  /** GET /auth/options: what the sign-in and sign-up forms should offer. */
  async options(): Promise<AuthOptions> {
    const { signupMode } = await this.settings.get();
    return { signupMode, passwordReset: this.mailerEnabled, oidc: null };
  }

  /**
   * What the sign-up mode asks of a new account with this (verified or given) e-mail address:
   * nothing (null: open mode, an allowed domain, or the very first account of the server), an
   * invite, or else an address in an allowed domain. Sign-ups by password and by OpenID Connect
   * both go by it.
   */
  async requirement(email: string | null): Promise<'invite' | 'allowed_domain' | null> {
    const { signupMode, allowedEmailDomains } = await this.settings.get();
    if (signupMode === 'open') return null;
    if (signupMode === 'domain' && email && allowedEmailDomains.includes(emailDomain(email))) return null;
    if (!(await this.repos.users.any())) return null;
    return signupMode === 'invite' ? 'invite' : 'allowed_domain';
  }

  /**
   * Checks a sign-up against the policy before any work is done for it: 400 for a malformed
   * e-mail, 403 `invite_required` / `invite_invalid` / `email_domain_not_allowed`, 409 `email_taken`.
   */
  async admit(input: { email?: string; inviteCode?: string }): Promise<Admission> {
    const email = input.email === undefined || input.email.trim() === '' ? null : checkEmail(input.email);
    const needs = await this.requirement(email);
    if (needs && !input.inviteCode) {
      throw needs === 'invite'
        ? new AppError('invite_required', 'sign-up on this server needs an invite')
        : new AppError('email_domain_not_allowed', 'sign-up on this server needs an e-mail address in one of its allowed domains, or an invite');
    }
    const inviteHash = needs ? hashToken(input.inviteCode!) : null;
    if (inviteHash && !(await this.repos.invites.findUsable(inviteHash))) throw invalidInvite();
    if (email && (await this.repos.users.findByEmail(email))) throw emailTaken();
    return { email, inviteHash };
  }

  /**
   * Creates the account admitted by `admit`: with an invite, taking one of its uses in the same
   * transaction (of two sign-ups racing for its last use exactly one is created). Null when the
   * username is taken; 409 `email_taken` when the e-mail address was taken meanwhile.
   */
  async create(admission: Admission, row: NewUser): Promise<UserRow | null> {
    const values: NewUser = { ...row, email: admission.email };
    const { inviteHash } = admission;
    const created = inviteHash
      ? await inTransaction<UserRow, null>(this.db, async (tx) => {
          if (!(await tx.invites.claim(inviteHash))) throw invalidInvite();
          const user = await tx.users.create(values);
          // A unique violation aborts the transaction: give up at once (the use is given back).
          if (!user) throw new Rollback(null);
          return user;
        })
      : await this.repos.users.create(values);
    if (!created && admission.email && (await this.repos.users.findByEmail(admission.email))) throw emailTaken();
    return created;
  }
}

export const emailTaken = (): AppError => new AppError('email_taken', 'another account has that e-mail address');
const invalidInvite = (): AppError => new AppError('invite_invalid', 'this invite is invalid or has expired');
