/**
 * The conversation's messages: grouped by sender and day, older pages loaded on scrolling up
 * (keeping the view still) and newer ones on scrolling down (when opened at the first unread),
 * following the bottom while it is in view, with a "new messages" divider, a bar back up to it
 * and a button down to the latest, and system lines between. Reports which messages were seen
 * (scrolled into view), so only those are marked read. Arrow keys move between messages.
 */
import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { Conversation, Message, User } from '../../../src/client/index.js';
import { dayKey, formatDay } from '../format.js';
import { ambiguousNames } from '../name-clash.js';
import { shownMessages, type PendingMessage, type SystemEvent, type Timeline } from '../store/types.js';
import { MessageItem, PendingItem, type MessageActions } from './message-item.js';
import { describeSystemEvent, SystemLine } from './system-line.js';
import { useTranslation } from 'react-i18next';

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
  /** How many were unread when the conversation was opened (the bar back up to the divider says so). */
  unreadAtOpen: number;
  /** The peer of a direct chat has read up to here. */
  peerRead: number;
  actions: MessageActions;
  onLoadOlder: () => void;
  /** Loads the page after the newest shown message (the timeline was opened far from the newest). */
  onLoadNewer: () => void;
  /** Loads the newest messages in place of what is shown (when they were not loaded). */
  onJumpLatest: () => Promise<void>;
  /** Called with true while the bottom is in view. */
  onBottomChange: (atBottom: boolean) => void;
  /** Called with the highest seq of a message the reader has had in view, as it grows. */
  onSeen: (seq: number) => void;
  /** Scrolls to this message once it is loaded. */
  focusMessageId: string | null;
  onFocused: () => void;
  /**
   * For a thread's replies (defaults are the conversation's): what stands before the first one
   * (its root), the text with none, the list's name, and the prefix of the messages' element ids.
   */
  start?: ReactNode;
  emptyText?: string;
  label?: string;
  idPrefix?: string;
}

function isGrouped(prev: { senderId: string; createdAt: string; deleted: boolean } | null, cur: { senderId: string; createdAt: string }): boolean {
  if (!prev || prev.deleted || prev.senderId !== cur.senderId) return false;
  if (dayKey(prev.createdAt) !== dayKey(cur.createdAt)) return false;
  return new Date(cur.createdAt).getTime() - new Date(prev.createdAt).getTime() < GROUP_GAP_MS;
}

export function MessageList(props: MessageListProps) {
  const { t } = useTranslation();
  const { conversation, timeline, pending, users, extra, me, moderator, unreadAfter, peerRead, actions } = props;
  const ref = useRef<HTMLDivElement>(null);
  const atBottomRef = useRef(true);
  const fromBottomRef = useRef(0);
  const firstIdRef = useRef<string | undefined>(undefined);
  const initialScrollDone = useRef(false);
  const toBottomRef = useRef(false);
  const seenRef = useRef(0);
  const [atBottom, setAtBottom] = useState(true);
  const [dividerAbove, setDividerAbove] = useState(false);
  const messages = useMemo(() => shownMessages(timeline), [timeline]);
  const gapAfter = timeline.loadedThrough !== null;
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
    // With newer messages not loaded yet, the end of the list is not the bottom of the conversation.
    const bottom = fromBottomRef.current < NEAR_BOTTOM_PX && !gapAfter;
    if (bottom !== atBottomRef.current) {
      atBottomRef.current = bottom;
      setAtBottom(bottom);
      props.onBottomChange(bottom);
    }
    const divider = el.querySelector<HTMLElement>('[data-testid="new-messages-divider"]');
    setDividerAbove(divider !== null && divider.offsetTop + divider.offsetHeight < el.scrollTop);
    if (!timeline.loaded || timeline.loading) return;
    if (el.scrollTop < NEAR_TOP_PX && timeline.hasMoreBefore) props.onLoadOlder();
    else if (gapAfter && fromBottomRef.current < NEAR_TOP_PX) props.onLoadNewer();
  }, [props, timeline.loaded, timeline.hasMoreBefore, timeline.loading, gapAfter]);

  // After each render: keep the bottom in view when it was, or keep the view still when older messages came in above.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const firstId = messages[0]?.id;
    if (!initialScrollDone.current) {
      if (!timeline.loaded) return;
      initialScrollDone.current = true;
      firstIdRef.current = firstId;
      // Land at the first unread (with a little of what came before), else at the bottom.
      const divider = el.querySelector<HTMLElement>('[data-testid="new-messages-divider"]');
      if (divider) el.scrollTop = divider.offsetTop - 60;
      else el.scrollTop = el.scrollHeight;
      measure();
      return;
    }
    if (toBottomRef.current && !gapAfter) {
      // The newest page came in place of the unread ones: show its end.
      toBottomRef.current = false;
      el.scrollTop = el.scrollHeight;
      firstIdRef.current = firstId;
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
    const target = document.getElementById(`${props.idPrefix ?? 'msg-'}${props.focusMessageId}`);
    if (!target) return;
    atBottomRef.current = false;
    target.scrollIntoView({ block: 'center' });
    target.classList.remove('flash');
    void target.offsetWidth;
    target.classList.add('flash');
    target.focus({ preventScroll: true });
    props.onFocused();
  });

  // Seen: a message whose lower half (or whole) has been in view counts as read.
  const onSeen = props.onSeen;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new IntersectionObserver(
      (entries) => {
        // Not before the list has landed where the reader starts (live messages can come in
        // while the first page loads, shown at the top for a moment).
        if (!initialScrollDone.current) return;
        let max = seenRef.current;
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          const bottomInView = e.rootBounds ? e.boundingClientRect.bottom <= e.rootBounds.bottom + 1 : false;
          if (e.intersectionRatio < 0.5 && !bottomInView) continue;
          max = Math.max(max, Number((e.target as HTMLElement).dataset.seq ?? 0));
        }
        if (max > seenRef.current) {
          seenRef.current = max;
          onSeen(max);
        }
      },
      { root: el, threshold: [0, 0.5, 1] },
    );
    for (const m of el.querySelectorAll<HTMLElement>('[data-testid="message"][data-seq]')) observer.observe(m);
    return () => observer.disconnect();
  }, [messages, onSeen]);

  const toLatest = () => {
    const el = ref.current;
    if (!el) return;
    if (gapAfter) {
      toBottomRef.current = true;
      void props.onJumpLatest();
      return;
    }
    el.scrollTop = el.scrollHeight;
    measure();
  };

  const toFirstUnread = () => {
    const el = ref.current;
    const divider = el?.querySelector<HTMLElement>('[data-testid="new-messages-divider"]');
    if (!el || !divider) return;
    el.scrollTop = divider.offsetTop - 60;
    measure();
    el.querySelector<HTMLElement>(`[data-testid="message"][data-message-id="${firstUnread ?? ''}"]`)?.focus({ preventScroll: true });
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
  const newBelow = atBottom ? 0 : conversation.unreadCount;
  // System lines between the shown messages (and before the first, at the start of the history).
  const firstSeq = messages[0]?.seq ?? 0;
  const lines = useMemo(() => {
    const out: { event: SystemEvent; text: string }[] = [];
    for (const event of timeline.notices) {
      if (timeline.hasMoreBefore && event.seq < firstSeq) continue;
      if (timeline.loadedThrough !== null && event.seq > timeline.loadedThrough) continue;
      const text = describeSystemEvent(event, users, me.id);
      if (text) out.push({ event, text });
    }
    return out;
    // t: the lines are in the current language.
  }, [timeline.notices, timeline.hasMoreBefore, timeline.loadedThrough, firstSeq, users, me.id, t]);
  let lineAt = 0;
  const linesBefore = (seq: number) => {
    const from = lineAt;
    while (lineAt < lines.length && lines[lineAt]!.event.seq < seq) lineAt++;
    return lines.slice(from, lineAt).map((l) => <SystemLine key={`sys-${l.event.seq}`} event={l.event} text={l.text} />);
  };

  let prev: { senderId: string; createdAt: string; deleted: boolean } | null = null;
  let prevDay = '';
  const lastIndex = messages.length + pending.length - 1;
  return (
    <div className="message-list-wrap">
      <div className="message-list" ref={ref} onScroll={measure} role="log" aria-live="polite" aria-relevant="additions" aria-label={props.label ?? t('messages.label')} data-testid="message-list" onKeyDown={onKeyDown}>
        {timeline.loaded &&
          !timeline.hasMoreBefore &&
          (props.start ?? (
            <div className="history-start" data-testid="history-start">
              {t('messages.start')}
            </div>
          ))}
        {timeline.loading && (
          <div className="history-loading" data-testid="history-loading" role="status">
            {t('messages.loading')}
          </div>
        )}
        {messages.map((m, i) => {
          const day = dayKey(m.createdAt);
          const newDay = day !== prevDay;
          const divider = m.id === firstUnread;
          const before = linesBefore(m.seq);
          const grouped = !newDay && !divider && before.length === 0 && isGrouped(prev, m);
          prevDay = day;
          prev = { senderId: m.senderId, createdAt: m.createdAt, deleted: m.deletedAt !== null };
          return (
            <Fragment key={m.id}>
              {before}
              {newDay && (
                <div className="day-divider" data-testid="day-divider" role="separator">
                  <span>{formatDay(m.createdAt)}</span>
                </div>
              )}
              {divider && (
                <div className="new-divider" data-testid="new-messages-divider" role="separator">
                  <span>{t('messages.newDivider')}</span>
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
                threadRoot={m.threadId ? (messages.find((x) => x.id === m.threadId) ?? extra[m.threadId]) : undefined}
                idPrefix={props.idPrefix}
              />
            </Fragment>
          );
        })}
        {linesBefore(timeline.loadedThrough ?? Number.MAX_SAFE_INTEGER)}
        {gapAfter && (
          <div className="history-loading" data-testid="history-more-below" role="status">
            {t('messages.loadingNewer')}
          </div>
        )}
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
        {timeline.loaded && messages.length === 0 && pending.length === 0 && props.emptyText !== '' && (
          <div className="empty-conversation" data-testid="empty-conversation">
            {props.emptyText ?? t('messages.empty')}
          </div>
        )}
      </div>
      {dividerAbove && props.unreadAtOpen > 0 && (
        <button type="button" className="jump-unread" data-testid="jump-to-unread" onClick={toFirstUnread}>
          {t('messages.newAbove', { count: props.unreadAtOpen })}
        </button>
      )}
      {!atBottom && (
        <button type="button" className="jump-latest" data-testid="jump-to-latest" onClick={toLatest}>
          {newBelow > 0 ? t('messages.newBelow', { count: newBelow }) : t('messages.jumpLatest')}
        </button>
      )}
    </div>
  );
}
