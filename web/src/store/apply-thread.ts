/**
 * Threads in the state (pure functions): roots' summaries, the replies of opened threads, the
 * reader's following and unread counts per thread, and the Threads badge's totals.
 */
import type { Message, Thread, ThreadSummary } from '../../../src/client/index.js';
import { mergeMessages } from './merge.js';
import type { ChatState, KnownThread, ThreadList } from './types.js';

const UNREAD_CAP = 1000;

export const EMPTY_THREAD_LIST: ThreadList = { ids: [], loaded: false, nextCursor: null, unreadThreads: 0, unreadMentions: 0 };

/** What a thread adds to the badge: one unread thread, and its unread mentions, when followed. */
function contribution(t: KnownThread | undefined): [number, number] {
  if (!t?.following) return [0, 0];
  return [t.unreadCount > 0 ? 1 : 0, t.mentionCount];
}

/** Stores a thread's viewer state, moving the badge's totals by what changed. */
export function putThread(s: ChatState, t: KnownThread): ChatState {
  const before = contribution(s.threads[t.rootId]);
  const after = contribution(t);
  const list = s.threadList;
  const listed = list.ids.includes(t.rootId) || !t.following || !list.loaded ? list.ids : [...list.ids, t.rootId];
  return {
    ...s,
    threads: { ...s.threads, [t.rootId]: t },
    threadList: {
      ...list,
      ids: listed,
      unreadThreads: Math.max(0, list.unreadThreads + after[0] - before[0]),
      unreadMentions: Math.max(0, list.unreadMentions + after[1] - before[1]),
    },
  };
}

/**
 * A thread as the server just said. Replies that came live after the server counted (seq past its
 * last reply) keep the counts we made.
 */
export function fetchedThread(s: ChatState, t: Thread): KnownThread {
  const known = s.threads[t.rootId];
  if (known && known.countedThrough > t.lastReplySeq) {
    return { ...t, lastReadSeq: Math.max(known.lastReadSeq, t.lastReadSeq), unreadCount: known.unreadCount, mentionCount: known.mentionCount, countedThrough: known.countedThrough };
  }
  return { ...t, countedThrough: t.lastReplySeq };
}

/** A page of GET /threads: the first replaces the list and the totals, the next ones append. */
export function mergeThreadPage(s: ChatState, page: { threads: Thread[]; nextCursor: string | null; unreadThreads: number; unreadMentions: number }, first: boolean): ChatState {
  const threads = { ...s.threads };
  for (const t of page.threads) threads[t.rootId] = fetchedThread(s, t);
  const ids = page.threads.map((t) => t.rootId);
  return {
    ...s,
    threads,
    threadList: {
      ids: first ? ids : [...s.threadList.ids, ...ids.filter((id) => !s.threadList.ids.includes(id))],
      loaded: true,
      nextCursor: page.nextCursor,
      unreadThreads: page.unreadThreads,
      unreadMentions: page.unreadMentions,
    },
  };
}

/** Applies `fn` to a message wherever a thread keeps a copy: the replies of opened threads and the roots of known threads. */
export function mapThreadCopies(s: ChatState, messageId: string, fn: (m: Message) => Message): ChatState {
  let next = s;
  for (const [rootId, r] of Object.entries(s.replies)) {
    const i = r.messages.findIndex((m) => m.id === messageId);
    if (i < 0) continue;
    const messages = r.messages.slice();
    messages[i] = fn(messages[i]!);
    next = { ...next, replies: { ...next.replies, [rootId]: { ...r, messages } } };
  }
  const t = next.threads[messageId];
  if (t) next = { ...next, threads: { ...next.threads, [messageId]: { ...t, root: fn(t.root) } } };
  return next;
}

/** A reply loaded in an opened thread, if it is. */
export function findReply(s: ChatState, rootId: string, messageId: string): Message | undefined {
  return s.replies[rootId]?.messages.find((m) => m.id === messageId);
}

/**
 * A root's new summary (from a reply's event), on every copy of the root: its timeline message,
 * a copy fetched alone, and the thread's viewer state. `null`: no live reply is left.
 */
export function applySummary(s: ChatState, conversationId: string, rootId: string, summary: ThreadSummary | null, mapMessage: (s: ChatState, cid: string, id: string, fn: (m: Message) => Message) => ChatState): ChatState {
  let next = mapMessage(s, conversationId, rootId, (m) => ({ ...m, thread: summary }));
  const t = next.threads[rootId];
  if (t) {
    next = {
      ...next,
      threads: {
        ...next.threads,
        [rootId]: {
          ...t,
          replyCount: summary?.replyCount ?? 0,
          lastReplyAt: summary?.lastReplyAt ?? null,
          lastReplySeq: summary?.lastReplySeq ?? t.lastReplySeq,
          participantIds: summary?.participantIds ?? [],
        },
      },
    };
  }
  return next;
}

/** A reply arrived (live or replayed): into the opened thread's replies, and into the reader's counts of it. */
export function applyReplyCreated(s: ChatState, m: Message): ChatState {
  const rootId = m.threadId!;
  let next = s;
  const r = next.replies[rootId];
  // Also while the first page loads: it is merged under the live ones.
  if (r) next = { ...next, replies: { ...next.replies, [rootId]: { ...r, messages: mergeMessages(r.messages, [m]) } } };
  const t = next.threads[rootId];
  if (!t || m.seq <= t.countedThrough) return next;
  const me = next.me.id;
  let updated: KnownThread;
  if (m.senderId === me) {
    // Posting a reply follows the thread and reads it up to the reply.
    updated = { ...t, following: true, lastReadSeq: Math.max(t.lastReadSeq, m.seq), unreadCount: 0, mentionCount: 0, countedThrough: m.seq };
  } else {
    const unread = m.seq > t.lastReadSeq;
    const mentioned = m.mentions.includes(me);
    updated = {
      ...t,
      // Being mentioned follows the thread (again).
      following: t.following || mentioned,
      unreadCount: unread ? Math.min(UNREAD_CAP, t.unreadCount + 1) : t.unreadCount,
      mentionCount: unread && mentioned ? t.mentionCount + 1 : t.mentionCount,
      countedThrough: m.seq,
    };
  }
  return putThread(next, updated);
}

/**
 * A reply was deleted: it leaves the reader's unread count when it was counted there. Returns
 * `unsure` when the reply was not loaded and the thread had unread replies (the store refetches it).
 */
export function applyReplyDeleted(s: ChatState, rootId: string, messageId: string): { state: ChatState; unsure: boolean } {
  const t = s.threads[rootId];
  if (!t || t.unreadCount === 0) return { state: s, unsure: false };
  const reply = findReply(s, rootId, messageId);
  if (!reply) return { state: s, unsure: true };
  if (reply.deletedAt || reply.senderId === s.me.id || reply.seq <= t.lastReadSeq) return { state: s, unsure: false };
  const mentioned = reply.mentions.includes(s.me.id);
  return { state: putThread(s, { ...t, unreadCount: t.unreadCount - 1, mentionCount: mentioned ? Math.max(0, t.mentionCount - 1) : t.mentionCount }), unsure: false };
}

/**
 * Following or reading changed on another device (the thread.state frame). Returns `unsure` when
 * the counts after the new pointer are not known here (the store refetches the thread).
 */
export function applyThreadState(s: ChatState, f: { rootId: string; following: boolean; lastReadSeq: number }): { state: ChatState; unsure: boolean } {
  const t = s.threads[f.rootId];
  if (!t) return { state: s, unsure: true };
  const lastReadSeq = Math.max(t.lastReadSeq, f.lastReadSeq);
  const allRead = lastReadSeq >= t.lastReplySeq;
  const moved = lastReadSeq > t.lastReadSeq;
  const next = { ...t, following: f.following, lastReadSeq, ...(allRead ? { unreadCount: 0, mentionCount: 0 } : {}) };
  return { state: putThread(s, next), unsure: moved && !allRead };
}

/** The reader read a thread up to `seq` (here): what is left unread is known only when all of it is read. */
export function applyThreadRead(s: ChatState, rootId: string, seq: number): ChatState {
  const t = s.threads[rootId];
  if (!t || seq <= t.lastReadSeq) return s;
  const allRead = seq >= t.lastReplySeq;
  const me = s.me.id;
  const nowRead = (s.replies[rootId]?.messages ?? []).filter((m) => m.seq > t.lastReadSeq && m.seq <= seq && m.senderId !== me && !m.deletedAt);
  return putThread(s, {
    ...t,
    lastReadSeq: seq,
    unreadCount: allRead ? 0 : Math.max(0, t.unreadCount - nowRead.length),
    mentionCount: allRead ? 0 : Math.max(0, t.mentionCount - nowRead.filter((m) => m.mentions.includes(me)).length),
  });
}

/** The threads of a conversation the reader is no longer in: out of the list and the badge. */
export function dropConversationThreads(s: ChatState, conversationId: string): ChatState {
  const gone = Object.values(s.threads).filter((t) => t.conversationId === conversationId);
  if (gone.length === 0) return s;
  let unreadThreads = s.threadList.unreadThreads;
  let unreadMentions = s.threadList.unreadMentions;
  const threads = { ...s.threads };
  const replies = { ...s.replies };
  for (const t of gone) {
    const [n, m] = contribution(t);
    unreadThreads -= n;
    unreadMentions -= m;
    delete threads[t.rootId];
    delete replies[t.rootId];
  }
  const ids = s.threadList.ids.filter((id) => threads[id] !== undefined);
  return { ...s, threads, replies, threadList: { ...s.threadList, ids, unreadThreads: Math.max(0, unreadThreads), unreadMentions: Math.max(0, unreadMentions) } };
}

/** The Threads view's order, as the server's: unread first, then by last reply, newest first (ties keep the fetched order). */
export function sortedThreads(list: ThreadList, threads: Record<string, KnownThread>): KnownThread[] {
  const index = new Map(list.ids.map((id, i) => [id, i]));
  return list.ids
    .map((id) => threads[id])
    .filter((t): t is KnownThread => t !== undefined && t.following)
    .sort((a, b) => {
      const unread = Number(b.unreadCount > 0) - Number(a.unreadCount > 0);
      if (unread !== 0) return unread;
      if (a.lastReplyAt && b.lastReplyAt && a.lastReplyAt !== b.lastReplyAt) return b.lastReplyAt.localeCompare(a.lastReplyAt);
      return index.get(a.rootId)! - index.get(b.rootId)!;
    });
}
