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
import { useTranslation } from 'react-i18next';
import { currentLocale, LOCALE_NAMES, LOCALES, setLocale, type Locale } from '../i18n/index.js';
import { applyTheme, currentTheme, THEMES } from '../theme.js';
import type { Theme } from '../../../src/client/index.js';

export function ProfileDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
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
    if (!displayName.trim()) return setError(t('profile.nameEmpty'));
    setBusy(true);
    try {
      await store.updateProfile(displayName.trim(), avatar);
      toast(t('profile.saved'), 'info');
      onClose();
    } catch (err) {
      setBusy(false);
      setError(errorText(err, t('profile.saveAction')));
    }
  };

  // The language applies at once and is kept on the account (for this client, e-mails and pushes).
  const changeLanguage = async (locale: Locale) => {
    try {
      await store.api.updateMe({ locale });
      await setLocale(locale);
    } catch (err) {
      setError(errorText(err, t('profile.languageAction')));
    }
  };

  // So does the theme (kept on the account, so it follows it to other devices).
  const [theme, setTheme] = useState<Theme>(currentTheme());
  const changeTheme = async (next: Theme) => {
    const before = theme;
    setTheme(next);
    applyTheme(next);
    try {
      await store.api.updateMe({ theme: next });
    } catch (err) {
      setTheme(before);
      applyTheme(before);
      setError(errorText(err, t('profile.themeAction')));
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
      <Modal title={t('profile.title')} onClose={onClose} testId="profile-dialog">
        <form className="form" onSubmit={(e) => void submit(e)}>
          <div className="profile-avatar">
            <Avatar user={shown} size="lg" />
            <div className="profile-avatar-actions">
              <label className="btn btn-small file-btn">
                {t('profile.choosePicture')}
                <input type="file" accept="image/*" data-testid="profile-avatar-input" onChange={(e) => setAvatar(e.target.files?.[0] ?? undefined)} />
              </label>
              {(me.avatarUrl || avatar) && (
                <button type="button" className="btn btn-small" data-testid="profile-avatar-remove" onClick={() => setAvatar(null)}>
                  {t('profile.removePicture')}
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
              {t('profile.security')}
            </button>
            <button type="button" className="btn btn-small" data-testid="open-sessions" onClick={() => setSessionsOpen(true)}>
              {t('profile.sessions')}
            </button>
            <button type="button" className="btn btn-small" data-testid="open-notification-settings" onClick={() => setNotificationsOpen(true)}>
              {t('profile.notifications')}
            </button>
            <button type="button" className="btn btn-small" data-testid="open-your-data" onClick={() => setYourDataOpen(true)}>
              {t('profile.yourData')}
            </button>
            <button type="button" className="btn btn-small" data-testid="open-add-blocks" onClick={() => setAddBlocksOpen(true)}>
              {t('profile.groupAdds')}
            </button>
            <button type="button" className="btn btn-small" data-testid="open-api-tokens" onClick={() => setTokensOpen(true)}>
              {t('profile.apiTokens')}
            </button>
          </div>
          <label>
            {t('profile.language')}
            <select data-testid="profile-language" value={currentLocale()} onChange={(e) => void changeLanguage(e.target.value as Locale)}>
              {LOCALES.map((l) => (
                <option key={l} value={l} lang={l}>
                  {LOCALE_NAMES[l]}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('profile.theme')}
            <select data-testid="profile-theme" value={theme} onChange={(e) => void changeTheme(e.target.value as Theme)}>
              {THEMES.map((th) => (
                <option key={th} value={th}>
                  {t(`profile.themes.${th}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('profile.displayName')}
            <input data-testid="profile-display-name" value={displayName} maxLength={64} onChange={(e) => setDisplayName(e.target.value)} required autoFocus />
          </label>
          <FormError error={error} />
          <CancelSubmit onCancel={onClose} busy={busy} label={t('common.save')} testId="profile-save" />
        </form>
      </Modal>
    </>
  );
}
