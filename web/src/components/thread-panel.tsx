/**
 * A thread beside its conversation (full screen on a phone): the root, the replies (older pages on
 * scrolling up), live updates, a composer with "Also send to conversation", Follow/Unfollow.
 * Escape closes it. While it is open and in view, the thread counts as read.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Conversation, Message, User } from '../../../src/client/index.js';
import { useChat, useStore } from '../store/hooks.js';
import type { PendingMessage, Timeline } from '../store/types.js';
import { errorText, toast } from '../toasts.js';
import { useVisible } from '../use-visible.js';
import { Composer, type ComposerHandle } from './composer.js';
import { conversationTitle } from './inbox.js';
import { MessageItem, type MessageActions } from './message-item.js';
import { MessageList } from './message-list.js';
import { repliesText } from './thread-parts.js';
import './threads.css';
import { useTranslation } from 'react-i18next';

const NO_PENDING: PendingMessage[] = [];

export interface ThreadPanelProps {
  conversation: Conversation;
  rootId: string;
  /** The conversation's message actions (react, delete, pin, retry…); reply, edit and jumps are the panel's own. */
  actions: MessageActions;
  canPost: boolean;
  moderator: boolean;
  mentionable: User[];
  members: readonly User[];
  /** A reply to show (a search result), once it is loaded. */
  focusMessageId: string | null;
  onFocused: () => void;
  onClose: () => void;
}

export function ThreadPanel(props: ThreadPanelProps) {
  const { t } = useTranslation();
  const { conversation, rootId, canPost, moderator } = props;
  const store = useStore();
  const cid = conversation.id;
  const thread = useChat((s) => s.threads[rootId]);
  const replies = useChat((s) => s.replies[rootId]);
  const timelineRoot = useChat((s) => s.timelines[cid]?.messages.find((m) => m.id === rootId));
  const extraRoot = useChat((s) => s.extra[rootId]);
  const allPending = useChat((s) => s.pending[cid] ?? NO_PENDING);
  const users = useChat((s) => s.users);
  const extra = useChat((s) => s.extra);
  const me = useChat((s) => s.me);
  const visible = useVisible();
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [alsoSend, setAlsoSend] = useState(false);
  const [focusId, setFocusId] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const composer = useRef<ComposerHandle>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const panel = useRef<HTMLElement>(null);

  // The timeline's copy is the freshest (edits, reactions); the thread's when the root is not loaded there.
  const root = timelineRoot ?? thread?.root ?? extraRoot;
  const pending = useMemo(() => allPending.filter((p) => p.threadId === rootId), [allPending, rootId]);
  const closed = root?.deletedAt !== null && root?.deletedAt !== undefined;

  useEffect(() => {
    setFailed(false);
    store.threads.open(rootId).catch((err: unknown) => {
      setFailed(true);
      toast(errorText(err, t('threads.action.open')));
    });
  }, [store, rootId]);

  // Focus moves into the panel when it opens (the composer, or the heading when there is none).
  useEffect(() => {
    if (composer.current) composer.current.focus();
    else heading.current?.focus();
  }, [rootId]);

  // Escape closes the panel, from anywhere in it (or from nowhere in particular); controls that
  // handle Escape themselves (mention suggestions, a reply or edit in the composer) prevent it.
  const onClose = props.onClose;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || e.isComposing) return;
      const active = document.activeElement;
      if (active && active !== document.body && !panel.current?.contains(active)) return;
      e.preventDefault();
      onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  // Read while open and in view: up to the last reply, also as new ones come.
  const lastReplySeq = thread?.lastReplySeq ?? 0;
  const unread = thread ? lastReplySeq > thread.lastReadSeq || thread.unreadCount > 0 : false;
  useEffect(() => {
    if (!visible || !replies?.loaded || !unread || lastReplySeq === 0) return;
    const t = setTimeout(() => store.threads.markRead(rootId, lastReplySeq), 300);
    return () => clearTimeout(t);
  }, [visible, replies?.loaded, unread, lastReplySeq, store, rootId]);

  // A reply asked for (a search result): load back to it, then show it.
  useEffect(() => {
    const wanted = props.focusMessageId;
    if (!wanted) return;
    props.onFocused();
    void store.api
      .getMessage(wanted)
      .then((m) => store.threads.loadUntil(rootId, m.seq))
      .then((found) => (found ? setFocusId(wanted) : toast(t('threads.tooFarBack'), 'info')))
      .catch(() => toast(t('threads.gone'), 'info'));
  }, [props.focusMessageId, props.onFocused, store, rootId]);

  const actions = useMemo<MessageActions>(
    () => ({
      ...props.actions,
      openThread: undefined,
      reply: (m) => {
        setEditing(null);
        setReplyTo(m);
      },
      edit: (m) => {
        setReplyTo(null);
        setEditing(m);
      },
      jumpTo: (messageId) => {
        if (store.getState().replies[rootId]?.messages.some((m) => m.id === messageId)) setFocusId(messageId);
        else props.actions.jumpTo(messageId);
      },
    }),
    [props.actions, store, rootId],
  );

  const timeline = useMemo<Timeline>(
    () => ({
      messages: replies?.messages ?? [],
      loadedThrough: null,
      notices: [],
      hasMoreBefore: replies?.hasMoreBefore ?? true,
      loading: !failed && (replies?.loading ?? true),
      loaded: replies?.loaded ?? false,
    }),
    [replies, failed],
  );
  // The "new below" count of the list is the thread's, not the conversation's.
  const listConversation = useMemo(() => ({ ...conversation, unreadCount: thread?.unreadCount ?? 0 }), [conversation, thread?.unreadCount]);
  const onSeen = useCallback(() => undefined, []);

  const editLast = () => {
    const last = [...(replies?.messages ?? [])].reverse().find((m) => m.senderId === me.id && !m.deletedAt);
    if (last) setEditing(last);
  };

  const following = thread?.following ?? false;
  const toggleFollow = () => {
    store.threads.setFollowing(rootId, !following).catch((err: unknown) => toast(errorText(err, following ? t('threads.action.unfollow') : t('threads.action.follow'))));
  };

  const title = conversationTitle(conversation, users);
  const count = root?.thread?.replyCount ?? thread?.replyCount ?? 0;
  const start = root ? (
    <div className="thread-root" data-testid="thread-root">
      <MessageItem
        message={root}
        original={root.replyTo ? extra[root.replyTo] : undefined}
        grouped={false}
        sender={users[root.senderId]}
        me={me}
        users={users}
        actions={actions}
        canDelete={root.senderId === me.id || moderator}
        seen={false}
        focusable={false}
        idPrefix="thread-root-"
      />
      <div className="thread-root-count" role="separator" data-testid="thread-panel-count">
        <span>{count > 0 ? repliesText(count) : t('threads.noReplies')}</span>
      </div>
    </div>
  ) : undefined;

  return (
    <section className="thread-panel" id="thread-panel" ref={panel} aria-labelledby="thread-panel-title" data-testid="thread-panel" data-root-id={rootId}>
      <header className="panel-header thread-panel-header">
        <button type="button" className="icon-btn thread-back" aria-label={t('threads.back')} data-testid="thread-back" onClick={props.onClose}>
          ‹
        </button>
        <div className="thread-panel-title">
          <h2 id="thread-panel-title" ref={heading} tabIndex={-1}>
            {t('threads.title')}
          </h2>
          <span className="muted thread-panel-where">
            {conversation.kind === 'group' ? '#' : ''}
            {title}
          </span>
        </div>
        <button
          type="button"
          className={`btn btn-small${following ? ' active' : ''}`}
          data-testid="thread-follow"
          data-following={following ? 'true' : 'false'}
          disabled={!thread}
          onClick={toggleFollow}
          title={following ? t('threads.followingHint') : t('threads.followHint')}
        >
          {following ? t('threads.unfollow') : t('threads.follow')}
        </button>
        <button type="button" className="icon-btn thread-close" aria-label={t('threads.close')} data-testid="thread-close" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div className="thread-panel-body">
        <MessageList
          conversation={listConversation}
          timeline={timeline}
          pending={pending}
          users={users}
          extra={extra}
          me={me}
          members={props.members}
          moderator={moderator}
          unreadAfter={Number.MAX_SAFE_INTEGER}
          unreadAtOpen={0}
          peerRead={0}
          actions={actions}
          onLoadOlder={() => void store.threads.loadOlder(rootId).catch((err: unknown) => toast(errorText(err, t('threads.action.loadOlder'))))}
          onLoadNewer={() => undefined}
          onJumpLatest={() => Promise.resolve()}
          onBottomChange={() => undefined}
          onSeen={onSeen}
          focusMessageId={focusId}
          onFocused={() => setFocusId(null)}
          start={start}
          emptyText={root ? '' : t('common.loading')}
          label={t('threads.replies')}
          idPrefix="reply-"
          listKey={`thread:${rootId}`}
        />
      </div>
      {closed ? (
        <p className="composer-note" role="note" data-testid="thread-closed">
          {t('threads.closed')}
        </p>
      ) : !canPost && !editing ? (
        <p className="composer-note" role="note" data-testid="thread-announcement-note">
          {t('conversation.adminsOnly')}
        </p>
      ) : (
        <div className="thread-composer">
          <Composer
            key={rootId}
            handle={composer}
            conversationId={`${cid}/thread/${rootId}`}
            placeholder={t('threads.placeholder')}
            members={props.mentionable}
            meId={me.id}
            replyTo={replyTo}
            replyAuthor={replyTo ? (users[replyTo.senderId]?.displayName ?? null) : null}
            editing={editing}
            disabled={false}
            onCancelReply={() => setReplyTo(null)}
            onCancelEdit={() => setEditing(null)}
            onEditLast={editLast}
            onTyping={() => store.typing(cid)}
            onSend={(body, files) => {
              store.outbox.send(cid, body, replyTo?.id ?? null, files, { threadId: rootId, alsoInConversation: alsoSend });
              setReplyTo(null);
              setAlsoSend(false);
            }}
            onSaveEdit={(m, body) => {
              setEditing(null);
              store.edit(m, body).catch((err: unknown) => toast(errorText(err, t('conversation.action.edit'))));
            }}
          />
          <label className="thread-also-send">
            <input type="checkbox" data-testid="thread-also-send" checked={alsoSend} onChange={(e) => setAlsoSend(e.target.checked)} />
            {t('threads.alsoSend')}
          </label>
        </div>
      )}
    </section>
  );
}
