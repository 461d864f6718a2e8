/**
 * Your data: download everything Parley stores about you (a JSON file), or delete your account
 * (confirmed with your password). Deleting signs you out; your messages stay as "Deleted user"
 * unless you choose to delete them too.
 */
import { useState, type FormEvent } from 'react';
import { useChat, useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { MyStorageSection } from './storage-usage.js';
import { useTranslation } from 'react-i18next';

export function YourDataDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { api } = useStore();
  const me = useChat((s) => s.me);
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState('');
  const [deleteMessages, setDeleteMessages] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const erase = async (e: FormEvent) => {
    e.preventDefault();
    if (!password) return setError(t('settings.data.needPassword'));
    setBusy(true);
    setError(null);
    try {
      await api.request<void>('DELETE', '/users/me', { body: { password, deleteMessages } });
      // The session is gone on the server: start again from the sign-in screen.
      window.location.assign('/');
    } catch (err) {
      setBusy(false);
      const status = (err as { status?: number }).status;
      setError(status === 403 ? t('settings.data.wrongPassword') : errorText(err, t('settings.data.action.delete')));
    }
  };

  return (
    <Modal title={t('settings.data.title')} onClose={onClose} testId="your-data-dialog">
      <MyStorageSection />
      <div className="form">
        <h3>{t('settings.data.download')}</h3>
        <p className="muted">{t('settings.data.downloadIntro')}</p>
        <p>
          <a className="btn" href={`${api.baseUrl}/api/v1/users/me/export`} download data-testid="download-my-data">
            {t('settings.data.downloadButton')}
          </a>
        </p>
      </div>
      <div className="form danger-zone">
        <h3>{t('settings.data.delete')}</h3>
        <p className="muted">
          {t('settings.data.deleteIntro', { username: me.username })}
        </p>
        {!confirming ? (
          <p>
            <button type="button" className="btn btn-danger" data-testid="delete-account" onClick={() => setConfirming(true)}>
              {t('settings.data.deleteButton')}
            </button>
          </p>
        ) : (
          <form className="form" onSubmit={(e) => void erase(e)} data-testid="delete-account-form">
            <label>
              {t('settings.data.password')}
              <input type="password" autoComplete="current-password" data-testid="delete-account-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
            </label>
            <label className="checkbox-row">
              <input type="checkbox" data-testid="delete-account-messages" checked={deleteMessages} onChange={(e) => setDeleteMessages(e.target.checked)} />{' '}
              {t('settings.data.deleteMessages')}
            </label>
            <FormError error={error} />
            <div className="form-actions">
              <button type="button" className="btn" onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </button>
              <button type="submit" className="btn btn-danger" data-testid="delete-account-confirm" disabled={busy}>
                {t('settings.data.deleteForever')}
              </button>
            </div>
          </form>
        )}
      </div>
    </Modal>
  );
}
