/**
 * The relying-party side of OpenID Connect over `openid-client`: discovery (lazy, retried after a
 * failure), the authorization URL with state, nonce and PKCE (S256), and the code exchange with
 * ID token validation. Every request to the provider is bounded by a timeout. `openid-client` is
 * loaded with the first sign-in: an installation without OIDC never loads it.
 */
import type * as OpenIdClient from 'openid-client';
import type { OidcConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { OidcClaims } from './oidc-profile.js';

/** What the browser carries (sealed) from the start of a sign-in to its callback. */
export interface OidcPending {
  state: string;
  nonce: string;
  verifier: string;
}

/** The provider could not be reached, timed out, or answered with a server error. */
export class OidcUnavailableError extends Error {
  override readonly name = 'OidcUnavailableError';
}

/** Seconds each request to the provider may take. */
export const OIDC_TIMEOUT_SECONDS = 5;

const openIdClient = (): Promise<typeof OpenIdClient> => import('openid-client');

export class OidcClient {
  private configuration: Promise<OpenIdClient.Configuration> | null = null;

  constructor(
    private readonly settings: OidcConfig,
    private readonly redirectUri: string,
    private readonly logger: Logger,
    private readonly timeoutSeconds = OIDC_TIMEOUT_SECONDS,
  ) {}

  /** The authorization endpoint's URL for a new sign-in, and what its callback will need. */
  async begin(): Promise<{ url: string; pending: OidcPending }> {
    const client = await openIdClient();
    const config = await this.discover();
    const pending: OidcPending = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, pending };
  }

  /**
   * Exchanges the callback's code (its query string as received) and validates the ID token
   * (signature, issuer, audience, expiry, nonce); the claims are completed from the UserInfo
   * endpoint when the provider has one (many put e-mail and profile only there).
   */
  async finish(callbackQuery: string, pending: OidcPending): Promise<{ issuer: string; claims: OidcClaims }> {
    const client = await openIdClient();
    const config = await this.discover();
    const current = new URL(this.redirectUri);
    current.search = callbackQuery;
    const tokens = await this.call(() =>
      client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      }),
    );
    const idToken = tokens.claims()!;
    let claims: OidcClaims = { ...idToken };
    if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
      try {
        const info = await this.call(() => client.fetchUserInfo(config, tokens.access_token, idToken.sub));
        claims = { ...idToken, ...info, sub: idToken.sub };
      } catch (err) {
        // The ID token alone is enough to sign in; only profile fields may be missing.
        this.logger.warn({ err }, 'OpenID Connect UserInfo request failed; using the ID token claims alone');
      }
    }
    return { issuer: idToken.iss, claims };
  }

  private discover(): Promise<OpenIdClient.Configuration> {
    this.configuration ??= this.call(() => this.load()).catch((err: unknown) => {
      // Not cached: the next sign-in tries again (the provider may be back).
      this.configuration = null;
      throw err;
    });
    return this.configuration;
  }

  private async load(): Promise<OpenIdClient.Configuration> {
    const client = await openIdClient();
    const { issuer, clientId, clientSecret } = this.settings;
    // Config accepts http issuers on loopback addresses only (tests, development).
    const insecure = new URL(issuer).protocol === 'http:';
    const execute = insecure ? [client.allowInsecureRequests] : [];
    const discovered = await client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretBasic(clientSecret), {
      timeout: this.timeoutSeconds,
      execute,
    });
    // client_secret_basic is the default; a provider that supports only client_secret_post gets that.
    const methods = discovered.serverMetadata().token_endpoint_auth_methods_supported;
    if (!methods || methods.includes('client_secret_basic') || !methods.includes('client_secret_post')) return discovered;
    const config = new client.Configuration(discovered.serverMetadata(), clientId, clientSecret, client.ClientSecretPost(clientSecret));
    for (const fn of execute) fn(config);
    config.timeout = this.timeoutSeconds;
    return config;
  }

  /** Runs a request to the provider, turning "unreachable" failures into OidcUnavailableError. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (unreachable(err, await openIdClient())) throw new OidcUnavailableError(`the OpenID Connect provider is unavailable: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }
}

/** A network error, a timeout, or a 5xx answer: the provider's fault, not the sign-in's. */
function unreachable(err: unknown, client: typeof OpenIdClient): boolean {
  if (err instanceof TypeError) return true;
  if (!(err instanceof client.ClientError)) return false;
  if (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_ABORT') return true;
  const cause = err.cause;
  return err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && cause instanceof Response && cause.status >= 500;
}
