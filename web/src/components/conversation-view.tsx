/** An open conversation: header, messages, typing line, composer, and the members panel of a group. */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import type { Member, Message, User } from '../../../src/client/index.js';
import { formatLastSeen } from '../format.js';
import { navigate, navigateThread } from '../router.js';
import { useChat, useStore } from '../store/hooks.js';
import { inTimeline, type PendingMessage, type PinRef, type Timeline } from '../store/types.js';
import { errorText, toast } from '../toasts.js';
import { useCommands } from './use-commands.js';
import { Avatar } from './avatar.js';
import { Composer, type ComposerHandle } from './composer.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ConversationNotifyMenu } from './conversation-notify-menu.js';
import { mentionAllSuggestions, mayMentionAll, mayPin, mayPost } from './group-rules.js';
import { HeaderMenu } from './header-menu.js';
import { conversationTitle } from './inbox.js';
import type { MessageActions } from './message-item.js';
import { MessageList } from './message-list.js';
import type { JumpTarget } from '../jump-target.js';
import { TypingIndicator } from './typing-indicator.js';
import { useVisible } from '../use-visible.js';
import { dialogOpen } from '../keyboard.js';
import { useTranslation } from 'react-i18next';
import { withStrings } from '../i18n/index.js';

// Loaded when first opened (chunks of their own).
// The thread panel loads when a thread is first opened: the first screen does not need it.
const ThreadPanel = lazy(withStrings(() => import('./thread-panel.js').then((m) => ({ default: m.ThreadPanel }))));
const MembersPanel = lazy(withStrings(() => import('./members-panel.js').then((m) => ({ default: m.MembersPanel }))));
const PinsPanel = lazy(withStrings(() => import('./pins-panel.js').then((m) => ({ default: m.PinsPanel }))));
const GroupSettingsDialog = lazy(withStrings(() => import('./group-settings-dialog.js').then((m) => ({ default: m.GroupSettingsDialog }))));

const NO_PENDING: PendingMessage[] = [];
const NO_MEMBERS: Member[] = [];
const NO_PINS: PinRef[] = [];
const LOADING: Timeline = { messages: [], loadedThrough: null, notices: [], hasMoreBefore: true, loading: true, loaded: false };

export function ConversationView({ id, threadId, jump, onJumped }: { id: string; threadId: string | null; jump: JumpTarget | null; onJumped: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const conversation = useChat((s) => s.conversations[id])!;
  const timeline = useChat((s) => s.timelines[id]) ?? LOADING;
  const allPending = useChat((s) => s.pending[id] ?? NO_PENDING);
  // Replies sent only to a thread wait in the thread's panel.
  const pending = useMemo(() => allPending.filter((p) => inTimeline(p)), [allPending]);
  const users = useChat((s) => s.users);
  const extra = useChat((s) => s.extra);
  const me = useChat((s) => s.me);
  const members = useChat((s) => s.members[id] ?? NO_MEMBERS);
  const memberUsers = useMemo(() => members.map((m) => m.user), [members]);
  const peerRead = useChat((s) => s.peerRead[id] ?? 0);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const [panel, setPanel] = useState(false);
  const [pinsOpen, setPinsOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const pins = useChat((s) => s.pins[id] ?? NO_PINS);
  const [focusMessageId, setFocusMessageId] = useState<string | null>(null);
  const [focusReplyId, setFocusReplyId] = useState<string | null>(null);
  // What had focus when a thread was opened: it gets it back when the panel closes.
  const threadOpener = useRef<HTMLElement | null>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [dragging, setDragging] = useState(false);
  const composer = useRef<ComposerHandle>(null);
  const draft = useChat((s) => s.drafts[id] ?? '');
  const visible = useVisible();
  // The read position when the conversation was opened: the "new messages" divider stays put.
  const [unreadAfter] = useState(() => (conversation.unreadCount > 0 ? conversation.lastReadSeq : Number.MAX_SAFE_INTEGER));
  const [unreadAtOpen] = useState(() => conversation.unreadCount);
  // The highest seq of a message the reader has had in view.
  const [seenSeq, setSeenSeq] = useState(0);

  const title = conversationTitle(conversation, users);
  const peer = conversation.peer ? (users[conversation.peer.id] ?? conversation.peer) : null;
  const myRole = members.find((m) => m.user.id === me.id)?.role;
  const moderator = myRole === 'owner' || myRole === 'admin';
  const canPin = mayPin(conversation, myRole);
  const canPost = mayPost(conversation, myRole);
  const pinnedIds = useMemo(() => new Set(pins.map((p) => p.messageId)), [pins]);
  const commands = useCommands(store.api, id);

  useEffect(() => {
    store.openConversation(id).catch((err: unknown) => toast(errorText(err, t('conversation.action.load'))));
    // Pins too: the message menu says Pin or Unpin.
    store.loadPins(id).catch(() => undefined);
  }, [store, id]);

  // Reply quotes of messages that are not loaded, and thread roots of replies also sent here: fetch the originals.
  useEffect(() => {
    for (const m of timeline.messages) {
      for (const ref of [m.replyTo, m.alsoInConversation ? m.threadId : null]) {
        if (ref && !extra[ref] && !timeline.messages.some((x) => x.id === ref)) void store.fetchMessage(ref).catch(() => undefined);
      }
    }
  }, [timeline.messages, extra, store]);

  // Read: as far as the reader has seen, while the window has focus. Having seen the newest
  // message (or with none to see) reads the events after it too.
  const lastShownSeq = timeline.loadedThrough ?? timeline.messages.at(-1)?.seq ?? 0;
  const readTo = timeline.loadedThrough === null && seenSeq >= lastShownSeq && atBottom ? conversation.lastSeq : seenSeq;
  useEffect(() => {
    if (!visible || !timeline.loaded) return;
    if (readTo > conversation.lastReadSeq || (readTo >= conversation.lastSeq && conversation.unreadCount > 0)) {
      const timer = setTimeout(() => store.markRead(id, readTo), 300);
      return () => clearTimeout(timer);
    }
  }, [visible, timeline.loaded, readTo, conversation.unreadCount, conversation.lastReadSeq, conversation.lastSeq, store, id]);

  // Esc (not taken by a field, menu or dialog) marks the whole conversation read.
  const lastSeqRef = useRef(conversation.lastSeq);
  lastSeqRef.current = conversation.lastSeq;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || e.isComposing || dialogOpen()) return;
      store.markRead(id, lastSeqRef.current);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, id]);

  const onSeen = useCallback((seq: number) => setSeenSeq((cur) => Math.max(cur, seq)), []);
  const onReplyFocused = useCallback(() => setFocusReplyId(null), []);

  const jumpTo = useCallback(
    async (messageId: string, seq?: number) => {
      const loaded = store.getState().timelines[id]?.messages.some((m) => m.id === messageId);
      if (!loaded) {
        let target = seq;
        if (target === undefined) {
          try {
            await store.fetchMessage(messageId);
            target = store.getState().extra[messageId]?.seq;
          } catch {
            return toast(t('conversation.gone'), 'info');
          }
        }
        if (target === undefined || !(await store.loadUntil(id, target))) return toast(t('conversation.tooFarBack'), 'info');
      }
      setFocusMessageId(messageId);
    },
    [store, id],
  );

  useEffect(() => {
    if (!jump) return;
    onJumped();
    // A reply in a thread is shown in its panel (the route opened it).
    if (jump.threadId) setFocusReplyId(jump.messageId);
    else void jumpTo(jump.messageId, jump.seq);
  }, [jump, jumpTo, onJumped]);

  const openThread = useCallback(
    (rootId: string) => {
      const active = document.activeElement;
      threadOpener.current = active instanceof HTMLElement && active !== document.body ? active : null;
      setPanel(false);
      setPinsOpen(false);
      navigateThread(id, rootId);
    },
    [id],
  );

  const closeThread = useCallback(() => navigate(id), [id]);

  // The panel closed: focus goes back where it came from (the root's summary), else to the root.
  const lastThread = useRef(threadId);
  useEffect(() => {
    const closedRoot = lastThread.current;
    lastThread.current = threadId;
    if (threadId !== null || closedRoot === null) return;
    const opener = threadOpener.current;
    threadOpener.current = null;
    opener?.focus();
    // A hover toolbar's button is hidden by now (it cannot take focus): its message can.
    if (opener && document.activeElement === opener) return;
    (document.getElementById(`msg-${closedRoot}`) ?? document.querySelector<HTMLElement>('[data-testid="composer-input"]'))?.focus();
  }, [threadId]);

  // Members or pins take the panel's place: the thread closes.
  const showSidePanel = (which: 'members' | 'pins', open: boolean) => {
    setPanel(which === 'members' && open);
    setPinsOpen(which === 'pins' && open);
    if (open && threadId) navigate(id);
  };

  const actions = useMemo<MessageActions>(
    () => ({
      reply: (m) => {
        if (!canPost) return toast(t('conversation.adminsOnly'), 'info');
        setEditing(null);
        setReplyTo(m);
      },
      edit: (m) => {
        setReplyTo(null);
        setEditing(m);
      },
      remove: (m) => setDeleting(m),
      react: (m, emoji) => void store.toggleReaction(m, emoji).catch((err: unknown) => toast(errorText(err, t('conversation.action.react')))),
      jumpTo: (messageId) => void jumpTo(messageId),
      retry: (p) => store.outbox.retry(p.conversationId, p.clientMsgId),
      discard: (p) => store.outbox.discard(p.conversationId, p.clientMsgId),
      removePreview: (m, url) => void store.removeLinkPreview(m, url).catch((err: unknown) => toast(errorText(err, t('conversation.action.removePreview')))),
      openThread,
      ...(canPin
        ? {
            togglePin: (m: Message, pin: boolean) => void store.setPinned(m, pin).catch((err: unknown) => toast(errorText(err, pin ? t('conversation.action.pin') : t('conversation.action.unpin')))),
            pinnedIds,
          }
        : {}),
    }),
    [store, jumpTo, canPin, pinnedIds, canPost, openThread, t],
  );

  const mentionable = useMemo<User[]>(() => {
    if (conversation.kind === 'direct') return peer ? [peer] : [];
    const everyone = mayMentionAll(conversation, myRole) ? mentionAllSuggestions() : [];
    return [...everyone, ...members.map((m) => users[m.user.id] ?? m.user)];
    // The pseudo-users' names are in the current language.
  }, [conversation, myRole, peer, members, users, t]);

  const editLast = () => {
    const last = [...timeline.messages].reverse().find((m) => m.senderId === me.id && !m.deletedAt);
    if (last) setEditing(last);
  };

  const onDrop = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    setDragging(false);
    composer.current?.addFiles([...e.dataTransfer.files]);
  };

  let subtitle: string;
  if (conversation.kind === 'direct') subtitle = peer?.online ? t('conversation.online') : formatLastSeen(peer?.lastSeenAt ?? null);
  else subtitle = t(conversation.visibility === 'public' ? 'conversation.membersPublic' : 'conversation.members', { count: conversation.memberCount });

  return (
    <section
      className={`conversation${panel || threadId ? ' with-panel' : ''}${threadId ? ' with-thread' : ''}${dragging ? ' dragging' : ''}`}
      data-testid="conversation"
      data-conversation-id={id}
      aria-label={title}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header className="conv-header">
        <button type="button" className="icon-btn back-btn" aria-label={t('conversation.back')} data-testid="back-button" onClick={() => navigate(null)}>
          ‹
        </button>
        {conversation.kind === 'direct' ? <Avatar user={peer} presence /> : <Avatar name={title} id={id} />}
        <div className="conv-title-wrap">
          <h1 className="conv-title" data-testid="conversation-title">
            {title}
          </h1>
          <span className="conv-subtitle muted" data-testid="conversation-subtitle">
            {subtitle}
          </span>
          {conversation.description && (
            <span className="conv-description muted" data-testid="conversation-description" title={conversation.description} dir="auto">
              {conversation.description}
            </span>
          )}
        </div>
        <ConversationNotifyMenu conversation={conversation} />
        {/* On a phone these move into the ⋯ menu, so the title keeps the room. */}
        <div className="conv-actions">
          <button
            type="button"
            className={`btn btn-small${pinsOpen ? ' active' : ''}`}
            aria-expanded={pinsOpen}
            aria-controls="pins-panel"
            data-testid="toggle-pins"
            aria-label={pins.length > 0 ? t('conversation.pinnedMessagesCount', { count: pins.length }) : t('conversation.pinnedMessages')}
            onClick={() => showSidePanel('pins', !pinsOpen)}
          >
            <span aria-hidden="true">📌</span>
            <span className="hide-narrow"> {t('conversation.pinned')}</span>
            {pins.length > 0 ? ` ${pins.length}` : ''}
          </button>
          {conversation.kind === 'group' && moderator && (
            <button type="button" className="btn btn-small" aria-label={t('conversation.groupSettings')} data-testid="open-group-settings" onClick={() => setSettingsOpen(true)}>
              <span aria-hidden="true">⚙</span>
              <span className="hide-narrow"> {t('conversation.settings')}</span>
            </button>
          )}
          {conversation.kind === 'group' && (
            <button
              type="button"
              className={`btn btn-small${panel ? ' active' : ''}`}
              aria-expanded={panel}
              aria-controls="members-panel"
              data-testid="toggle-members"
              onClick={() => showSidePanel('members', !panel)}
            >
              {t('common.members')}
            </button>
          )}
        </div>
        <HeaderMenu
          items={[
            { id: 'pins', label: pins.length > 0 ? t('conversation.pinnedMessagesCount', { count: pins.length }) : t('conversation.pinnedMessages'), run: () => showSidePanel('pins', true) },
            ...(conversation.kind === 'group' ? [{ id: 'members', label: t('common.members'), run: () => showSidePanel('members', true) }] : []),
            ...(conversation.kind === 'group' && moderator ? [{ id: 'settings', label: t('conversation.groupSettings'), run: () => setSettingsOpen(true) }] : []),
          ]}
        />
      </header>
      <div className="conv-body">
        <div className="conv-messages" data-testid="timeline">
          <MessageList
            conversation={conversation}
            timeline={timeline}
            pending={pending}
            users={users}
            extra={extra}
            me={me}
            members={memberUsers}
            moderator={moderator}
            unreadAfter={unreadAfter}
            unreadAtOpen={unreadAtOpen}
            peerRead={peerRead}
            actions={actions}
            onLoadOlder={() => void store.loadOlder(id).catch((err: unknown) => toast(errorText(err, t('conversation.action.loadOlder'))))}
            onLoadNewer={() => void store.loadNewer(id).catch((err: unknown) => toast(errorText(err, t('conversation.action.loadNewer'))))}
            onJumpLatest={() => store.showLatest(id).catch((err: unknown) => toast(errorText(err, t('conversation.action.loadLatest'))))}
            onBottomChange={setAtBottom}
            onSeen={onSeen}
            focusMessageId={focusMessageId}
            onFocused={() => setFocusMessageId(null)}
          />
          <TypingIndicator conversationId={id} />
          {/* A plain member of an announcement group reads and reacts; the composer comes back only to edit. */}
          {!canPost && !editing ? (
            <p className="composer-note" role="note" data-testid="announcement-note">
              {t('conversation.adminsOnlyNote')}
            </p>
          ) : (
            <Composer
              key={id}
              handle={composer}
              conversationId={id}
              placeholder={t(conversation.kind === 'group' ? 'conversation.placeholderGroup' : 'conversation.placeholderDirect', { name: title })}
              members={mentionable}
              meId={me.id}
              replyTo={replyTo}
              replyAuthor={replyTo ? (users[replyTo.senderId]?.displayName ?? null) : null}
              editing={editing}
              disabled={false}
              onCancelReply={() => setReplyTo(null)}
              onCancelEdit={() => setEditing(null)}
              onEditLast={editLast}
              onTyping={() => store.typing(id)}
              draft={draft}
              onDraftChange={(text) => store.drafts.change(id, text)}
              onDraftLeave={() => store.drafts.flush(id)}
              onSend={(body, files) => {
                // What is sent goes at the bottom: show the newest messages if they were not loaded.
                if (timeline.loadedThrough !== null) void store.showLatest(id).catch(() => undefined);
                store.drafts.clear(id);
                store.outbox.send(id, body, replyTo?.id ?? null, files);
                setReplyTo(null);
              }}
              commands={commands}
              onCommand={(command, text) => {
                store.drafts.clear(id);
                store.api
                  .runCommand(id, { command, text })
                  .then((r) => r.response && toast(r.response.text, 'info'))
                  .catch((err: unknown) => toast(errorText(err, t('conversation.action.runCommand', { command }))));
              }}
              onSaveEdit={(m, body) => {
                setEditing(null);
                store.edit(m, body).catch((err: unknown) => toast(errorText(err, t('conversation.action.edit'))));
              }}
            />
          )}
        </div>
        {threadId && (
          <Suspense fallback={null}>
            <ThreadPanel
              key={threadId}
              conversation={conversation}
              rootId={threadId}
              actions={actions}
              canPost={canPost}
              moderator={moderator}
              mentionable={mentionable}
              members={memberUsers}
              focusMessageId={focusReplyId}
              onFocused={onReplyFocused}
              onClose={closeThread}
            />
          </Suspense>
        )}
        <Suspense fallback={null}>
          {!threadId && panel && conversation.kind === 'group' && <MembersPanel conversation={conversation} onClose={() => setPanel(false)} />}
          {!threadId && pinsOpen && <PinsPanel conversationId={id} canPin={canPin} onJump={(messageId) => void jumpTo(messageId)} onClose={() => setPinsOpen(false)} />}
        </Suspense>
      </div>
      {settingsOpen && conversation.kind === 'group' && (
        <Suspense fallback={null}>
          <GroupSettingsDialog conversation={conversation} onClose={() => setSettingsOpen(false)} />
        </Suspense>
      )}
      {deleting && (
        <ConfirmDialog
          title={t('conversation.deleteTitle')}
          text={t('conversation.deleteText')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={() => void store.remove(deleting).catch((err: unknown) => toast(errorText(err, t('conversation.action.delete'))))}
        />
      )}
    </section>
  );
}
