/**
 * The conversation's messages: grouped by sender and day, older pages loaded on scrolling up
 * (keeping the view still) and newer ones on scrolling down (when opened at the first unread),
 * following the bottom while it is in view, with a "new messages" divider, a bar back up to it
 * and a button down to the latest, and system lines between. Reports which messages were seen
 * (scrolled into view), so only those are marked read. Arrow keys move between messages.
 *
 * A long list (more than VIRTUAL_FROM messages) is virtualized (@tanstack/react-virtual): only
 * the rows near the view are in the page, placed at their measured (or, not yet rendered,
 * estimated) offsets. The rows the reader may need besides those stay rendered: the "new
 * messages" divider, the focused message and its neighbours (arrow keys), a message being jumped
 * to, and the last one (the list's tab stop). Shorter lists render every row, measured all the
 * same, so growing past the limit keeps the view where it was.
 */
import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent, type ReactNode } from 'react';
import { defaultRangeExtractor, useVirtualizer, type Range, type VirtualItem } from '@tanstack/react-virtual';
import type { Conversation, Message, User } from '../../../src/client/index.js';
import { ambiguousNames } from '../name-clash.js';
import { shownMessages, type PendingMessage, type Timeline } from '../store/types.js';
import type { MessageActions } from './message-item.js';
import { RowContent, type RowContext } from './message-row.js';
import { estimateRow, rowsFor, VIRTUAL_FROM, type LineEntry, type Row } from './message-rows.js';
import { describeSystemEvent } from './system-line.js';
import { useSeenMessages } from './use-seen-messages.js';
import { useTranslation } from 'react-i18next';
import './message-list.css';
const NEAR_BOTTOM_PX = 48;
const NEAR_TOP_PX = 300;

/**
 * The rows' measured heights of the lists last shown (by conversation, or thread), so a list
 * opened again is placed at once where it was drawn, not re-measured from estimates.
 */
const savedSizes = new Map<string, VirtualItem[]>();
const SAVED_LISTS = 30;
/** The list's top padding (the same for every list): read once, then known at each mount. */
let knownScrollMargin = 0;
/** How the list is drawn: "off" draws every row as it always did (a comparison for the bench). */
type VirtualMode = 'auto' | 'off';

/** `localStorage['parley.virtualList'] = 'off'` turns the virtualized list off (bench/timeline.ts compares both). */
function virtualMode(): VirtualMode {
  try {
    return localStorage.getItem('parley.virtualList') === 'off' ? 'off' : 'auto';
  } catch {
    return 'auto';
  }
}

const byIdCache = new WeakMap<readonly Message[], Map<string, Message>>();
function messagesById(messages: readonly Message[]): Map<string, Message> {
  let byId = byIdCache.get(messages);
  if (!byId) {
    byId = new Map(messages.map((m) => [m.id, m]));
    byIdCache.set(messages, byId);
  }
  return byId;
}

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
  /** Which list this is, for keeping its rows' heights between visits (default: the conversation's id). */
  listKey?: string;
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
  const [atBottom, setAtBottom] = useState(true);
  const [dividerAbove, setDividerAbove] = useState(false);
  const [mode] = useState(virtualMode);
  const [scrollMargin, setScrollMargin] = useState(knownScrollMargin);
  // The focused row (kept rendered with its neighbours) and a message being jumped to.
  const [focusedKey, setFocusedKey] = useState<string | null>(null);
  const [jumpKey, setJumpKey] = useState<string | null>(null);
  const jumpingTo = useRef<string | null>(null);
  const messages = useMemo(() => shownMessages(timeline), [timeline]);
  const byId = useMemo(() => messagesById(messages), [messages]);
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

  const firstUnread = useMemo(() => messages.find((m) => m.seq > unreadAfter && m.senderId !== me.id && !m.deletedAt)?.id, [messages, unreadAfter, me.id]);
  const lastOwnSeen = useMemo(() => {
    if (conversation.kind !== 'direct') return undefined;
    for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.senderId === me.id && messages[i]!.seq <= peerRead) return messages[i]!.id;
    return undefined;
  }, [conversation.kind, messages, me.id, peerRead]);
  const newBelow = atBottom ? 0 : conversation.unreadCount;
  // System lines between the shown messages (and before the first, at the start of the history).
  const firstSeq = messages[0]?.seq ?? 0;
  const lines = useMemo(() => {
    const out: LineEntry[] = [];
    for (const event of timeline.notices) {
      if (timeline.hasMoreBefore && event.seq < firstSeq) continue;
      if (timeline.loadedThrough !== null && event.seq > timeline.loadedThrough) continue;
      const text = describeSystemEvent(event, users, me.id);
      if (text) out.push({ event, text });
    }
    return out;
    // t: the lines are in the current language.
  }, [timeline.notices, timeline.hasMoreBefore, timeline.loadedThrough, firstSeq, users, me.id, t]);
  const showEmpty = timeline.loaded && messages.length === 0 && pending.length === 0 && props.emptyText !== '';
  const { rows, index: indexByKey } = useMemo(
    () =>
      rowsFor({
        messages,
        pending,
        lines,
        meId: me.id,
        firstUnread,
        showStart: timeline.loaded && !timeline.hasMoreBefore,
        loading: timeline.loading,
        loadedThrough: timeline.loadedThrough,
        showEmpty,
      }),
    [messages, pending, lines, me.id, firstUnread, timeline.loaded, timeline.hasMoreBefore, timeline.loading, timeline.loadedThrough, showEmpty],
  );
  const virtual = mode !== 'off' && messages.length > VIRTUAL_FROM;
  const virtualRef = useRef(virtual);
  virtualRef.current = virtual;

  // Rows kept rendered wherever the view is.
  const pinned = useMemo(() => {
    const out: number[] = [];
    const add = (key: string | null | undefined, around = 0) => {
      const i = key ? indexByKey.get(key) : undefined;
      if (i === undefined) return;
      for (let k = Math.max(0, i - around); k <= Math.min(rows.length - 1, i + around); k++) out.push(k);
    };
    add(firstUnread);
    add(focusedKey, 2);
    add(jumpKey);
    // The list's tab stop: the last message (or pending one).
    const lastPending = pending.at(-1);
    add(lastPending ? `pending-${lastPending.clientMsgId}` : messages.at(-1)?.id);
    return out;
  }, [indexByKey, rows.length, firstUnread, focusedKey, jumpKey, pending, messages]);
  const rangeExtractor = useCallback((range: Range) => [...new Set([...defaultRangeExtractor(range), ...pinned])].sort((a, b) => a - b), [pinned]);
  const getItemKey = useCallback((i: number) => rows[i]?.key ?? i, [rows]);
  const sizesKey = props.listKey ?? conversation.id;
  const [initialSizes] = useState(() => savedSizes.get(sizesKey) ?? []);
  const virtualizer = useVirtualizer({
    count: rows.length,
    initialMeasurementsCache: initialSizes,
    enabled: mode !== 'off',
    getScrollElement: () => ref.current,
    estimateSize: (i) => estimateRow(rows[i]),
    getItemKey,
    overscan: 6,
    scrollMargin,
    rangeExtractor,
  });
  // Drawn in place (not virtual), a row's height is already in the page: the view needs no correction.
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = (item, _delta, v) => {
    if (!virtualRef.current) return false;
    const offset = v.scrollOffset ?? 0;
    return v.itemSizeCache.has(item.key) ? item.end <= offset && v.scrollDirection !== 'backward' : item.start < offset;
  };

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    knownScrollMargin = parseFloat(getComputedStyle(el).paddingTop) || 0;
    setScrollMargin(knownScrollMargin);
  }, []);
  // Leaving: keep the measured heights for the next visit (the most recent lists only).
  useEffect(
    () => () => {
      const sizes: VirtualItem[] = [];
      for (const [key, size] of virtualizer.itemSizeCache) sizes.push({ key, size, index: 0, start: 0, end: size, lane: 0 });
      savedSizes.delete(sizesKey);
      if (sizes.length > 0) savedSizes.set(sizesKey, sizes);
      if (savedSizes.size > SAVED_LISTS) savedSizes.delete(savedSizes.keys().next().value!);
    },
    [virtualizer, sizesKey],
  );

  /** Where an element's top is in the list's content (its scroll coordinates). */
  const contentTop = (target: HTMLElement): number => {
    const el = ref.current!;
    return target.getBoundingClientRect().top - el.getBoundingClientRect().top + el.scrollTop - el.clientTop;
  };
  /** The "new messages" divider's top and height, from the page, else (not rendered yet) from the row's place. */
  const dividerBox = (): { top: number; height: number } | null => {
    const el = ref.current;
    const divider = el?.querySelector<HTMLElement>('[data-testid="new-messages-divider"]');
    if (divider) return { top: contentTop(divider), height: divider.offsetHeight };
    const i = firstUnread ? indexByKey.get(firstUnread) : undefined;
    const item = i === undefined || !virtualRef.current ? undefined : virtualizer.measurementsCache[i];
    return item ? { top: item.start, height: 0 } : null;
  };

  const onBottomChange = props.onBottomChange;
  const setBottom = useCallback(
    (bottom: boolean) => {
      if (bottom === atBottomRef.current) return;
      atBottomRef.current = bottom;
      setAtBottom(bottom);
      onBottomChange(bottom);
    },
    [onBottomChange],
  );

  const measure = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    fromBottomRef.current = el.scrollHeight - el.scrollTop - el.clientHeight;
    // With newer messages not loaded yet, the end of the list is not the bottom of the conversation.
    setBottom(fromBottomRef.current < NEAR_BOTTOM_PX && !gapAfter);
    const divider = dividerBox();
    setDividerAbove(divider !== null && divider.top + divider.height < el.scrollTop);
    if (!timeline.loaded || timeline.loading) return;
    if (el.scrollTop < NEAR_TOP_PX && timeline.hasMoreBefore) props.onLoadOlder();
    else if (gapAfter && fromBottomRef.current < NEAR_TOP_PX) props.onLoadNewer();
    // dividerBox reads the rows and the virtualizer, which this render has.
  }, [props, setBottom, timeline.loaded, timeline.hasMoreBefore, timeline.loading, gapAfter, rows]);

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
      const divider = dividerBox();
      if (divider) el.scrollTop = divider.top - 60;
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
    const id = props.focusMessageId;
    if (!id) return;
    const target = document.getElementById(`${props.idPrefix ?? 'msg-'}${id}`);
    if (virtual) {
      // Not necessarily rendered: kept rendered while it is brought into view at its (measured) place.
      const index = indexByKey.get(id);
      if (index === undefined) return;
      if (jumpingTo.current !== id) {
        jumpingTo.current = id;
        // Left the bottom (the button back to the latest shows).
        setBottom(false);
        setJumpKey(id);
        virtualizer.scrollToIndex(index, { align: 'center' });
        return;
      }
      if (!target) return;
      jumpingTo.current = null;
    } else {
      if (!target) return;
      setBottom(false);
      target.scrollIntoView({ block: 'center' });
    }
    target.classList.remove('flash');
    void target.offsetWidth;
    target.classList.add('flash');
    target.focus({ preventScroll: true });
    props.onFocused();
  });
  // The jump is over once the message has been left (focus went elsewhere).
  useEffect(() => {
    if (jumpKey && !props.focusMessageId && focusedKey !== jumpKey) setJumpKey(null);
  }, [jumpKey, focusedKey, props.focusMessageId]);

  useSeenMessages(ref, initialScrollDone, props.onSeen);

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
    const divider = dividerBox();
    if (!el || !divider) return;
    el.scrollTop = divider.top - 60;
    measure();
    el.querySelector<HTMLElement>(`[data-testid="message"][data-message-id="${firstUnread ?? ''}"]`)?.focus({ preventScroll: true });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    const current = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="message"]');
    if (!current || e.target !== current) return;
    // The focused row's neighbours are rendered (pinned), so the next one is in the page.
    const all = [...(ref.current?.querySelectorAll<HTMLElement>('[data-testid="message"]') ?? [])];
    const next = all[all.indexOf(current) + (e.key === 'ArrowUp' ? -1 : 1)];
    if (!next) return;
    e.preventDefault();
    current.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  };

  const rowKeyOf = (node: EventTarget | null): string | null => {
    const row = node instanceof HTMLElement ? node.closest<HTMLElement>('[data-row-key]') : null;
    return row?.dataset.rowKey ?? null;
  };
  const onFocus = (e: FocusEvent<HTMLDivElement>) => setFocusedKey(rowKeyOf(e.target));
  const onBlur = (e: FocusEvent<HTMLDivElement>) => {
    if (!(e.relatedTarget instanceof Node) || !e.currentTarget.contains(e.relatedTarget)) setFocusedKey(null);
  };

  const rowContext: RowContext = {
    messages,
    pending,
    byId,
    extra,
    users,
    me,
    actions,
    moderator,
    ambiguous,
    lastOwnSeen,
    start: props.start,
    emptyText: props.emptyText,
    idPrefix: props.idPrefix,
  };
  const renderRow = (row: Row) => <RowContent row={row} ctx={rowContext} />;

  let content: ReactNode;
  if (mode === 'off') {
    // Every row in the page, as the list was before it was virtualized.
    content = rows.map((row) => <Fragment key={row.key}>{renderRow(row)}</Fragment>);
  } else {
    const items = virtual ? virtualizer.getVirtualItems() : rows.map((_, index) => ({ index, start: 0 }));
    content = (
      <div className={`message-rows${virtual ? ' virtual' : ''}`} style={virtual ? { height: virtualizer.getTotalSize() } : undefined}>
        {items.map(({ index, start }) => {
          const row = rows[index]!;
          return (
            <div key={row.key} className="message-row" data-index={index} data-row-key={row.key} ref={virtualizer.measureElement} style={virtual ? { top: start - scrollMargin } : undefined}>
              {renderRow(row)}
            </div>
          );
        })}
      </div>
    );
  }

  return (
    <div className="message-list-wrap">
      <div
        className="message-list"
        ref={ref}
        onScroll={measure}
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        aria-label={props.label ?? t('messages.label')}
        data-testid="message-list"
        data-virtual={virtual ? 'true' : 'false'}
        onKeyDown={onKeyDown}
        onFocus={onFocus}
        onBlur={onBlur}
      >
        {content}
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
