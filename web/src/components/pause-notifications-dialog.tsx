/** "Pause notifications": no pushes and no e-mail digest until a time you choose (do not disturb). */
import { useState } from 'react';
import { formatFull } from '../format.js';
import { useChat, useStore } from '../store/hooks.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { dndUntil } from './user-status.js';
import { useUserAction } from './use-user-action.js';
import { PAUSE_CHOICES, pauseUntil, toLocalInput } from './status-times.js';
import './status.css';
import { useTranslation } from 'react-i18next';

export function PauseNotificationsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const me = useChat((s) => s.me);
  const paused = dndUntil(me);
  const [custom, setCustom] = useState(() => toLocalInput(pauseUntil('tomorrow')));
  const { busy, error, setError, run } = useUserAction(onClose);
  const pause = (until: Date) => void run(() => store.api.setDnd(until.toISOString()), t('status.action.pause'));

  return (
    <Modal title={t('status.pauseTitle')} onClose={onClose} testId="pause-dialog">
      <div className="form">
        <p className="muted">{t('status.pauseHint')}</p>
        {paused && <p data-testid="pause-current">{t('status.pausedUntilFull', { when: formatFull(paused) })}</p>}
        <div className="pause-choices">
          {PAUSE_CHOICES.map((k) => (
            <button key={k} type="button" className="btn" disabled={busy} data-testid={`pause-${k}`} onClick={() => pause(pauseUntil(k))}>
              {t(`status.pause.${k}`)}
            </button>
          ))}
        </div>
        <form
          className="pause-custom"
          onSubmit={(e) => {
            e.preventDefault();
            const until = new Date(custom);
            if (Number.isNaN(until.getTime()) || until.getTime() <= Date.now()) return setError(t('status.future'));
            pause(until);
          }}
        >
          <label>
            {t('status.until')}
            <input type="datetime-local" data-testid="pause-custom-input" value={custom} onChange={(e) => setCustom(e.target.value)} />
          </label>
          <button type="submit" className="btn" disabled={busy} data-testid="pause-custom">
            {t('status.pauseButton')}
          </button>
        </form>
        <FormError error={error} />
        <div className="form-actions">
          {paused && (
            <button type="button" className="btn" disabled={busy} data-testid="pause-resume" onClick={() => void run(() => store.api.clearDnd(), t('status.action.resume'))}>
              {t('status.resumeNotifications')}
            </button>
          )}
          <button type="button" className="btn" onClick={onClose}>
            {t('common.close')}
          </button>
        </div>
      </div>
    </Modal>
  );
}
