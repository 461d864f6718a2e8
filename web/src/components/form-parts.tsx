/** The parts every form of the web client ends with: its error line, and Cancel beside the submit button. */
import { useTranslation } from 'react-i18next';

/** The form's error, read out by screen readers when it appears; nothing when there is none. */
export function FormError({ error, testId }: { error: string | null; testId?: string }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-testid={testId}>
      {error}
    </p>
  );
}

/** Cancel, then the submit button (disabled while the form is busy). */
export function CancelSubmit({ onCancel, busy, label, testId }: { onCancel: () => void; busy: boolean; label: string; testId: string }) {
  const { t } = useTranslation();
  return (
    <div className="form-actions">
      <button type="button" className="btn" onClick={onCancel}>
        {t('common.cancel')}
      </button>
      <button type="submit" className="btn btn-primary" data-testid={testId} disabled={busy}>
        {label}
      </button>
    </div>
  );
}
