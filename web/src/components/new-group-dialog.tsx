/** Create a group: name, description, visibility and first members. */
import { useState, type FormEvent } from 'react';
import type { User } from '../../../src/client/index.js';
import { navigate } from '../router.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { GroupFields, useGroupBasics } from './group-fields.js';
import { Modal } from './modal.js';
import { UserPicker } from './user-picker.js';
import { CancelSubmit, FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const group = useGroupBasics();
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (group.problem) return setError(group.problem);
    setBusy(true);
    try {
      const c = await store.createGroup({ ...group.body, memberIds: members.map((m) => m.id) });
      onClose();
      navigate(c.id);
    } catch (err) {
      setBusy(false);
      setError(errorText(err, t('groups.action.create')));
    }
  };

  return (
    <Modal title={t('groups.newGroup')} onClose={onClose} testId="new-group-dialog">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <GroupFields basics={group.basics} change={group.change} descriptionHint={t('groups.optional')} />
        <div>
          <span className="field-label">{t('common.members')}</span>
          {members.length > 0 && (
            <ul className="chips" data-testid="group-new-members">
              {members.map((m) => (
                <li key={m.id} className="chip">
                  {m.displayName}
                  <button type="button" className="chip-x" aria-label={t('common.remove', { name: m.displayName })} onClick={() => setMembers(members.filter((x) => x.id !== m.id))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <UserPicker label={t('members.addPeople')} actionLabel={t('common.add')} autoFocus={false} exclude={new Set(members.map((m) => m.id))} onPick={(u) => setMembers([...members, u])} />
        </div>
        <FormError error={error} />
        <CancelSubmit onCancel={onClose} busy={busy} label={t('groups.create')} testId="group-create-submit" />
      </form>
    </Modal>
  );
}
