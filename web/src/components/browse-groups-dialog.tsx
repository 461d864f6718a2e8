/** Public groups: search them, join one, or open one you are in. */
import { useState } from 'react';
import { navigate } from '../router.js';
import { useChat, useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Avatar } from './avatar.js';
import { Modal } from './modal.js';
import { useDebouncedSearch } from './use-debounced.js';
import { useTranslation } from 'react-i18next';

export function BrowseGroupsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const mine = useChat((s) => s.conversations);
  const [q, setQ] = useState('');
  const [joining, setJoining] = useState<string | null>(null);
  const { result, loading, error } = useDebouncedSearch(q, (query) => store.api.listGroups({ scope: 'public', q: query.trim(), limit: 50 }));

  const join = async (id: string) => {
    setJoining(id);
    try {
      await store.joinGroup(id);
      onClose();
      navigate(id);
    } catch (err) {
      setJoining(null);
      toast(errorText(err, t('groups.action.join')));
    }
  };

  return (
    <Modal title={t('groups.publicGroups')} onClose={onClose} testId="browse-groups-dialog">
      <input type="search" aria-label={t('groups.searchPublic')} placeholder={t('groups.searchPublic')} data-testid="group-search-input" value={q} onChange={(e) => setQ(e.target.value)} autoFocus />
      <ul className="pick-list" data-testid="public-groups" aria-busy={loading}>
        {(result?.groups ?? []).map((g) => {
          const member = mine[g.id] !== undefined;
          return (
            <li key={g.id} className="pick-item static" data-testid="public-group" data-group-id={g.id}>
              <Avatar name={g.name ?? '?'} id={g.id} size="sm" />
              <span className="pick-text">
                <span className="pick-name">{g.name}</span>
                <span className="muted">
                  {t('groups.members', { count: g.memberCount })}
                  {g.description ? ` · ${g.description}` : ''}
                </span>
              </span>
              {member ? (
                <button type="button" className="btn btn-small" data-testid="public-group-open" onClick={() => (onClose(), navigate(g.id))}>
                  {t('common.open')}
                </button>
              ) : (
                <button type="button" className="btn btn-small btn-primary" data-testid="public-group-join" disabled={joining === g.id} onClick={() => void join(g.id)}>
                  {joining === g.id ? t('groups.joining') : t('groups.join')}
                </button>
              )}
            </li>
          );
        })}
        {!loading && result && result.groups.length === 0 && <li className="muted pad">{t('groups.noneFound')}</li>}
        {Boolean(error) && <li className="form-error pad">{t('groups.loadFailed')}</li>}
      </ul>
    </Modal>
  );
}
