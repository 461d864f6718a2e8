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

/** Unread badges: the count, and "@" when some of it mentions the reader (as in the inbox). */
function Badges({ unread, mentions, unreadLabel }: { unread: number; mentions: number; unreadLabel: string }) {
  return (
    <>
      {mentions > 0 && (
        <span className="badge badge-mention" data-testid="mention-badge" aria-label={`${mentions} ${mentions === 1 ? 'mention' : 'mentions'}`} title="You were mentioned">
          @
        </span>
      )}
      {unread > 0 && (
        <span className="badge" data-testid="unread-badge" aria-label={`${unread} ${unreadLabel}`}>
          {unread >= 1000 ? '999+' : unread}
        </span>
      )}
    </>
  );
}

/** The sidebar's "Threads" entry, above the conversations. */
export function ThreadsEntry({ active }: { active: boolean }) {
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
      <span className="inbox-title">Threads</span>
      <Badges unread={unread} mentions={mentions} unreadLabel="unread threads" />
    </a>
  );
}

const ThreadItem = memo(function ThreadItem({ t, title, users }: { t: KnownThread; title: string; users: Record<string, User> }) {
  const store = useStore();
  useMinute();
  const author = users[t.root.senderId]?.displayName;
  const unread = t.unreadCount > 0;
  return (
    <li className="thread-item-row">
      <a
        href={`/c/${encodeURIComponent(t.conversationId)}/t/${encodeURIComponent(t.rootId)}`}
        className={`thread-item${unread ? ' unread' : ''}`}
        data-testid="thread-item"
        data-root-id={t.rootId}
        data-conversation-id={t.conversationId}
        data-unread={t.unreadCount}
        data-mentions={t.mentionCount}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          navigateThread(t.conversationId, t.rootId);
        }}
      >
        <span className="thread-item-top">
          <span className="thread-item-where" data-testid="thread-item-conversation">
            {title}
          </span>
          {t.lastReplyAt && (
            <time className="inbox-time" dateTime={t.lastReplyAt} title={formatFull(t.lastReplyAt)} data-testid="thread-item-time">
              {formatRelative(t.lastReplyAt)}
            </time>
          )}
        </span>
        <span className="thread-item-root" dir="auto" data-testid="thread-item-root">
          {author && <strong>{author}: </strong>}
          {plainExcerpt(t.root, 200)}
        </span>
        <span className="thread-item-bottom">
          <Participants ids={t.participantIds} users={users} />
          <span className="thread-item-count" data-testid="thread-item-count">
            {repliesText(t.replyCount)}
          </span>
          <Badges unread={t.unreadCount} mentions={t.mentionCount} unreadLabel="unread replies" />
        </span>
      </a>
      <button
        type="button"
        className="btn-link thread-item-unfollow"
        data-testid="thread-item-unfollow"
        aria-label={`Unfollow the thread in ${title}`}
        onClick={() => void store.threads.setFollowing(t.rootId, false).catch((err: unknown) => toast(errorText(err, 'unfollow the thread')))}
      >
        Unfollow
      </button>
    </li>
  );
});

export function ThreadsView() {
  const store = useStore();
  const list = useChat((s) => s.threadList);
  const threads = useChat((s) => s.threads);
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const [loadingMore, setLoadingMore] = useState(false);
  const shown = useMemo(() => sortedThreads(list, threads).filter((t) => conversations[t.conversationId]), [list, threads, conversations]);

  // Threads followed since the list was fetched (a reply elsewhere, another device): fetch it again.
  useEffect(() => {
    store.threads.loadList().catch((err: unknown) => toast(errorText(err, 'load your threads')));
  }, [store]);

  const more = () => {
    setLoadingMore(true);
    store.threads
      .loadMore()
      .catch((err: unknown) => toast(errorText(err, 'load more threads')))
      .finally(() => setLoadingMore(false));
  };

  return (
    <section className="conversation threads-view" data-testid="threads-view" aria-labelledby="threads-view-title">
      <header className="conv-header">
        <button type="button" className="icon-btn back-btn" aria-label="Back to conversations" data-testid="back-button" onClick={() => navigate(null)}>
          ‹
        </button>
        <div className="conv-title-wrap">
          <h1 className="conv-title" id="threads-view-title">
            Threads
          </h1>
          <span className="conv-subtitle muted">Threads you follow, unread first</span>
        </div>
      </header>
      <div className="threads-view-body">
        {!list.loaded && (
          <p className="muted pad" role="status">
            Loading…
          </p>
        )}
        {list.loaded && shown.length === 0 && (
          <p className="muted pad" data-testid="threads-empty">
            No threads yet. You follow a thread when you reply in it, are mentioned in it, or started it.
          </p>
        )}
        <ul className="thread-list" data-testid="thread-list" aria-label="Followed threads">
          {shown.map((t) => {
            const c = conversations[t.conversationId]!;
            return <ThreadItem key={t.rootId} t={t} title={`${c.kind === 'group' ? '#' : ''}${conversationTitle(c, users)}`} users={users} />;
          })}
        </ul>
        {list.nextCursor && (
          <button type="button" className="btn threads-more" disabled={loadingMore} onClick={more}>
            More threads
          </button>
        )}
      </div>
    </section>
  );
}
