/**
 * "Delete messages older than … days": a number of days, or empty for "keep" (the site's
 * setting, for a group). Shared by the group settings and the site administration.
 */
import { useState } from 'react';
import { errorText, toast } from '../toasts.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';
import { i18n } from '../i18n/index.js';

export const MAX_RETENTION_DAYS = 36_500;

/** The days typed, checked: null when empty, an error text when not 1..36500. */
export function parseDays(text: string): { days: number | null } | { error: string } {
  const typed = text.trim();
  if (typed === '') return { days: null };
  const n = Number(typed);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RETENTION_DAYS) return { error: i18n.t('retention.badDays', { max: MAX_RETENTION_DAYS }) };
  return { days: n };
}

export function RetentionField({
  initial,
  emptyMeaning,
  testId,
  save,
}: {
  initial: number | null;
  /** What an empty field means, e.g. "the site's setting" or "kept for ever". */
  emptyMeaning: string;
  testId: string;
  save: (days: number | null) => Promise<number | null>;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(initial === null ? '' : String(initial));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    const parsed = parseDays(text);
    if ('error' in parsed) return setError(parsed.error);
    setBusy(true);
    setError(null);
    try {
      const saved = await save(parsed.days);
      setText(saved === null ? '' : String(saved));
      toast(saved === null ? t('retention.kept', { meaning: emptyMeaning }) : t('retention.deleted', { count: saved }), 'info');
    } catch (err) {
      setError(errorText(err, t('retention.action.save')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="form" data-testid={testId}>
      <label>
        <span>
          {t('retention.label')} <span className="muted">{t('retention.hint', { meaning: emptyMeaning })}</span>
        </span>
        <span className="inline-row">
          <input
            type="number"
            min={1}
            max={MAX_RETENTION_DAYS}
            inputMode="numeric"
            data-testid={`${testId}-days`}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void submit();
              }
            }}
          />
          <button type="button" className="btn" data-testid={`${testId}-save`} disabled={busy} onClick={() => void submit()}>
            {t('common.save')}
          </button>
        </span>
      </label>
      <p className="muted">{t('retention.warning')}</p>
      <FormError error={error} />
    </div>
  );
}
