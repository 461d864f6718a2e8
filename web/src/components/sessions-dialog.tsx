/** Your signed-in devices: where and when each was last used; sign one out, or every other one. */
import { useCallback, useEffect, useState } from 'react';
import type { LoginSession } from '../../../src/client/index.js';
import { formatFull, formatLastUsed } from '../format.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';


export function SessionsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const [sessions, setSessions] = useState<LoginSession[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setSessions(await store.api.listSessions());
      setError(null);
    } catch (err) {
      setError(errorText(err, t('settings.sessions.action.load')));
    }
  }, [store]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (what: string, run: () => Promise<void>, done: string) => {
    setBusy(true);
    try {
      await run();
      toast(done, 'info');
      await load();
    } catch (err) {
      setError(errorText(err, what));
    } finally {
      setBusy(false);
    }
  };

  const others = (sessions ?? []).filter((s) => !s.current).length;
  return (
    <Modal title={t('settings.sessions.title')} onClose={onClose} testId="sessions-dialog" wide>
      <div className="form">
        <p className="muted">{t('settings.sessions.intro')}</p>
        {sessions === null && !error && <p className="muted">{t('common.loading')}</p>}
        {sessions && (
          <ul className="session-list" data-testid="session-list">
            {sessions.map((s) => (
              <li key={s.id} className="session-row" data-testid="session-row" data-current={s.current ? 'true' : 'false'}>
                <div className="session-info">
                  <strong data-testid="session-device" title={s.userAgent ?? undefined}>
                    {s.device}
                  </strong>
                  {s.current && (
                    <span className="session-badge" data-testid="session-current">
                      {t('settings.sessions.thisDevice')}
                    </span>
                  )}
                  <div className="muted">
                    {s.ip ?? t('settings.sessions.unknownAddress')} · <span title={formatFull(s.lastUsedAt)}>{formatLastUsed(s.lastUsedAt)}</span> ·{' '}
                    {t('settings.sessions.signedIn', { when: formatFull(s.createdAt) })}
                  </div>
                </div>
                {!s.current && (
                  <button
                    type="button"
                    className="btn btn-small btn-danger"
                    data-testid="session-revoke"
                    disabled={busy}
                    onClick={() => void act(t('settings.sessions.action.signOut'), () => store.api.revokeSession(s.id), t('settings.sessions.signedOut', { device: s.device }))}
                  >
                    {t('settings.sessions.signOut')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <FormError error={error} />
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-danger"
            data-testid="sessions-revoke-others"
            disabled={busy || others === 0}
            onClick={() => void act(t('settings.sessions.action.signOutOthers'), () => store.api.revokeOtherSessions(), t('settings.sessions.othersSignedOut'))}
          >
            {t('settings.sessions.signOutOthers')}
          </button>
          <button type="button" className="btn" onClick={onClose}>
            {t('common.close')}
          </button>
        </div>
      </div>
    </Modal>
  );
}
