/**
 * The conversation's messages: grouped by sender and day, older pages loaded on scrolling up
 * (keeping the view still), following the bottom while it is in view, with a "new messages"
 * divider and a button back to the latest. Arrow keys move between messages.
 */
import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Conversation, Message, User } from '../../../src/client/index.js';
import { dayKey, formatDay } from '../format.js';
import { ambiguousNames } from '../name-clash.js';
import type { PendingMessage, Timeline } from '../store/types.js';
import { MessageItem, PendingItem, type MessageActions } from './message-item.js';

const GROUP_GAP_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 48;
const NEAR_TOP_PX = 300;

export interface MessageListProps {
  conversation: Conversation;
  timeline: Timeline;
  pending: PendingMessage[];
  users: Record<string, User>;
  extra: Record<string, Message>;
  me: User;
  /** The group's members, when loaded: with the senders shown, who a name could be confused with. */
  members?: readonly User[];
  /** The reader may delete others' messages (a group admin). */
  moderator: boolean;
  /** Messages after this seq (from others) are new: the divider goes before the first. */
  unreadAfter: number;
  /** The peer of a direct chat has read up to here. */
  peerRead: number;
  actions: MessageActions;
  onLoadOlder: () => void;
  /** Called with true while the bottom is in view. */
  onBottomChange: (atBottom: boolean) => void;
  /** Scrolls to this message once it is loaded. */
  focusMessageId: string | null;
  onFocused: () => void;
}

function isGrouped(prev: { senderId: string; createdAt: string; deleted: boolean } | null, cur: { senderId: string; createdAt: string }): boolean {
  if (!prev || prev.deleted || prev.senderId !== cur.senderId) return false;
  if (dayKey(prev.createdAt) !== dayKey(cur.createdAt)) return false;
  return new Date(cur.createdAt).getTime() - new Date(prev.createdAt).getTime() < GROUP_GAP_MS;
}

export function MessageList(props: MessageListProps) {
  const { conversation, timeline, pending, users, extra, me, moderator, unreadAfter, peerRead, actions } = props;
  const ref = useRef<HTMLDivElement>(null);
  const atBottomRef = useRef(true);
  const fromBottomRef = useRef(0);
  const firstIdRef = useRef<string | undefined>(undefined);
  const initialScrollDone = useRef(false);
  const [atBottom, setAtBottom] = useState(true);
  const { messages } = timeline;
  // People shown together here: a name two of them share (or that is another's username, or
  // mixes look-alike scripts) gets the @username beside it.
  const ambiguous = useMemo(() => {
    const people = new Map<string, User>([[me.id, users[me.id] ?? me]]);
    for (const u of props.members ?? []) people.set(u.id, users[u.id] ?? u);
    for (const m of messages) {
      const u = users[m.senderId];
      if (u) people.set(u.id, u);
    }
    return ambiguousNames([...people.values()]);
  }, [messages, users, me, props.members]);

  const measure = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    fromBottomRef.current = el.scrollHeight - el.scrollTop - el.clientHeight;
    const bottom = fromBottomRef.current < NEAR_BOTTOM_PX;
    if (bottom !== atBottomRef.current) {
      atBottomRef.current = bottom;
      setAtBottom(bottom);
      props.onBottomChange(bottom);
    }
    if (el.scrollTop < NEAR_TOP_PX && timeline.loaded && timeline.hasMoreBefore && !timeline.loading) props.onLoadOlder();
  }, [props, timeline.loaded, timeline.hasMoreBefore, timeline.loading]);

  // After each render: keep the bottom in view when it was, or keep the view still when older messages came in above.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const firstId = messages[0]?.id;
    if (!initialScrollDone.current) {
      if (!timeline.loaded) return;
      initialScrollDone.current = true;
      firstIdRef.current = firstId;
      const divider = el.querySelector<HTMLElement>('[data-testid="new-messages-divider"]');
      if (divider && divider.offsetTop > el.clientHeight / 2) el.scrollTop = divider.offsetTop - 60;
      else el.scrollTop = el.scrollHeight;
      measure();
      return;
    }
    if (atBottomRef.current) el.scrollTop = el.scrollHeight;
    else if (firstId !== firstIdRef.current) el.scrollTop = el.scrollHeight - el.clientHeight - fromBottomRef.current;
    firstIdRef.current = firstId;
    measure();
  });

  // The list may be too short to scroll: keep loading older pages until it fills the view.
  useEffect(() => {
    const el = ref.current;
    if (el && timeline.loaded && timeline.hasMoreBefore && !timeline.loading && el.scrollHeight <= el.clientHeight + NEAR_TOP_PX) props.onLoadOlder();
  });

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (atBottomRef.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Scroll to a message asked for (reply quote, search result) and flash it.
  useEffect(() => {
    if (!props.focusMessageId) return;
    const target = document.getElementById(`msg-${props.focusMessageId}`);
    if (!target) return;
    atBottomRef.current = false;
    target.scrollIntoView({ block: 'center' });
    target.classList.remove('flash');
    void target.offsetWidth;
    target.classList.add('flash');
    target.focus({ preventScroll: true });
    props.onFocused();
  });

  const toLatest = () => {
    const el = ref.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    measure();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    const current = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="message"]');
    if (!current || e.target !== current) return;
    const all = [...(ref.current?.querySelectorAll<HTMLElement>('[data-testid="message"]') ?? [])];
    const next = all[all.indexOf(current) + (e.key === 'ArrowUp' ? -1 : 1)];
    if (!next) return;
    e.preventDefault();
    current.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  };

  const firstUnread = messages.find((m) => m.seq > unreadAfter && m.senderId !== me.id && !m.deletedAt)?.id;
  const lastOwnSeen = conversation.kind === 'direct' ? [...messages].reverse().find((m) => m.senderId === me.id && m.seq <= peerRead)?.id : undefined;
  const newBelow = atBottom ? 0 : messages.filter((m) => m.seq > conversation.lastReadSeq && m.senderId !== me.id && !m.deletedAt).length;

  let prev: { senderId: string; createdAt: string; deleted: boolean } | null = null;
  let prevDay = '';
  const lastIndex = messages.length + pending.length - 1;
  return (
    <div className="message-list-wrap">
      <div className="message-list" ref={ref} onScroll={measure} role="log" aria-live="polite" aria-relevant="additions" aria-label="Messages" data-testid="message-list" onKeyDown={onKeyDown}>
        {timeline.loaded && !timeline.hasMoreBefore && (
          <div className="history-start" data-testid="history-start">
            This is the beginning of the conversation.
          </div>
        )}
        {timeline.loading && (
          <div className="history-loading" data-testid="history-loading" role="status">
            Loading messages…
          </div>
        )}
        {messages.map((m, i) => {
          const day = dayKey(m.createdAt);
          const newDay = day !== prevDay;
          const divider = m.id === firstUnread;
          const grouped = !newDay && !divider && isGrouped(prev, m);
          prevDay = day;
          prev = { senderId: m.senderId, createdAt: m.createdAt, deleted: m.deletedAt !== null };
          return (
            <Fragment key={m.id}>
              {newDay && (
                <div className="day-divider" data-testid="day-divider" role="separator">
                  <span>{formatDay(m.createdAt)}</span>
                </div>
              )}
              {divider && (
                <div className="new-divider" data-testid="new-messages-divider" role="separator">
                  <span>New messages</span>
                </div>
              )}
              <MessageItem
                message={m}
                original={m.replyTo ? (messages.find((x) => x.id === m.replyTo) ?? extra[m.replyTo]) : undefined}
                grouped={grouped}
                sender={users[m.senderId]}
                ambiguous={ambiguous.has(m.senderId)}
                me={me}
                users={users}
                actions={actions}
                canDelete={m.senderId === me.id || moderator}
                seen={m.id === lastOwnSeen}
                focusable={i === lastIndex}
              />
            </Fragment>
          );
        })}
        {pending.map((p, i) => {
          const cur = { senderId: me.id, createdAt: p.createdAt };
          const grouped = isGrouped(prev, cur) && dayKey(p.createdAt) === prevDay;
          prev = { ...cur, deleted: false };
          return (
            <PendingItem
              key={p.clientMsgId}
              pending={p}
              original={p.replyTo ? (messages.find((x) => x.id === p.replyTo) ?? extra[p.replyTo]) : undefined}
              grouped={grouped}
              sender={me}
              me={me}
              users={users}
              actions={actions}
              focusable={messages.length + i === lastIndex}
            />
          );
        })}
        {timeline.loaded && messages.length === 0 && pending.length === 0 && (
          <div className="empty-conversation" data-testid="empty-conversation">
            No messages yet. Say hello!
          </div>
        )}
      </div>
      {!atBottom && (
        <button type="button" className="jump-latest" data-testid="jump-to-latest" onClick={toLatest}>
          {newBelow > 0 ? `${newBelow} new ${newBelow === 1 ? 'message' : 'messages'} ↓` : 'Jump to latest ↓'}
        </button>
      )}
    </div>
  );
}
