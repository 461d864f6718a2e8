/** Your display name and picture. */
import { useEffect, useState, type FormEvent } from 'react';
import { useChat, useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Avatar } from './avatar.js';
import { UserStatus } from './user-status.js';
import { Modal } from './modal.js';
import { AccountSecurityDialog } from './account-security-dialog.js';
import { SessionsDialog } from './sessions-dialog.js';
import { NotificationSettingsDialog } from './notification-settings-dialog.js';
import { YourDataDialog } from './your-data-dialog.js';
import { AddBlocksDialog } from './add-blocks-dialog.js';
import { ApiTokensDialog } from './api-tokens-dialog.js';
import { CancelSubmit, FormError } from './form-parts.js';

export function ProfileDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const me = useChat((s) => s.me);
  const [displayName, setDisplayName] = useState(me.displayName);
  // undefined: unchanged; null: remove; a File: the new picture.
  const [avatar, setAvatar] = useState<File | null | undefined>(undefined);
  const [preview, setPreview] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [security, setSecurity] = useState(false);
  const [sessionsOpen, setSessionsOpen] = useState(false);
  const [notificationsOpen, setNotificationsOpen] = useState(false);
  const [yourDataOpen, setYourDataOpen] = useState(false);
  const [addBlocksOpen, setAddBlocksOpen] = useState(false);
  const [tokensOpen, setTokensOpen] = useState(false);

  useEffect(() => {
    if (!avatar) return setPreview(null);
    const url = URL.createObjectURL(avatar);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [avatar]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!displayName.trim()) return setError('Your display name cannot be empty.');
    setBusy(true);
    try {
      await store.updateProfile(displayName.trim(), avatar);
      toast('Profile saved.', 'info');
      onClose();
    } catch (err) {
      setBusy(false);
      setError(errorText(err, 'save your profile'));
    }
  };

  const shown = avatar === null ? { ...me, avatarUrl: null } : preview ? { ...me, avatarUrl: preview } : me;
  return (
    <>
      {security && <AccountSecurityDialog onClose={() => setSecurity(false)} />}
      {sessionsOpen && <SessionsDialog onClose={() => setSessionsOpen(false)} />}
      {notificationsOpen && <NotificationSettingsDialog onClose={() => setNotificationsOpen(false)} />}
      {yourDataOpen && <YourDataDialog onClose={() => setYourDataOpen(false)} />}
      {addBlocksOpen && <AddBlocksDialog onClose={() => setAddBlocksOpen(false)} />}
      {tokensOpen && <ApiTokensDialog onClose={() => setTokensOpen(false)} />}
      <Modal title="Your profile" onClose={onClose} testId="profile-dialog">
        <form className="form" onSubmit={(e) => void submit(e)}>
          <div className="profile-avatar">
            <Avatar user={shown} size="lg" />
            <div className="profile-avatar-actions">
              <label className="btn btn-small file-btn">
                Choose picture…
                <input type="file" accept="image/*" data-testid="profile-avatar-input" onChange={(e) => setAvatar(e.target.files?.[0] ?? undefined)} />
              </label>
              {(me.avatarUrl || avatar) && (
                <button type="button" className="btn btn-small" data-testid="profile-avatar-remove" onClick={() => setAvatar(null)}>
                  Remove picture
                </button>
              )}
            </div>
          </div>
          <p className="muted">
            @{me.username}
            <UserStatus user={me} withText />
          </p>
          <div className="profile-links">
            <button type="button" className="btn btn-small" data-testid="open-account-security" onClick={() => setSecurity(true)}>
              Password and e-mail
            </button>
            <button type="button" className="btn btn-small" data-testid="open-sessions" onClick={() => setSessionsOpen(true)}>
              Sessions
            </button>
            <button type="button" className="btn btn-small" data-testid="open-notification-settings" onClick={() => setNotificationsOpen(true)}>
              Notifications
            </button>
            <button type="button" className="btn btn-small" data-testid="open-your-data" onClick={() => setYourDataOpen(true)}>
              Your data
            </button>
            <button type="button" className="btn btn-small" data-testid="open-add-blocks" onClick={() => setAddBlocksOpen(true)}>
              Group adds
            </button>
            <button type="button" className="btn btn-small" data-testid="open-api-tokens" onClick={() => setTokensOpen(true)}>
              API tokens
            </button>
          </div>
          <label>
            Display name
            <input data-testid="profile-display-name" value={displayName} maxLength={64} onChange={(e) => setDisplayName(e.target.value)} required autoFocus />
          </label>
          <FormError error={error} />
          <CancelSubmit onCancel={onClose} busy={busy} label="Save" testId="profile-save" />
        </form>
      </Modal>
    </>
  );
}
