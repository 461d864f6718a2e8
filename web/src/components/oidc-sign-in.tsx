/**
 * "Sign in with <provider>" on the sign-in screen (when the server offers OpenID Connect), and
 * why the last attempt failed: the server sends the browser back to `/#/login?error=<code>`.
 * Only known codes are shown as they are; the link cannot make the page say anything else.
 */
import { useEffect, useState } from 'react';
import type { AuthOptions } from '../account-api.js';

const ERRORS: Record<string, string> = {
  oidc_not_configured: 'Single sign-on is not set up on this server.',
  oidc_unavailable: 'The sign-in provider is unavailable right now. Try again in a moment.',
  oidc_failed: 'The sign-in provider’s answer could not be accepted. Try again.',
  oidc_denied: 'Sign-in was cancelled at the provider.',
  oidc_state: 'That sign-in took too long or was started in another window. Try again.',
  signup_closed: 'This server creates accounts by invite only: ask an administrator for one.',
  email_domain_not_allowed: 'New accounts need a verified e-mail address in one of this server’s allowed domains.',
  account_deactivated: 'This account has been deactivated.',
  rate_limited: 'Too many sign-in attempts; wait a moment and try again.',
};

/** The error code of a `#/login?error=CODE` fragment, or null. */
export function oidcErrorFromHash(hash = location.hash): string | null {
  const m = /^#\/login\?(.*)$/.exec(hash);
  if (!m) return null;
  const code = new URLSearchParams(m[1]).get('error');
  return code && /^[a-z_]{1,64}$/.test(code) ? code : null;
}

export function oidcErrorText(code: string): string {
  return ERRORS[code] ?? 'Single sign-on did not work. Try again.';
}

export function OidcSignIn({ options }: { options: AuthOptions | null }) {
  const [error] = useState(oidcErrorFromHash);
  // Shown once: a reload or a bookmark does not bring the message back.
  useEffect(() => {
    if (error) history.replaceState(null, '', location.pathname + location.search);
  }, [error]);
  const oidc = options?.oidc ?? null;
  return (
    <>
      {error && (
        <p className="form-error" role="alert" data-testid="oidc-error" data-code={error}>
          {oidcErrorText(error)}
        </p>
      )}
      {oidc && (
        <div className="auth-sso">
          <span className="auth-sso-or" aria-hidden="true">
            or
          </span>
          {/* A plain navigation: the server answers with a redirect to the provider. */}
          <a className="btn auth-sso-button" href={oidc.startUrl} data-testid="oidc-sign-in">
            Sign in with {oidc.name}
          </a>
        </div>
      )}
    </>
  );
}
