/** "Forgot password?": ask for a reset link by e-mail, then choose a new password from the link. */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { ParleyApi } from '../../../src/client/index.js';
import { accountErrorText, confirmPasswordReset, requestPasswordReset } from '../account-api.js';
import { errorText } from '../toasts.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

function Card({ title, children, onSubmit, testId }: { title: string; children: ReactNode; onSubmit: (e: FormEvent) => void; testId: string }) {
  const ids = useId();
  return (
    <main className="auth" data-testid={testId}>
      <form className="auth-card" onSubmit={onSubmit} aria-labelledby={`${ids}-title`} noValidate>
        <div className="auth-logo" aria-hidden="true">
          P
        </div>
        <h1 id={`${ids}-title`}>{title}</h1>
        {children}
      </form>
    </main>
  );
}

/** Asks for a reset link for a username or e-mail address; the answer never says whether the account exists. */
export function ForgotPasswordForm({ api, onBack }: { api: ParleyApi; onBack: () => void }) {
  const { t } = useTranslation();
  const [login, setLogin] = useState('');
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!login.trim()) return setError(t('auth.needLogin'));
    setBusy(true);
    setError(null);
    try {
      await requestPasswordReset(api, login.trim());
      setSent(true);
    } catch (err) {
      setError(accountErrorText(err) ?? errorText(err, t('auth.action.askReset')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('auth.forgotTitle')} onSubmit={(e) => void submit(e)} testId="forgot-password">
      {sent ? (
        <p role="status" data-testid="forgot-sent">
          {t('auth.sent')}
        </p>
      ) : (
        <>
          <p className="muted">{t('auth.forgotIntro')}</p>
          <label htmlFor={`${ids}-l`}>{t('auth.login')}</label>
          <input id={`${ids}-l`} data-testid="forgot-login" autoComplete="username" autoCapitalize="none" spellCheck={false} value={login} onChange={(e) => setLogin(e.target.value)} autoFocus />
          <FormError error={error} testId="forgot-error" />
          <button type="submit" className="btn btn-primary" data-testid="forgot-submit" disabled={busy}>
            {busy ? t('auth.wait') : t('auth.sendLink')}
          </button>
        </>
      )}
      <p className="auth-switch">
        <button type="button" className="btn-link" data-testid="forgot-back" onClick={onBack}>
          {t('auth.back')}
        </button>
      </p>
    </Card>
  );
}

/** The page a reset link opens: choose a new password; then back to sign in. */
export function ResetPasswordForm({
  api,
  code,
  onDone,
  backLabel,
}: {
  api: ParleyApi;
  code: string;
  onDone: (message: string | null) => void;
  backLabel?: string;
}) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password.length < 8) return setError(t('auth.tooShort'));
    if (password !== again) return setError(t('auth.differ'));
    setBusy(true);
    setError(null);
    try {
      await confirmPasswordReset(api, code, password);
      onDone(t('auth.changed'));
    } catch (err) {
      setBusy(false);
      setError(accountErrorText(err) ?? errorText(err, t('auth.action.changePassword')));
    }
  };

  return (
    <Card title={t('auth.resetTitle')} onSubmit={(e) => void submit(e)} testId="reset-password">
      <label htmlFor={`${ids}-p`}>{t('auth.newPassword')}</label>
      <input id={`${ids}-p`} data-testid="reset-password-new" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
      <label htmlFor={`${ids}-a`}>{t('auth.again')}</label>
      <input id={`${ids}-a`} data-testid="reset-password-again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
      <p className="muted">{t('auth.resetHint')}</p>
      <FormError error={error} testId="reset-error" />
      <button type="submit" className="btn btn-primary" data-testid="reset-submit" disabled={busy}>
        {busy ? t('auth.wait') : t('auth.setPassword')}
      </button>
      <p className="auth-switch">
        <button type="button" className="btn-link" data-testid="reset-back" onClick={() => onDone(null)}>
          {backLabel ?? t('auth.back')}
        </button>
      </p>
    </Card>
  );
}
