/** Sign in and create an account. */
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { ApiError, type User } from '../../../src/client/index.js';
import { createApi } from '../session.js';
import { accountErrorText } from '../account-api.js';
import { clearAuthLink, useAuthLink } from '../auth-links.js';
import { ForgotPasswordForm, ResetPasswordForm } from './password-reset-forms.js';
import { OidcSignIn } from './oidc-sign-in.js';
import { SignupFields, useAuthOptions } from './signup-fields.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

export function AuthScreen({ onSignedIn }: { onSignedIn: (token: string, user: User) => void }) {
  const { t } = useTranslation();
  const link = useAuthLink();
  const [mode, setMode] = useState<'login' | 'register' | 'forgot'>(link?.kind === 'invite' ? 'register' : 'login');
  const [email, setEmail] = useState('');
  const [inviteCode, setInviteCode] = useState(link?.kind === 'invite' ? link.code : '');
  const [notice, setNotice] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const api = useMemo(() => createApi(null, () => undefined), []);
  const options = useAuthOptions(api);
  // An invite link opened while this screen shows: switch to sign-up with its code.
  useEffect(() => {
    if (link?.kind !== 'invite') return;
    setMode('register');
    setInviteCode(link.code);
  }, [link?.kind, link?.code]);
  const ids = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (mode === 'register') {
      if (!USERNAME.test(username)) return setError(t('auth.badUsername'));
      if (password.length < 8) return setError(t('auth.tooShort'));
    }
    setBusy(true);
    try {
      const result =
        mode === 'login'
          ? await api.login({ username: username.trim(), password })
          : await api.register({
              username,
              password,
              ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
              ...(email.trim() ? { email: email.trim() } : {}),
              ...(inviteCode ? { inviteCode } : {}),
            });
      if (link?.kind === 'invite') clearAuthLink();
      onSignedIn(result.token, result.user);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError) {
        if (err.code === 'invalid_credentials') return setError(t('auth.wrongCredentials'));
        if (err.code === 'username_taken') return setError(t('auth.usernameTaken'));
        const known = accountErrorText(err);
        if (known) return setError(known);
        if (err.code === 'rate_limited') return setError(t('auth.rateLimited'));
        if (err.isNetworkError) return setError(t('auth.unreachable'));
        return setError(err.message);
      }
      setError(t('auth.generic'));
    }
  };

  const switchMode = () => {
    setMode(mode === 'login' ? 'register' : 'login');
    setError(null);
    setNotice(null);
  };

  if (link?.kind === 'reset') {
    return (
      <ResetPasswordForm
        api={api}
        code={link.code}
        onDone={(message) => {
          clearAuthLink();
          setMode('login');
          setNotice(message);
        }}
      />
    );
  }
  if (mode === 'forgot') return <ForgotPasswordForm api={api} onBack={() => setMode('login')} />;

  return (
    <main className="auth" data-testid="auth-screen">
      <form className="auth-card" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids}-title`} noValidate>
        <div className="auth-logo" aria-hidden="true">
          P
        </div>
        <h1 id={`${ids}-title`}>{mode === 'login' ? t('auth.signInTitle') : t('auth.registerTitle')}</h1>
        {notice && (
          <p className="muted" role="status" data-testid="auth-notice">
            {notice}
          </p>
        )}
        <label htmlFor={`${ids}-u`}>{t('auth.username')}</label>
        <input
          id={`${ids}-u`}
          data-testid="auth-username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          autoFocus
        />
        {mode === 'register' && (
          <>
            <SignupFields api={api} options={options} email={email} setEmail={setEmail} inviteCode={inviteCode} setInviteCode={setInviteCode} fromLink={link?.kind === 'invite'} />
            <label htmlFor={`${ids}-d`}>
              {t('auth.displayName')} <span className="muted">{t('auth.optional')}</span>
            </label>
            <input id={`${ids}-d`} data-testid="auth-display-name" autoComplete="name" maxLength={64} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </>
        )}
        <label htmlFor={`${ids}-p`}>{t('auth.password')}</label>
        <input
          id={`${ids}-p`}
          data-testid="auth-password"
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {mode === 'login' && options?.passwordReset && (
          <button type="button" className="btn-link auth-forgot" data-testid="auth-forgot" onClick={() => setMode('forgot')}>
            {t('auth.forgot')}
          </button>
        )}
        <FormError error={error} testId="auth-error" />
        <button type="submit" className="btn btn-primary" data-testid="auth-submit" disabled={busy}>
          {busy ? t('auth.wait') : mode === 'login' ? t('auth.signIn') : t('auth.createAccount')}
        </button>
        <OidcSignIn options={options} />
        <p className="auth-switch">
          {mode === 'login' ? t('auth.newHere') : t('auth.haveAccount')}{' '}
          <button type="button" className="btn-link" data-testid="auth-mode-toggle" onClick={switchMode}>
            {mode === 'login' ? t('auth.toRegister') : t('auth.signIn')}
          </button>
        </p>
      </form>
    </main>
  );
}
