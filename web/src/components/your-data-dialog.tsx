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

export function YourDataDialog({ onClose }: { onClose: () => void }) {
  const { api } = useStore();
  const me = useChat((s) => s.me);
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState('');
  const [deleteMessages, setDeleteMessages] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const erase = async (e: FormEvent) => {
    e.preventDefault();
    if (!password) return setError('Enter your password to confirm.');
    setBusy(true);
    setError(null);
    try {
      await api.request<void>('DELETE', '/users/me', { body: { password, deleteMessages } });
      // The session is gone on the server: start again from the sign-in screen.
      window.location.assign('/');
    } catch (err) {
      setBusy(false);
      const status = (err as { status?: number }).status;
      setError(status === 403 ? 'That is not your password.' : errorText(err, 'delete your account'));
    }
  };

  return (
    <Modal title="Your data" onClose={onClose} testId="your-data-dialog">
      <MyStorageSection />
      <div className="form">
        <h3>Download your data</h3>
        <p className="muted">Your profile, devices, groups, every message you sent, your reactions and your files' details, as one JSON file.</p>
        <p>
          <a className="btn" href={`${api.baseUrl}/api/v1/users/me/export`} download data-testid="download-my-data">
            Download my data
          </a>
        </p>
      </div>
      <div className="form danger-zone">
        <h3>Delete your account</h3>
        <p className="muted">
          Your sign-ins, files and settings are deleted and you leave every group. Your messages stay, shown as from “Deleted user”, unless you tick the box below. @{me.username} becomes free for
          someone else. This cannot be undone.
        </p>
        {!confirming ? (
          <p>
            <button type="button" className="btn btn-danger" data-testid="delete-account" onClick={() => setConfirming(true)}>
              Delete my account…
            </button>
          </p>
        ) : (
          <form className="form" onSubmit={(e) => void erase(e)} data-testid="delete-account-form">
            <label>
              Your password
              <input type="password" autoComplete="current-password" data-testid="delete-account-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
            </label>
            <label className="checkbox-row">
              <input type="checkbox" data-testid="delete-account-messages" checked={deleteMessages} onChange={(e) => setDeleteMessages(e.target.checked)} /> Also delete every message I sent
            </label>
            <FormError error={error} />
            <div className="form-actions">
              <button type="button" className="btn" onClick={() => setConfirming(false)}>
                Cancel
              </button>
              <button type="submit" className="btn btn-danger" data-testid="delete-account-confirm" disabled={busy}>
                Delete my account for ever
              </button>
            </div>
          </form>
        )}
      </div>
    </Modal>
  );
}
