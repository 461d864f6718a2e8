/** "Password and e-mail": change your e-mail address and your password (both need the current password). */
import { useEffect, useState, type FormEvent } from 'react';
import { accountErrorText, changeEmail, changePassword, getMe } from '../account-api.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';

export function AccountSecurityDialog({ onClose }: { onClose: () => void }) {
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
    <Modal title="Password and e-mail" onClose={onClose} testId="account-security-dialog">
      <EmailForm current={currentEmail} onChanged={setCurrentEmail} />
      <hr className="section-rule" />
      <PasswordForm />
    </Modal>
  );
}

function EmailForm({ current, onChanged }: { current: string | null | undefined; onChanged: (email: string | null) => void }) {
  const { api } = useStore();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!email.trim()) return setError('Enter the new e-mail address.');
    if (!password) return setError('Enter your password to confirm.');
    setBusy(true);
    setError(null);
    try {
      const me = await changeEmail(api, email.trim(), password);
      onChanged(me.email);
      setEmail('');
      setPassword('');
      toast('E-mail address saved.', 'info');
    } catch (err) {
      setError(accountErrorText(err) ?? errorText(err, 'change your e-mail address'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="email-form">
      <h3>E-mail address</h3>
      <p className="muted" data-testid="email-current">
        {current === undefined ? 'Loading…' : current ? `Now: ${current}` : 'No e-mail address yet: add one to be able to reset a forgotten password.'}
      </p>
      <label>
        New e-mail address
        <input type="email" data-testid="email-new" autoComplete="email" maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Your password
        <input type="password" data-testid="email-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <FormError error={error} testId="email-error" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="email-save" disabled={busy}>
          Save e-mail
        </button>
      </div>
    </form>
  );
}

function PasswordForm() {
  const { api } = useStore();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!current) return setError('Enter your current password.');
    if (next.length < 8) return setError('A password has at least 8 characters.');
    if (next !== again) return setError('The two new passwords differ.');
    setBusy(true);
    setError(null);
    try {
      await changePassword(api, current, next);
      setCurrent('');
      setNext('');
      setAgain('');
      toast('Password changed; your other devices were signed out.', 'info');
    } catch (err) {
      setError(accountErrorText(err) ?? errorText(err, 'change your password'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="password-form">
      <h3>Password</h3>
      <label>
        Current password
        <input type="password" data-testid="password-current" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label>
        New password
        <input type="password" data-testid="password-new" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <label>
        New password again
        <input type="password" data-testid="password-again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
      <p className="muted">Changing your password signs out your other devices (not this one, not API tokens).</p>
      <FormError error={error} testId="password-error" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="password-save" disabled={busy}>
          Change password
        </button>
      </div>
    </form>
  );
}
