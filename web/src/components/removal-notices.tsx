/** "You were removed from X by Alice": why a group went away, until the reader dismisses it. */
import { useChat, useStore } from '../store/hooks.js';
import { useTranslation } from 'react-i18next';

export function RemovalNotices() {
  const { t } = useTranslation();
  const store = useStore();
  const removals = useChat((s) => s.removals);
  const users = useChat((s) => s.users);
  if (removals.length === 0) return null;
  return (
    <div className="removal-notices">
      {removals.map((r) => {
        const by = r.by ? (users[r.by]?.displayName ?? null) : null;
        return (
          <div key={r.conversationId} className="notice" role="alert" data-testid="removal-notice" data-conversation-id={r.conversationId}>
            <span dir="auto">{r.reason === 'banned' ? (by ? t('removal.bannedBy', { name: r.name, by }) : t('removal.banned', { name: r.name })) : by ? t('removal.removedBy', { name: r.name, by }) : t('removal.removed', { name: r.name })}</span>
            <button type="button" className="btn btn-small" data-testid="removal-notice-dismiss" onClick={() => store.dismissRemoval(r.conversationId)}>
              {t('common.dismiss')}
            </button>
          </div>
        );
      })}
    </div>
  );
}
