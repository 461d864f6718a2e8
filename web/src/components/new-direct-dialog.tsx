/** Start (or reopen) a direct chat with someone. */
import { navigate } from '../router.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { UserPicker } from './user-picker.js';
import { useTranslation } from 'react-i18next';

export function NewDirectDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  return (
    <Modal title={t('groups.newDirect')} onClose={onClose} testId="new-direct-dialog">
      <UserPicker
        actionLabel={t('groups.message')}
        onPick={(u) => {
          store.openDirect(u.id).then(
            (c) => {
              onClose();
              navigate(c.id);
            },
            (err: unknown) => toast(errorText(err, t('groups.action.openChat'))),
          );
        }}
      />
    </Modal>
  );
}
