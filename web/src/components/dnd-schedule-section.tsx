/**
 * The notification settings' "Do not disturb schedule": quiet hours on chosen days, in the
 * browser's time zone (no pushes; the e-mail digest waits). Saved with PATCH notification-prefs.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatWeekday } from '../format.js';

export interface DndSchedule {
  start: string;
  end: string;
  /** The days a quiet time starts on, 0 = Sunday. */
  days: number[];
  timeZone: string;
}

const DAYS = [0, 1, 2, 3, 4, 5, 6];
const WEEKDAYS = [1, 2, 3, 4, 5];

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function DndScheduleSection({ value, disabled, onSave }: { value: DndSchedule | null | undefined; disabled: boolean; onSave: (schedule: DndSchedule | null) => Promise<boolean> }) {
  const { t } = useTranslation();
  const zone = browserZone();
  const [on, setOn] = useState(Boolean(value));
  const [start, setStart] = useState(value?.start ?? '18:00');
  const [end, setEnd] = useState(value?.end ?? '09:00');
  const [days, setDays] = useState<number[]>(value?.days ?? WEEKDAYS);
  const [saved, setSaved] = useState(false);

  // The server's answer (a load, or another save) is what the form shows.
  useEffect(() => {
    setOn(Boolean(value));
    if (value) {
      setStart(value.start);
      setEnd(value.end);
      setDays(value.days);
    }
  }, [value]);

  const toggleDay = (d: number) => {
    setSaved(false);
    setDays((cur) => (cur.includes(d) ? cur.filter((x) => x !== d) : [...cur, d].sort()));
  };
  const dirty = on !== Boolean(value) || (on && (start !== value?.start || end !== value?.end || days.join() !== value?.days.join() || zone !== value?.timeZone));
  const save = async () => {
    setSaved(await onSave(on ? { start, end, days, timeZone: zone } : null));
  };

  return (
    <fieldset className="dnd-schedule" data-testid="dnd-schedule" disabled={disabled}>
      <legend>{t('settings.schedule.legend')}</legend>
      <label className="checkbox-row">
        <input
          type="checkbox"
          data-testid="dnd-schedule-toggle"
          checked={on}
          onChange={(e) => {
            setSaved(false);
            setOn(e.target.checked);
          }}
        />
        {t('settings.schedule.toggle')}
      </label>
      {on && (
        <>
          <div className="dnd-schedule-times">
            <label>
              {t('settings.schedule.from')}
              <input type="time" data-testid="dnd-schedule-start" value={start} required onChange={(e) => (setSaved(false), setStart(e.target.value))} />
            </label>
            <label>
              {t('settings.schedule.until')}
              <input type="time" data-testid="dnd-schedule-end" value={end} required onChange={(e) => (setSaved(false), setEnd(e.target.value))} />
            </label>
          </div>
          <div className="dnd-schedule-days" role="group" aria-label={t('settings.schedule.days')}>
            {DAYS.map((d) => (
              <label key={d} className="checkbox">
                <input type="checkbox" data-testid={`dnd-schedule-day-${d}`} checked={days.includes(d)} onChange={() => toggleDay(d)} />
                {formatWeekday(d)}
              </label>
            ))}
          </div>
          <p className="muted">
            {value && value.timeZone !== zone ? t('settings.schedule.zoneChanged', { zone, saved: value.timeZone }) : t('settings.schedule.zone', { zone })} {t('settings.schedule.nextMorning')}
          </p>
        </>
      )}
      <div className="form-actions">
        {saved && !dirty && <span className="muted">{t('settings.schedule.saved')}</span>}
        <button type="button" className="btn btn-small" data-testid="dnd-schedule-save" disabled={!dirty || (on && (days.length === 0 || !start || !end))} onClick={() => void save()}>
          {t('settings.schedule.save')}
        </button>
      </div>
    </fieldset>
  );
}
