/** "You were removed from X by Alice": why a group went away, until the reader dismisses it. */
import { useChat, useStore } from '../store/hooks.js';

export function RemovalNotices() {
  const store = useStore();
  const removals = useChat((s) => s.removals);
  const users = useChat((s) => s.users);
  if (removals.length === 0) return null;
  return (
    <div className="removal-notices">
      {removals.map((r) => {
        const by = r.by ? (users[r.by]?.displayName ?? null) : null;
        const what = r.reason === 'banned' ? 'banned from' : 'removed from';
        return (
          <div key={r.conversationId} className="notice" role="alert" data-testid="removal-notice" data-conversation-id={r.conversationId}>
            <span dir="auto">{`You were ${what} ${r.name}${by ? ` by ${by}` : ''}.`}</span>
            <button type="button" className="btn btn-small" data-testid="removal-notice-dismiss" onClick={() => store.dismissRemoval(r.conversationId)}>
              Dismiss
            </button>
          </div>
        );
      })}
    </div>
  );
}
