/** "Pause notifications": no pushes and no e-mail digest until a time you choose (do not disturb). */
import { useState } from 'react';
import { formatFull } from '../format.js';
import { useChat, useStore } from '../store/hooks.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { dndUntil } from './user-status.js';
import { useUserAction } from './use-user-action.js';
import { PAUSE_LABELS, pauseUntil, toLocalInput, type PauseChoice } from './status-times.js';
import './status.css';

export function PauseNotificationsDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const me = useChat((s) => s.me);
  const paused = dndUntil(me);
  const [custom, setCustom] = useState(() => toLocalInput(pauseUntil('tomorrow')));
  const { busy, error, setError, run } = useUserAction(onClose);
  const pause = (until: Date) => void run(() => store.api.setDnd(until.toISOString()), 'pause notifications');

  return (
    <Modal title="Pause notifications" onClose={onClose} testId="pause-dialog">
      <div className="form">
        <p className="muted">While paused you get no desktop notifications and no e-mail; everything still arrives here.</p>
        {paused && <p data-testid="pause-current">Paused until {formatFull(paused)}.</p>}
        <div className="pause-choices">
          {(Object.keys(PAUSE_LABELS) as PauseChoice[]).map((k) => (
            <button key={k} type="button" className="btn" disabled={busy} data-testid={`pause-${k}`} onClick={() => pause(pauseUntil(k))}>
              {PAUSE_LABELS[k]}
            </button>
          ))}
        </div>
        <form
          className="pause-custom"
          onSubmit={(e) => {
            e.preventDefault();
            const until = new Date(custom);
            if (Number.isNaN(until.getTime()) || until.getTime() <= Date.now()) return setError('Choose a time in the future.');
            pause(until);
          }}
        >
          <label>
            Until
            <input type="datetime-local" data-testid="pause-custom-input" value={custom} onChange={(e) => setCustom(e.target.value)} />
          </label>
          <button type="submit" className="btn" disabled={busy} data-testid="pause-custom">
            Pause
          </button>
        </form>
        <FormError error={error} />
        <div className="form-actions">
          {paused && (
            <button type="button" className="btn" disabled={busy} data-testid="pause-resume" onClick={() => void run(() => store.api.clearDnd(), 'resume notifications')}>
              Resume notifications
            </button>
          )}
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  );
}
