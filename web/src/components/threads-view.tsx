/**
 * Threads: the sidebar's entry with its badge, and the view of the threads you follow, unread
 * first (as the server orders them), kept live by reply events and thread.state frames.
 */
import { memo, useEffect, useMemo, useState } from 'react';
import type { User } from '../../../src/client/index.js';
import { formatFull, formatRelative } from '../format.js';
import { navigate, navigateThread, navigateThreads } from '../router.js';
import { sortedThreads } from '../store/apply-thread.js';
import { useChat, useStore } from '../store/hooks.js';
import type { KnownThread } from '../store/types.js';
import { errorText, toast } from '../toasts.js';
import { ThreadIcon } from './icons.js';
import { conversationTitle } from './inbox.js';
import { Participants, plainExcerpt, repliesText, useMinute } from './thread-parts.js';
import './threads.css';
import { useTranslation } from 'react-i18next';

/** Unread badges: the count, and "@" when some of it mentions the reader (as in the inbox). */
function Badges({ unread, mentions, unreadLabel }: { unread: number; mentions: number; unreadLabel: (count: number) => string }) {
  const { t } = useTranslation();
  return (
    <>
      {mentions > 0 && (
        <span className="badge badge-mention" data-testid="mention-badge" aria-label={t('threads.mentions', { count: mentions })} title={t('inbox.mentioned')}>
          @
        </span>
      )}
      {unread > 0 && (
        <span className="badge" data-testid="unread-badge" aria-label={unreadLabel(unread)}>
          {unread >= 1000 ? '999+' : unread}
        </span>
      )}
    </>
  );
}

/** The sidebar's "Threads" entry, above the conversations. */
export function ThreadsEntry({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const unread = useChat((s) => s.threadList.unreadThreads);
  const mentions = useChat((s) => s.threadList.unreadMentions);
  return (
    <a
      href="/threads"
      className={`inbox-item threads-entry${active ? ' active' : ''}${unread > 0 ? ' unread' : ''}`}
      aria-current={active ? 'page' : undefined}
      data-testid="threads-entry"
      data-unread={unread}
      data-mentions={mentions}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigateThreads();
      }}
    >
      <span className="threads-entry-icon" aria-hidden="true">
        <ThreadIcon />
      </span>
      <span className="inbox-title">{t('threads.entry')}</span>
      <Badges unread={unread} mentions={mentions} unreadLabel={(count) => t('threads.unreadThreads', { count })} />
    </a>
  );
}

const ThreadItem = memo(function ThreadItem({ thread, title, users }: { thread: KnownThread; title: string; users: Record<string, User> }) {
  const { t } = useTranslation();
  const store = useStore();
  useMinute();
  const author = users[thread.root.senderId]?.displayName;
  const unread = thread.unreadCount > 0;
  return (
    <li className="thread-item-row">
      <a
        href={`/c/${encodeURIComponent(thread.conversationId)}/t/${encodeURIComponent(thread.rootId)}`}
        className={`thread-item${unread ? ' unread' : ''}`}
        data-testid="thread-item"
        data-root-id={thread.rootId}
        data-conversation-id={thread.conversationId}
        data-unread={thread.unreadCount}
        data-mentions={thread.mentionCount}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          navigateThread(thread.conversationId, thread.rootId);
        }}
      >
        <span className="thread-item-top">
          <span className="thread-item-where" data-testid="thread-item-conversation">
            {title}
          </span>
          {thread.lastReplyAt && (
            <time className="inbox-time" dateTime={thread.lastReplyAt} title={formatFull(thread.lastReplyAt)} data-testid="thread-item-time">
              {formatRelative(thread.lastReplyAt)}
            </time>
          )}
        </span>
        <span className="thread-item-root" dir="auto" data-testid="thread-item-root">
          {author && <strong>{author}: </strong>}
          {plainExcerpt(thread.root, 200)}
        </span>
        <span className="thread-item-bottom">
          <Participants ids={thread.participantIds} users={users} />
          <span className="thread-item-count" data-testid="thread-item-count">
            {repliesText(thread.replyCount)}
          </span>
          <Badges unread={thread.unreadCount} mentions={thread.mentionCount} unreadLabel={(count) => t('threads.unreadReplies', { count })} />
        </span>
      </a>
      <button
        type="button"
        className="btn-link thread-item-unfollow"
        data-testid="thread-item-unfollow"
        aria-label={t('threads.unfollowIn', { where: title })}
        onClick={() => void store.threads.setFollowing(thread.rootId, false).catch((err: unknown) => toast(errorText(err, t('threads.action.unfollow'))))}
      >
        {t('threads.unfollow')}
      </button>
    </li>
  );
});

export function ThreadsView() {
  const { t } = useTranslation();
  const store = useStore();
  const list = useChat((s) => s.threadList);
  const threads = useChat((s) => s.threads);
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const [loadingMore, setLoadingMore] = useState(false);
  const shown = useMemo(() => sortedThreads(list, threads).filter((t) => conversations[t.conversationId]), [list, threads, conversations]);

  // Threads followed since the list was fetched (a reply elsewhere, another device): fetch it again.
  useEffect(() => {
    store.threads.loadList().catch((err: unknown) => toast(errorText(err, t('threads.action.loadList'))));
  }, [store]);

  const more = () => {
    setLoadingMore(true);
    store.threads
      .loadMore()
      .catch((err: unknown) => toast(errorText(err, t('threads.action.loadMore'))))
      .finally(() => setLoadingMore(false));
  };

  return (
    <section className="conversation threads-view" data-testid="threads-view" aria-labelledby="threads-view-title">
      <header className="conv-header">
        <button type="button" className="icon-btn back-btn" aria-label={t('conversation.back')} data-testid="back-button" onClick={() => navigate(null)}>
          ‹
        </button>
        <div className="conv-title-wrap">
          <h1 className="conv-title" id="threads-view-title">
            {t('threads.entry')}
          </h1>
          <span className="conv-subtitle muted">{t('threads.subtitle')}</span>
        </div>
      </header>
      <div className="threads-view-body">
        {!list.loaded && (
          <p className="muted pad" role="status">
            {t('common.loading')}
          </p>
        )}
        {list.loaded && shown.length === 0 && (
          <p className="muted pad" data-testid="threads-empty">
            {t('threads.empty')}
          </p>
        )}
        <ul className="thread-list" data-testid="thread-list" aria-label={t('threads.list')}>
          {shown.map((item) => {
            const c = conversations[item.conversationId]!;
            return <ThreadItem key={item.rootId} thread={item} title={`${c.kind === 'group' ? '#' : ''}${conversationTitle(c, users)}`} users={users} />;
          })}
        </ul>
        {list.nextCursor && (
          <button type="button" className="btn threads-more" disabled={loadingMore} onClick={more}>
            {t('threads.more')}
          </button>
        )}
      </div>
    </section>
  );
}
