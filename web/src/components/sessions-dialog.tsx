/** Your signed-in devices: where and when each was last used; sign one out, or every other one. */
import { useCallback, useEffect, useState } from 'react';
import type { LoginSession } from '../../../src/client/index.js';
import { formatFull, formatLastSeen } from '../format.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';

/** "used just now", "used 3 hours ago". */
const lastUsed = (iso: string) => formatLastSeen(iso).replace(/^last seen/, 'used');

export function SessionsDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const [sessions, setSessions] = useState<LoginSession[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setSessions(await store.api.listSessions());
      setError(null);
    } catch (err) {
      setError(errorText(err, 'load your sessions'));
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
    <Modal title="Sessions" onClose={onClose} testId="sessions-dialog" wide>
      <div className="form">
        <p className="muted">The devices signed in to your account. Signing one out ends its session at once.</p>
        {sessions === null && !error && <p className="muted">Loading…</p>}
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
                      this device
                    </span>
                  )}
                  <div className="muted">
                    {s.ip ?? 'unknown address'} · <span title={formatFull(s.lastUsedAt)}>{lastUsed(s.lastUsedAt)}</span> · signed in{' '}
                    {formatFull(s.createdAt)}
                  </div>
                </div>
                {!s.current && (
                  <button
                    type="button"
                    className="btn btn-small btn-danger"
                    data-testid="session-revoke"
                    disabled={busy}
                    onClick={() => void act('sign that device out', () => store.api.revokeSession(s.id), `${s.device} was signed out.`)}
                  >
                    Sign out
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
            onClick={() => void act('sign out your other devices', () => store.api.revokeOtherSessions(), 'Every other device was signed out.')}
          >
            Sign out everywhere else
          </button>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  );
}
