/**
 * "Notifications paused until …" with Resume, while you paused them (or your schedule did); it
 * goes when the time passes, or when another device resumes them (user.updated).
 */
import { useEffect, useState } from 'react';
import { dayKey, formatFull, formatTime } from '../format.js';
import { useChat, useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { dndUntil } from './user-status.js';
import './status.css';
import { useTranslation } from 'react-i18next';
import { t } from '../i18n/index.js';

/** The end, as short as it can be said: a time today, "tomorrow 9:00 AM", else the full date. */
export function pauseEnd(iso: string, now = new Date()): string {
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  if (dayKey(iso) === dayKey(now.toISOString())) return formatTime(iso);
  if (dayKey(iso) === dayKey(tomorrow.toISOString())) return t('status.tomorrowAt', { time: formatTime(iso) });
  return formatFull(iso);
}

export function DndBanner() {
  const { t } = useTranslation();
  const store = useStore();
  const me = useChat((s) => s.me);
  const [now, setNow] = useState(Date.now());
  const until = dndUntil(me, now);
  // Re-render at the end of the pause, so the banner goes by itself.
  useEffect(() => {
    if (!until) return;
    const t = setTimeout(() => setNow(Date.now()), Math.min(Date.parse(until) - Date.now() + 500, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [until]);
  if (!until) return null;
  const resume = async () => {
    try {
      store.setUser(await store.api.clearDnd());
    } catch (err) {
      toast(errorText(err, t('status.action.resume')));
    }
  };
  return (
    <div className="dnd-banner" role="status" data-testid="dnd-banner">
      <span>
        <span aria-hidden="true">☾</span> {t('status.bannerPaused')}{' '}
        <time dateTime={until} title={formatFull(until)}>
          {pauseEnd(until)}
        </time>
      </span>
      <button type="button" className="btn btn-small" data-testid="dnd-resume" onClick={() => void resume()}>
        {t('status.resume')}
      </button>
    </div>
  );
}
