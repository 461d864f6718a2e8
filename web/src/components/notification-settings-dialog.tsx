/** Your notifications while you are away: desktop push on this browser, the e-mail digest of mentions, and daily quiet hours. */
import { useEffect, useState } from 'react';
import { useStore } from '../store/hooks.js';
import { currentSubscription, disablePush, enablePush, pushSupported } from '../push.js';
import { desktopNotificationsOn, desktopNotificationsSupported, disableDesktopNotifications, enableDesktopNotifications } from '../desktop-notify.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { DndScheduleSection, type DndSchedule } from './dnd-schedule-section.js';
import './status.css';
import { useTranslation } from 'react-i18next';
import { formatDuration } from '../format.js';

interface Prefs {
  push: boolean;
  emailDigest: boolean;
  emailDigestDelayMinutes: number;
  dndSchedule?: DndSchedule | null;
}

const DELAYS = [5, 15, 30, 60, 120, 240, 480, 1440];

export function NotificationSettingsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const [prefs, setPrefs] = useState<Prefs | null>(null);
  const [subscribed, setSubscribed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const supported = pushSupported();
  const [tabOn, setTabOn] = useState(desktopNotificationsOn);

  useEffect(() => {
    let live = true;
    store.api.request<Prefs>('GET', '/users/me/notification-prefs').then(
      (p) => live && setPrefs(p),
      (err: unknown) => live && setError(errorText(err, t('settings.notifications.action.load'))),
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
      setError(errorText(err, t('settings.notifications.action.save')));
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
        toast(t('settings.notifications.pushOn'), 'info');
      } else {
        await disablePush(store.api);
      }
      setSubscribed(on);
    } catch (err) {
      setError(err instanceof Error && !('status' in err) ? err.message : errorText(err, t('settings.notifications.action.push')));
    } finally {
      setBusy(false);
    }
  };

  // Asked from this click, never on load: browsers refuse (or remember a refusal of) a prompt nobody asked for.
  const toggleTab = async (on: boolean) => {
    setError(null);
    if (!on) {
      disableDesktopNotifications();
      setTabOn(false);
      return;
    }
    try {
      await enableDesktopNotifications();
      setTabOn(true);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <Modal title={t('settings.notifications.title')} onClose={onClose} testId="notification-settings-dialog">
      <div className="form">
        <p className="muted">{t('settings.notifications.intro')}</p>
        <label className="checkbox-row">
          <input
            type="checkbox"
            data-testid="notify-push-toggle"
            checked={subscribed && (prefs?.push ?? true)}
            disabled={!supported || busy || !prefs}
            onChange={(e) => void togglePush(e.target.checked)}
          />
          {t('settings.notifications.push')}
        </label>
        {!supported && <p className="muted">{t('settings.notifications.pushUnsupported')}</p>}
        <label className="checkbox-row">
          <input type="checkbox" data-testid="notify-tab-toggle" checked={tabOn} disabled={!desktopNotificationsSupported()} onChange={(e) => void toggleTab(e.target.checked)} />
          {t('settings.notifications.tab')}
        </label>
        <label className="checkbox-row">
          <input
            type="checkbox"
            data-testid="notify-email-toggle"
            checked={prefs?.emailDigest ?? false}
            disabled={!prefs}
            onChange={(e) => void patch({ emailDigest: e.target.checked })}
          />
          {t('settings.notifications.email')}
        </label>
        <label>
          {t('settings.notifications.delay')}
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
                  {formatDuration(m)}
                </option>
              ))}
          </select>
        </label>
        <DndScheduleSection value={prefs?.dndSchedule} disabled={!prefs} onSave={(dndSchedule) => patch({ dndSchedule })} />
        <p className="muted">{t('settings.notifications.footer')}</p>
        <FormError error={error} />
        <div className="form-actions">
          <button type="button" className="btn" data-testid="notification-settings-close" onClick={onClose}>
            {t('common.done')}
          </button>
        </div>
      </div>
    </Modal>
  );
}
