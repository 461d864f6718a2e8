/** Search users by username or display name and pick one. */
import { useState } from 'react';
import type { User } from '../../../src/client/index.js';
import { useChat, useStore } from '../store/hooks.js';
import { Avatar } from './avatar.js';
import { useDebouncedSearch } from './use-debounced.js';
import { useTranslation } from 'react-i18next';

export interface UserPickerProps {
  onPick: (user: User) => void;
  /** Users not to offer (already members, yourself). */
  exclude?: Set<string>;
  label?: string;
  actionLabel?: string;
  autoFocus?: boolean;
}

export function UserPicker({ onPick, exclude, label: givenLabel, actionLabel: givenAction, autoFocus = true }: UserPickerProps) {
  const { t } = useTranslation();
  const label = givenLabel ?? t('picker.findPeople');
  const actionLabel = givenAction ?? t('picker.choose');
  const store = useStore();
  const meId = useChat((s) => s.me.id);
  const [q, setQ] = useState('');
  const { result, loading, error } = useDebouncedSearch(q, (query) => store.api.searchUsers({ q: query.trim(), limit: 20 }));
  const users = (result?.users ?? []).filter((u) => u.id !== meId && !exclude?.has(u.id));
  return (
    <div className="user-picker">
      <input type="search" aria-label={label} placeholder={t('picker.placeholder', { label })} data-testid="user-search-input" value={q} onChange={(e) => setQ(e.target.value)} autoFocus={autoFocus} />
      <ul className="pick-list" data-testid="user-search-results" aria-busy={loading}>
        {users.map((u) => (
          <li key={u.id}>
            <button type="button" className="pick-item" data-testid="user-search-result" data-user-id={u.id} data-username={u.username} onClick={() => {
                // Picked: the search starts afresh (a picked user leaves the list anyway).
                setQ('');
                onPick(u);
              }}>
              <Avatar user={u} size="sm" presence />
              <span className="pick-text">
                <span className="pick-name">{u.displayName}</span>
                <span className="muted">@{u.username}</span>
              </span>
              <span className="pick-action">{actionLabel}</span>
            </button>
          </li>
        ))}
        {!loading && result && users.length === 0 && <li className="muted pad">{t('picker.noOne')}</li>}
        {Boolean(error) && <li className="form-error pad">{t('common.searchFailed')}</li>}
      </ul>
    </div>
  );
}
