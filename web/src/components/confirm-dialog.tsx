/** "Are you sure?" for actions that cannot be undone. */
import { Modal } from './modal.js';
import { useTranslation } from 'react-i18next';

export interface ConfirmProps {
  title: string;
  text: string;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}

export function ConfirmDialog({ title, text, confirmLabel, onConfirm, onClose }: ConfirmProps) {
  const { t } = useTranslation();
  return (
    <Modal title={title} onClose={onClose} testId="confirm-dialog">
      <p>{text}</p>
      <div className="form-actions">
        <button type="button" className="btn" data-testid="confirm-cancel" onClick={onClose} autoFocus>
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className="btn btn-danger"
          data-testid="confirm-ok"
          onClick={() => {
            onConfirm();
            onClose();
          }}
        >
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
