/**
 * Sign-in with an OpenID Connect provider (OIDC_*): the redirect to the provider, and on its
 * callback the account linked to the provider's subject, created on first sign-in when the
 * site's sign-up mode admits it. Such accounts have no password: they sign in only this way.
 */
import { randomBytes } from 'node:crypto';
import type { OidcConfig } from '../../core/config.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import type { AdminService } from './admin.service.js';
import { isReservedUsername } from '../messaging/mention-all.js';
import { OidcClient, OidcUnavailableError, type OidcPending } from './oidc-client.js';
import { profileFromClaims, usernameCandidate, type OidcProfile } from './oidc-profile.js';
import { seal, unseal } from '../shared/sealed-box.js';
import type { SignupService } from './signup.service.js';

/** Where the browser starts a sign-in (GET), and where the provider sends it back. */
export const OIDC_START_PATH = '/api/v1/auth/oidc/start';
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
/** How long a sign-in may take at the provider. */
export const OIDC_PENDING_TTL_MS = 10 * 60 * 1000;

/**
 * Why a sign-in did not happen; the web client shows a sentence for each (the code travels in
 * the redirect, never a message: a link cannot make the client say anything else).
 */
export const OIDC_FAILURES = [
  'oidc_not_configured',
  'oidc_unavailable',
  'oidc_failed',
  'oidc_denied',
  'oidc_state',
  'signup_closed',
  'email_domain_not_allowed',
  'account_deactivated',
  'rate_limited',
] as const;
export type OidcFailure = (typeof OIDC_FAILURES)[number];

export class OidcError extends Error {
  override readonly name = 'OidcError';
  constructor(
    readonly reason: OidcFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A username taken this many times in a row (a race each time) gives up. */
const MAX_USERNAME_ATTEMPTS = 12;

export class OidcService {
  private readonly client: OidcClient | null;
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly repos: Pick<Repositories, 'identities' | 'imports' | 'uploads' | 'users'>,
    private readonly signup: Pick<SignupService, 'requirement'>,
    private readonly admins: Pick<AdminService, 'onRegistered'>,
    private readonly logger: Logger,
    private readonly config: OidcConfig | null,
    publicUrl: string,
  ) {
    this.client = config ? new OidcClient(config, `${publicUrl}${OIDC_CALLBACK_PATH}`, logger) : null;
  }

  /** For GET /auth/options: the button to show, or null when OIDC is not configured. */
  options(): { name: string; startUrl: string } | null {
    return this.config ? { name: this.config.displayName, startUrl: OIDC_START_PATH } : null;
  }

  /** A new sign-in: the provider's URL to send the browser to, and the sealed state for its cookie. */
  async begin(): Promise<{ url: string; sealed: string }> {
    const client = this.requireClient();
    const { url, pending } = await this.guard(() => client.begin());
    return { url, sealed: seal(await this.sealKey(), pending, OIDC_PENDING_TTL_MS) };
  }

  /**
   * The provider's callback: `query` is its query string as received, `sealed` the state cookie
   * (null when absent). Returns the account to sign in; OidcError tells why not.
   */
  async complete(query: string, sealed: string | null): Promise<UserRow> {
    const client = this.requireClient();
    const params = new URLSearchParams(query);
    const pending = sealed ? unseal<OidcPending>(await this.sealKey(), sealed) : null;
    if (!pending || params.get('state') !== pending.state) {
      throw new OidcError('oidc_state', 'the sign-in expired, was started in another browser, or its state does not match');
    }
    const error = params.get('error');
    if (error) {
      throw new OidcError(error === 'access_denied' ? 'oidc_denied' : 'oidc_failed', `the provider answered ${error.slice(0, 64)}`);
    }
    const { issuer, claims } = await this.guard(() => client.finish(query, pending));
    if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 255) {
      throw new OidcError('oidc_failed', 'the ID token has no usable subject');
    }
    const existing = await this.repos.identities.findUser(issuer, claims.sub);
    const profile = existing ? null : profileFromClaims(claims);
    const user = existing ?? (await this.claimImported(issuer, profile!)) ?? (await this.createAccount(issuer, profile!));
    if (user.deactivatedAt || user.erasedAt) throw new OidcError('account_deactivated', 'this account has been deactivated');
    return user;
  }

  /**
   * A first sign-in whose verified e-mail address is that of an account an import made and nobody
   * claimed (deactivated, without a password): that account is theirs, linked and active now.
   */
  private async claimImported(issuer: string, profile: OidcProfile): Promise<UserRow | null> {
    if (!profile.email) return null;
    const imported = await this.repos.users.findByEmail(profile.email);
    if (!imported || !(await this.repos.imports.isClaimable(imported.id))) return null;
    if (!(await this.repos.identities.link(imported.id, { issuer, subject: profile.subject }))) return this.repos.identities.findUser(issuer, profile.subject);
    if (!(await this.repos.imports.claim(imported.id, null))) return null;
    this.logger.info({ userId: imported.id, issuer }, 'imported account claimed through OpenID Connect');
    return this.repos.users.findById(imported.id);
  }

  /** A first sign-in: the sign-up mode decides (the very first account is always admitted, as a site admin). */
  private async createAccount(issuer: string, profile: OidcProfile): Promise<UserRow> {
    await this.admit(profile);
    // Another account's address is not taken over: the new account simply has none.
    let email = profile.email && !(await this.repos.users.findByEmail(profile.email)) ? profile.email : null;
    for (let attempt = 0; attempt < MAX_USERNAME_ATTEMPTS; attempt++) {
      const username = usernameCandidate(profile.username, attempt, () => randomBytes(3).toString('hex'));
      if (isReservedUsername(username) || (await this.repos.users.findByUsername(username))) continue;
      const created = await this.repos.identities.createUserWithIdentity(
        { id: newId(), username, displayName: profile.displayName, passwordHash: null, email },
        { issuer, subject: profile.subject },
      );
      if (created) {
        this.logger.info({ userId: created.id, issuer }, 'user registered through OpenID Connect');
        return (await this.admins.onRegistered(created)) ?? created;
      }
      // Something was taken meanwhile: the identity (a second tab's callback), or the username or e-mail.
      const linked = await this.repos.identities.findUser(issuer, profile.subject);
      if (linked) return linked;
      if (email && (await this.repos.users.findByEmail(email))) email = null;
    }
    throw new OidcError('oidc_failed', 'no free username could be found for this account');
  }

  /** The sign-up mode's rule, as for a password sign-up; in invite mode OIDC_ALLOW_SIGNUP makes the provider the gate. */
  private async admit(profile: OidcProfile): Promise<void> {
    const needs = await this.signup.requirement(profile.email);
    if (needs === 'allowed_domain') throw new OidcError('email_domain_not_allowed', 'sign-up needs a verified e-mail address in one of the allowed domains');
    if (needs === 'invite' && !this.config?.allowSignup) throw new OidcError('signup_closed', 'sign-up on this server needs an invite');
  }

  private requireClient(): OidcClient {
    if (!this.client) throw new OidcError('oidc_not_configured', 'OpenID Connect sign-in is not configured');
    return this.client;
  }

  /** Provider failures as OidcError: unreachable, or anything else that went wrong in the exchange. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OidcError) throw err;
      if (err instanceof OidcUnavailableError) {
        this.logger.warn({ err }, 'OpenID Connect provider unavailable');
        throw new OidcError('oidc_unavailable', 'the sign-in provider is unavailable', { cause: err });
      }
      this.logger.warn({ err }, 'OpenID Connect sign-in failed');
      throw new OidcError('oidc_failed', 'the sign-in provider’s answer was refused', { cause: err });
    }
  }

  /** The key sealing sign-ins in progress: kept in the database, so any node can finish what another began. */
  private sealKey(): Promise<Buffer> {
    this.key ??= this.repos.uploads
      .setting('oidc_state_secret', () => randomBytes(32).toString('hex'))
      .then((hex) => Buffer.from(hex, 'hex'))
      .catch((err: unknown) => {
        this.key = null;
        throw err;
      });
    return this.key;
  }
}
