/**
 * "Sign in with <provider>" on the sign-in screen (when the server offers OpenID Connect), and
 * why the last attempt failed: the server sends the browser back to `/#/login?error=<code>`.
 * Only known codes are shown as they are; the link cannot make the page say anything else.
 */
import { useEffect, useState } from 'react';
import type { AuthOptions } from '../account-api.js';
import { t as translate } from '../i18n/index.js';
import { useTranslation } from 'react-i18next';

/** The codes the server's sign-in callback names, each with a sentence in the catalogs (auth.oidc.*). */
const KNOWN = ['oidc_not_configured', 'oidc_unavailable', 'oidc_failed', 'oidc_denied', 'oidc_state', 'signup_closed', 'email_domain_not_allowed', 'account_deactivated', 'rate_limited'] as const;

/** The error code of a `#/login?error=CODE` fragment, or null. */
export function oidcErrorFromHash(hash = location.hash): string | null {
  const m = /^#\/login\?(.*)$/.exec(hash);
  if (!m) return null;
  const code = new URLSearchParams(m[1]).get('error');
  return code && /^[a-z_]{1,64}$/.test(code) ? code : null;
}

export function oidcErrorText(code: string): string {
  const known = KNOWN.find((k) => k === code);
  return translate(`auth.oidc.${known ?? 'other'}`);
}

export function OidcSignIn({ options }: { options: AuthOptions | null }) {
  const { t } = useTranslation();
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
            {t('auth.or')}
          </span>
          {/* A plain navigation: the server answers with a redirect to the provider. */}
          <a className="btn auth-sso-button" href={oidc.startUrl} data-testid="oidc-sign-in">
            {t('auth.ssoWith', { name: oidc.name })}
          </a>
        </div>
      )}
    </>
  );
}
