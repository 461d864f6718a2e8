/** Your notifications while you are away: desktop push on this browser, the e-mail digest of mentions, and daily quiet hours. */
import { useEffect, useState } from 'react';
import { useStore } from '../store/hooks.js';
import { currentSubscription, disablePush, enablePush, pushSupported } from '../push.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { DndScheduleSection, type DndSchedule } from './dnd-schedule-section.js';
import './status.css';

interface Prefs {
  push: boolean;
  emailDigest: boolean;
  emailDigestDelayMinutes: number;
  dndSchedule?: DndSchedule | null;
}

const DELAYS = [5, 15, 30, 60, 120, 240, 480, 1440];
const delayLabel = (m: number): string => (m < 60 ? `${m} minutes` : m === 60 ? '1 hour' : m === 1440 ? '1 day' : `${m / 60} hours`);

export function NotificationSettingsDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const [prefs, setPrefs] = useState<Prefs | null>(null);
  const [subscribed, setSubscribed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const supported = pushSupported();

  useEffect(() => {
    let live = true;
    store.api.request<Prefs>('GET', '/users/me/notification-prefs').then(
      (p) => live && setPrefs(p),
      (err: unknown) => live && setError(errorText(err, 'load your notification settings')),
    );
    currentSubscription().then(
      (s) => live && setSubscribed(s !== null),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [store]);

  /** Saves a change; false when refused (the error is shown). */
  const patch = async (change: Partial<Prefs>): Promise<boolean> => {
    setError(null);
    // Shown at once (a checkbox that waits for the server looks broken); put back if refused.
    const before = prefs;
    if (before) setPrefs({ ...before, ...change });
    try {
      setPrefs(await store.api.request<Prefs>('PATCH', '/users/me/notification-prefs', { body: change }));
      return true;
    } catch (err) {
      setPrefs(before);
      setError(errorText(err, 'save your notification settings'));
      return false;
    }
  };

  const togglePush = async (on: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (on) {
        await enablePush(store.api);
        if (prefs && !prefs.push) await patch({ push: true });
        toast('Desktop notifications are on for this browser.', 'info');
      } else {
        await disablePush(store.api);
      }
      setSubscribed(on);
    } catch (err) {
      setError(err instanceof Error && !('status' in err) ? err.message : errorText(err, 'change desktop notifications'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Notifications" onClose={onClose} testId="notification-settings-dialog">
      <div className="form">
        <p className="muted">While you have Parley open you see everything live. When you are away, Parley can tell you here:</p>
        <label className="checkbox-row">
          <input
            type="checkbox"
            data-testid="notify-push-toggle"
            checked={subscribed && (prefs?.push ?? true)}
            disabled={!supported || busy || !prefs}
            onChange={(e) => void togglePush(e.target.checked)}
          />
          Desktop notifications on this browser
        </label>
        {!supported && <p className="muted">This browser cannot receive push notifications from this address (it needs HTTPS and the Push API).</p>}
        <label className="checkbox-row">
          <input
            type="checkbox"
            data-testid="notify-email-toggle"
            checked={prefs?.emailDigest ?? false}
            disabled={!prefs}
            onChange={(e) => void patch({ emailDigest: e.target.checked })}
          />
          E-mail me unread mentions
        </label>
        <label>
          Send the e-mail when a mention is unread for
          <select
            data-testid="notify-email-delay"
            value={prefs?.emailDigestDelayMinutes ?? 30}
            disabled={!prefs || !prefs.emailDigest}
            onChange={(e) => void patch({ emailDigestDelayMinutes: Number(e.target.value) })}
          >
            {[...new Set([...DELAYS, prefs?.emailDigestDelayMinutes ?? 30])]
              .sort((a, b) => a - b)
              .map((m) => (
                <option key={m} value={m}>
                  {delayLabel(m)}
                </option>
              ))}
          </select>
        </label>
        <DndScheduleSection value={prefs?.dndSchedule} disabled={!prefs} onSave={(dndSchedule) => patch({ dndSchedule })} />
        <p className="muted">The e-mail goes to your account&apos;s address (see “Password and e-mail”). Per conversation, choose All, Mentions or Nothing, or mute it, from the 🔔 button in its header.</p>
        <FormError error={error} />
        <div className="form-actions">
          <button type="button" className="btn" data-testid="notification-settings-close" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    </Modal>
  );
}
