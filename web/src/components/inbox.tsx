/** The inbox: conversations by latest activity, with unread and mention badges and a preview. */
import { memo, useMemo, useState } from 'react';
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import { markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../../src/protocol/markdown.js';
import type { Conversation, User } from '../../../src/client/index.js';
import { formatInboxTime } from '../format.js';
import { navigate } from '../router.js';
import { useChat } from '../store/hooks.js';
import { UserStatus } from './user-status.js';
import { Avatar } from './avatar.js';
import { useTranslation } from 'react-i18next';
import { t } from '../i18n/index.js';

/** What a conversation is called: the group's name, or the peer's display name. */
export function conversationTitle(c: Pick<Conversation, 'kind' | 'name' | 'peer'>, users?: Record<string, User>): string {
  if (c.kind === 'group') return c.name ?? t('common.unnamedGroup');
  const peer = c.peer ? (users?.[c.peer.id] ?? c.peer) : null;
  return peer?.displayName ?? t('common.directChat');
}

/** The inbox's order: latest activity first (also what Alt+↑/↓ step through). */
export function inboxOrder(conversations: Record<string, Conversation>, activity: Record<string, string>): Conversation[] {
  return Object.values(conversations).sort((a, b) => (activity[b.id] ?? b.createdAt).localeCompare(activity[a.id] ?? a.createdAt));
}

function preview(c: Conversation, meId: string, users: Record<string, User>): string {
  const m = c.lastMessage;
  if (!m) return c.kind === 'group' ? (c.description ?? t('inbox.noMessages')) : t('inbox.sayHello');
  if (m.deletedAt) return t('inbox.deleted');
  const text = neutralizeBidi(markdownToPlainText(m.body, { maxSource: PREVIEW_SOURCE_MAX })) || (m.attachments.length ? `📎 ${m.attachments[0]!.filename}` : '');
  if (m.senderId === meId) return t('inbox.you', { text });
  if (c.kind === 'direct') return text;
  const who = users[m.senderId]?.displayName;
  return who ? t('inbox.from', { name: who, text }) : text;
}

const InboxItem = memo(function InboxItem({
  c,
  active,
  meId,
  users,
  activity,
  draft,
}: {
  c: Conversation;
  active: boolean;
  meId: string;
  users: Record<string, User>;
  activity: string;
  /** The unsent text of a conversation not open now: shown instead of the last message. */
  draft: string | undefined;
}) {
  const { t } = useTranslation();
  const title = conversationTitle(c, users);
  const peer = c.peer ? (users[c.peer.id] ?? c.peer) : null;
  const unread = c.unreadCount > 0;
  return (
    <li>
      <a
        href={`/c/${encodeURIComponent(c.id)}`}
        className={`inbox-item${active ? ' active' : ''}${unread ? ' unread' : ''}${c.muted ? ' notify-muted' : ''}`}
        aria-current={active ? 'page' : undefined}
        data-testid="inbox-item"
        data-conversation-id={c.id}
        data-kind={c.kind}
        data-unread={c.unreadCount}
        data-mentions={c.mentionCount}
        data-muted={c.muted ? 'true' : undefined}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          navigate(c.id);
        }}
      >
        {c.kind === 'direct' ? <Avatar user={peer} presence /> : <Avatar name={title} id={c.id} />}
        <span className="inbox-text">
          <span className="inbox-top">
            <span className="inbox-title" data-testid="inbox-title">
              {c.kind === 'group' && c.visibility === 'private' && (
                <span className="lock" aria-label={t('common.privateGroup')} title={t('common.privateGroup')}>
                  🔒
                </span>
              )}
              {title}
              {c.kind === 'direct' && <UserStatus user={peer} />}
              {c.muted && (
                <span className="muted-icon" aria-label={t('common.muted')} title={t('common.muted')} data-testid="inbox-muted">
                  {' 🔕'}
                </span>
              )}
            </span>
            <time className="inbox-time" dateTime={activity}>
              {formatInboxTime(activity)}
            </time>
          </span>
          <span className="inbox-bottom">
            <span className="inbox-preview" data-testid="inbox-preview">
              {draft !== undefined ? (
                <>
                  <span className="inbox-draft" data-testid="inbox-draft">
                    {t('inbox.draft')}
                  </span>{' '}
                  {neutralizeBidi(markdownToPlainText(draft, { maxSource: PREVIEW_SOURCE_MAX }))}
                </>
              ) : (
                preview(c, meId, users)
              )}
            </span>
            {c.mentionCount > 0 && (
              <span className="badge badge-mention" data-testid="mention-badge" aria-label={t('inbox.mentions', { count: c.mentionCount })} title={t('inbox.mentioned')}>
                @
              </span>
            )}
            {unread && (
              <span className="badge" data-testid="unread-badge" aria-label={t('inbox.unread', { count: c.unreadCount })}>
                {c.unreadCount >= 1000 ? '999+' : c.unreadCount}
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  );
});

export function Inbox({ activeId }: { activeId: string | null }) {
  const { t } = useTranslation();
  const conversations = useChat((s) => s.conversations);
  const activity = useChat((s) => s.activity);
  const users = useChat((s) => s.users);
  const meId = useChat((s) => s.me.id);
  const loaded = useChat((s) => s.inboxLoaded);
  const drafts = useChat((s) => s.drafts);
  const [filter, setFilter] = useState('');
  const sorted = useMemo(() => {
    const q = filter.trim().toLocaleLowerCase();
    return inboxOrder(conversations, activity).filter((c) => !q || conversationTitle(c, users).toLocaleLowerCase().includes(q));
  }, [conversations, activity, users, filter]);

  return (
    <nav className="inbox" aria-label={t('inbox.label')}>
      <div className="inbox-filter">
        <input type="search" placeholder={t('inbox.filter')} aria-label={t('inbox.filter')} data-testid="inbox-filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      {!loaded && <p className="muted pad">{t('common.loading')}</p>}
      {loaded && sorted.length === 0 && (
        <p className="muted pad" data-testid="inbox-empty">
          {filter ? t('inbox.noMatch') : t('inbox.empty')}
        </p>
      )}
      <ul className="inbox-list" data-testid="inbox">
        {sorted.map((c) => (
          <InboxItem key={c.id} c={c} active={c.id === activeId} meId={meId} users={users} activity={activity[c.id] ?? c.createdAt} draft={c.id === activeId ? undefined : drafts[c.id]} />
        ))}
      </ul>
    </nav>
  );
}
