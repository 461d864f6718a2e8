/** The sign-up form's e-mail and invite fields, as the server's sign-up mode asks for them. */
import { useEffect, useId, useState } from 'react';
import type { ParleyApi } from '../../../src/client/index.js';
import { authOptions, checkInvite, type AuthOptions } from '../account-api.js';
import { useTranslation } from 'react-i18next';

/** GET /auth/options, once (null until it answers, or if it fails: the forms then offer everything). */
export function useAuthOptions(api: ParleyApi): AuthOptions | null {
  const [options, setOptions] = useState<AuthOptions | null>(null);
  useEffect(() => {
    let cancelled = false;
    authOptions(api).then(
      (o) => !cancelled && setOptions(o),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [api]);
  return options;
}

export function SignupFields(props: {
  api: ParleyApi;
  options: AuthOptions | null;
  email: string;
  setEmail: (v: string) => void;
  inviteCode: string;
  setInviteCode: (v: string) => void;
  /** The code came from an invite link: checked and shown as such. */
  fromLink: boolean;
}) {
  const { t } = useTranslation();
  const { api, options, email, setEmail, inviteCode, setInviteCode, fromLink } = props;
  const ids = useId();
  const mode = options?.signupMode ?? 'open';
  const [linkState, setLinkState] = useState<'checking' | 'valid' | 'invalid' | null>(null);

  useEffect(() => {
    if (!fromLink || !inviteCode) return setLinkState(null);
    let cancelled = false;
    setLinkState('checking');
    checkInvite(api, inviteCode).then(
      () => !cancelled && setLinkState('valid'),
      () => !cancelled && setLinkState('invalid'),
    );
    return () => {
      cancelled = true;
    };
  }, [api, inviteCode, fromLink]);

  return (
    <>
      {mode === 'invite' && !fromLink && (
        <p className="muted" data-testid="signup-invite-only">
          {t('auth.inviteOnly')}
        </p>
      )}
      {mode === 'domain' && (
        <p className="muted" data-testid="signup-domain-only">
          {t('auth.domainOnly')}
        </p>
      )}
      {linkState === 'valid' && (
        <p className="muted" role="status" data-testid="signup-invite-valid">
          {t('auth.invited')}
        </p>
      )}
      {linkState === 'invalid' && (
        <p className="form-error" role="alert" data-testid="signup-invite-invalid">
          {t('auth.inviteInvalid')}
        </p>
      )}
      <label htmlFor={`${ids}-e`}>
        {t('auth.email')} {mode !== 'domain' && <span className="muted">{t('auth.emailHint')}</span>}
      </label>
      <input
        id={`${ids}-e`}
        data-testid="auth-email"
        type="email"
        autoComplete="email"
        autoCapitalize="none"
        spellCheck={false}
        maxLength={254}
        required={mode === 'domain'}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      {(mode !== 'open' || inviteCode) && !fromLink && (
        <>
          <label htmlFor={`${ids}-i`}>
            {t('auth.inviteCode')} {mode === 'domain' && <span className="muted">{t('auth.inviteHint')}</span>}
          </label>
          <input
            id={`${ids}-i`}
            data-testid="auth-invite-code"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={128}
            value={inviteCode}
            onChange={(e) => setInviteCode(e.target.value.trim())}
          />
        </>
      )}
    </>
  );
}
