/** Create a group: name, description, visibility and first members. */
import { useState, type FormEvent } from 'react';
import type { User } from '../../../src/client/index.js';
import { navigate } from '../router.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { Modal } from './modal.js';
import { UserPicker } from './user-picker.js';

export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<'public' | 'private'>('private');
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError('A group needs a name.');
    setBusy(true);
    try {
      const c = await store.createGroup({ name: name.trim(), description: description.trim() || null, visibility, memberIds: members.map((m) => m.id) });
      onClose();
      navigate(c.id);
    } catch (err) {
      setBusy(false);
      setError(errorText(err, 'create the group'));
    }
  };

  return (
    <Modal title="New group" onClose={onClose} testId="new-group-dialog">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label>
          Name
          <input data-testid="group-name-input" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} required autoFocus />
        </label>
        <label>
          <span>
            Description <span className="muted">(optional)</span>
          </span>
          <textarea data-testid="group-description-input" value={description} maxLength={1000} rows={2} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <fieldset className="radio-row">
          <legend>Who can find it</legend>
          <label>
            <input type="radio" name="visibility" data-testid="group-visibility-private" checked={visibility === 'private'} onChange={() => setVisibility('private')} /> Private: members
            you add
          </label>
          <label>
            <input type="radio" name="visibility" data-testid="group-visibility-public" checked={visibility === 'public'} onChange={() => setVisibility('public')} /> Public: anyone
            can join
          </label>
        </fieldset>
        <div>
          <span className="field-label">Members</span>
          {members.length > 0 && (
            <ul className="chips" data-testid="group-new-members">
              {members.map((m) => (
                <li key={m.id} className="chip">
                  {m.displayName}
                  <button type="button" className="chip-x" aria-label={`Remove ${m.displayName}`} onClick={() => setMembers(members.filter((x) => x.id !== m.id))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <UserPicker label="Add people" actionLabel="Add" autoFocus={false} exclude={new Set(members.map((m) => m.id))} onPick={(u) => setMembers([...members, u])} />
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="group-create-submit" disabled={busy}>
            Create group
          </button>
        </div>
      </form>
    </Modal>
  );
}
