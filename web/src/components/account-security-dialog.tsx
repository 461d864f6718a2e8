/** "Password and e-mail": change your e-mail address and your password (both need the current password). */
import { useEffect, useState, type FormEvent } from 'react';
import { accountErrorText, changeEmail, changePassword, getMe } from '../account-api.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

export function AccountSecurityDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { api } = useStore();
  const [currentEmail, setCurrentEmail] = useState<string | null | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    getMe(api).then(
      (me) => !cancelled && setCurrentEmail(me.email),
      () => !cancelled && setCurrentEmail(null),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  return (
    <Modal title={t('account.title')} onClose={onClose} testId="account-security-dialog">
      <EmailForm current={currentEmail} onChanged={setCurrentEmail} />
      <hr className="section-rule" />
      <PasswordForm />
    </Modal>
  );
}

function EmailForm({ current, onChanged }: { current: string | null | undefined; onChanged: (email: string | null) => void }) {
  const { t } = useTranslation();
  const { api } = useStore();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!email.trim()) return setError(t('account.needEmail'));
    if (!password) return setError(t('account.needPassword'));
    setBusy(true);
    setError(null);
    try {
      const me = await changeEmail(api, email.trim(), password);
      onChanged(me.email);
      setEmail('');
      setPassword('');
      toast(t('account.emailSaved'), 'info');
    } catch (err) {
      setError(accountErrorText(err) ?? errorText(err, t('account.action.email')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="email-form">
      <h3>{t('account.emailTitle')}</h3>
      <p className="muted" data-testid="email-current">
        {current === undefined ? t('common.loading') : current ? t('account.emailNow', { email: current }) : t('account.noEmail')}
      </p>
      <label>
        {t('account.newEmail')}
        <input type="email" data-testid="email-new" autoComplete="email" maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        {t('account.yourPassword')}
        <input type="password" data-testid="email-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <FormError error={error} testId="email-error" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="email-save" disabled={busy}>
          {t('account.saveEmail')}
        </button>
      </div>
    </form>
  );
}

function PasswordForm() {
  const { t } = useTranslation();
  const { api } = useStore();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!current) return setError(t('account.needCurrent'));
    if (next.length < 8) return setError(t('account.tooShort'));
    if (next !== again) return setError(t('account.differ'));
    setBusy(true);
    setError(null);
    try {
      await changePassword(api, current, next);
      setCurrent('');
      setNext('');
      setAgain('');
      toast(t('account.passwordChanged'), 'info');
    } catch (err) {
      setError(accountErrorText(err) ?? errorText(err, t('account.action.password')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="password-form">
      <h3>{t('account.passwordTitle')}</h3>
      <label>
        {t('account.current')}
        <input type="password" data-testid="password-current" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label>
        {t('account.new')}
        <input type="password" data-testid="password-new" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <label>
        {t('account.again')}
        <input type="password" data-testid="password-again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
      <p className="muted">{t('account.changeHint')}</p>
      <FormError error={error} testId="password-error" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="password-save" disabled={busy}>
          {t('account.change')}
        </button>
      </div>
    </form>
  );
}
