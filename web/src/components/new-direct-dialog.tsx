/** Start (or reopen) a direct chat with someone. */
import { navigate } from '../router.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { UserPicker } from './user-picker.js';

export function NewDirectDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  return (
    <Modal title="New direct chat" onClose={onClose} testId="new-direct-dialog">
      <UserPicker
        actionLabel="Message"
        onPick={(u) => {
          store.openDirect(u.id).then(
            (c) => {
              onClose();
              navigate(c.id);
            },
            (err: unknown) => toast(errorText(err, 'open the chat')),
          );
        }}
      />
    </Modal>
  );
}
