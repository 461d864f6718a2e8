/** The toast area: errors of actions and short confirmations. */
import { dismissToast, useToasts } from '../toasts.js';
import { useTranslation } from 'react-i18next';

export function Toasts() {
  const { t } = useTranslation();
  const toasts = useToasts();
  return (
    <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
      {toasts.map((item) => (
        <div key={item.id} className={`toast toast-${item.kind}`} data-testid="toast">
          <span>{item.text}</span>
          <button type="button" className="icon-btn" aria-label={t('common.dismiss')} onClick={() => dismissToast(item.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
