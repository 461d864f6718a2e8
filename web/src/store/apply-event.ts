/** Folds a conversation event into the state (pure: returns the next state). */
import type { Conversation, ConversationEvent, Message, MessageShared } from '../../../src/client/index.js';
import { applyReplyCreated, applyReplyDeleted, applySummary, dropConversationThreads, mapThreadCopies } from './apply-thread.js';
import { mergeMessages } from './merge.js';
import { inTimeline, type ChatState, type SystemEvent, type Timeline } from './types.js';
import { t } from '../i18n/index.js';

export { mergeMessages } from './merge.js';

const UNREAD_CAP = 1000;

/** Adds system lines to a timeline's, by seq, once each. */
export function mergeNotices(existing: SystemEvent[], incoming: readonly SystemEvent[]): SystemEvent[] {
  const fresh = incoming.filter((e) => e.seq > 0 && !existing.some((x) => x.seq === e.seq));
  if (fresh.length === 0) return existing;
  return [...existing, ...fresh].sort((a, b) => a.seq - b.seq);
}

function withNotice(state: ChatState, ev: SystemEvent): ChatState {
  const t = state.timelines[ev.conversationId];
  if (!t) return state;
  const notices = mergeNotices(t.notices, [ev]);
  return notices === t.notices ? state : setTimeline(state, ev.conversationId, { ...t, notices });
}

function mapMessage(state: ChatState, conversationId: string, messageId: string, fn: (m: Message) => Message): ChatState {
  const t = state.timelines[conversationId];
  let next = state;
  if (t) {
    const i = t.messages.findIndex((m) => m.id === messageId);
    if (i >= 0) {
      const messages = t.messages.slice();
      messages[i] = fn(messages[i]!);
      next = { ...next, timelines: { ...next.timelines, [conversationId]: { ...t, messages } } };
    }
  }
  const extra = next.extra[messageId];
  if (extra) next = { ...next, extra: { ...next.extra, [messageId]: fn(extra) } };
  const c = next.conversations[conversationId];
  if (c?.lastMessage?.id === messageId) {
    next = { ...next, conversations: { ...next.conversations, [conversationId]: { ...c, lastMessage: fn(c.lastMessage) } } };
  }
  return mapThreadCopies(next, messageId, fn);
}

function setTimeline(state: ChatState, id: string, t: Timeline): ChatState {
  return { ...state, timelines: { ...state.timelines, [id]: t } };
}

function setConversation(state: ChatState, c: Conversation): ChatState {
  return { ...state, conversations: { ...state.conversations, [c.id]: c } };
}

/** Drops a conversation the caller left, was removed from, or that was deleted. */
export function removeConversation(state: ChatState, id: string): ChatState {
  const { [id]: _c, ...conversations } = state.conversations;
  const { [id]: _t, ...timelines } = state.timelines;
  const { [id]: _m, ...members } = state.members;
  return dropConversationThreads({ ...state, conversations, timelines, members }, id);
}

/** The message with its "me" flags re-derived from the reader, since events carry none. */
function withOwnReactions(incoming: MessageShared, previous: Message | undefined): Message {
  const mine = new Set(previous?.reactions.filter((r) => r.me).map((r) => r.emoji));
  return { ...incoming, reactions: incoming.reactions.map((r) => ({ ...r, me: mine.has(r.emoji) })) };
}

function findMessage(state: ChatState, conversationId: string, id: string): Message | undefined {
  return state.timelines[conversationId]?.messages.find((m) => m.id === id) ?? state.extra[id] ?? Object.values(state.replies).flatMap((r) => r.messages).find((m) => m.id === id);
}

function withoutPin(state: ChatState, conversationId: string, messageId: string): ChatState {
  const list = state.pins[conversationId];
  if (!list?.some((p) => p.messageId === messageId)) return state;
  return { ...state, pins: { ...state.pins, [conversationId]: list.filter((p) => p.messageId !== messageId) } };
}

/**
 * The inbox shows a conversation's newest message still there: when that one is deleted, the one
 * before it, if the loaded timeline reaches the newest and holds it (else the caller refetches the
 * conversation: see previewUnknown). Its time is then the conversation's activity.
 */
function previewAfterDelete(s: ChatState, id: string, messageId: string): ChatState {
  const c = s.conversations[id];
  const t = s.timelines[id];
  if (!c || c.lastMessage?.id !== messageId || !t?.loaded || t.loadedThrough !== null) return s;
  const newest = t.messages.findLast((m) => !m.deletedAt && inTimeline(m));
  if (!newest && t.hasMoreBefore) return s;
  const next = { ...c, lastMessage: newest ?? null };
  return { ...setConversation(s, next), activity: { ...s.activity, [id]: newest?.createdAt ?? c.createdAt } };
}

/**
 * An event of a conversation the client does not hold (it was added to a group, or a direct
 * conversation began): the conversation is to be fetched. Not for one it is leaving or that is gone.
 */
export function conversationToFetch(s: ChatState, ev: ConversationEvent): boolean {
  if (s.conversations[ev.conversationId]) return false;
  return ev.type !== 'conversation.deleted' && !(ev.type === 'member.left' && ev.member.user.id === s.me.id);
}

/** The inbox entry still shows a deleted message: the page could not tell what comes before it, a fetch can. */
export function previewUnknown(s: ChatState, id: string): boolean {
  return s.conversations[id]?.lastMessage?.deletedAt != null;
}

/** Applies one event. `conv` is the conversation before it (events of unknown ones only fill timelines). */
export function applyEvent(state: ChatState, ev: ConversationEvent): ChatState {
  const id = ev.conversationId;
  let s = state;
  const before = s.conversations[id];
  if (before && ev.seq > before.lastSeq) s = setConversation(s, { ...before, lastSeq: ev.seq });
  switch (ev.type) {
    case 'message.created': {
      // Events carry no per-viewer `me`: a replay keeps the viewer's own reactions as known.
      const m = withOwnReactions(ev.message, findMessage(s, id, ev.message.id));
      // A reply shown only in its thread stays out of the timeline, its preview and its counts.
      const shown = inTimeline(m);
      const t = s.timelines[id];
      if (t && shown) s = setTimeline(s, id, { ...t, messages: mergeMessages(t.messages, [m]) });
      const pend = s.pending[id];
      if (m.senderId === s.me.id && m.clientMsgId && pend?.some((p) => p.clientMsgId === m.clientMsgId)) {
        s = { ...s, pending: { ...s.pending, [id]: pend.filter((p) => p.clientMsgId !== m.clientMsgId) } };
      }
      if (m.threadId) {
        if (ev.thread) s = applySummary(s, id, m.threadId, ev.thread, mapMessage);
        s = applyReplyCreated(s, m);
      }
      const c = s.conversations[id];
      if (c && shown) {
        const counted = before !== undefined && ev.seq <= before.lastSeq; // already in the inbox's counts
        const mine = m.senderId === s.me.id;
        s = setConversation(s, {
          ...c,
          lastMessage: m,
          lastReadSeq: mine ? Math.max(c.lastReadSeq, m.seq) : c.lastReadSeq,
          unreadCount: mine ? 0 : counted || m.seq <= c.lastReadSeq ? c.unreadCount : Math.min(UNREAD_CAP, c.unreadCount + 1),
          mentionCount: !mine && !counted && m.seq > c.lastReadSeq && m.mentions.includes(s.me.id) ? c.mentionCount + 1 : mine ? 0 : c.mentionCount,
        });
        s = { ...s, activity: { ...s.activity, [id]: m.createdAt } };
      }
      if (s.typing[id]?.[m.senderId]) {
        const { [m.senderId]: _gone, ...rest } = s.typing[id];
        s = { ...s, typing: { ...s.typing, [id]: rest } };
      }
      return s;
    }
    case 'message.updated':
      return mapMessage(s, id, ev.message.id, (prev) => withOwnReactions(ev.message, prev));
    case 'message.pinned': {
      const list = s.pins[id];
      if (!list) return s;
      const pin = { messageId: ev.messageId, pinnedBy: ev.pinnedBy, pinnedAt: ev.createdAt };
      return { ...s, pins: { ...s.pins, [id]: [pin, ...list.filter((p) => p.messageId !== ev.messageId)] } };
    }
    case 'message.unpinned':
      return withoutPin(s, id, ev.messageId);
    case 'message.deleted': {
      // A deleted message is no longer pinned (the server leaves it out of the list).
      s = withoutPin(s, id, ev.messageId);
      const prev = findMessage(s, id, ev.messageId);
      const c = s.conversations[id];
      if (c && prev && inTimeline(prev) && !prev.deletedAt && prev.senderId !== s.me.id && prev.seq > c.lastReadSeq) {
        // An unread message gone is one fewer unread, and one fewer mention if it named the reader.
        const mentioned = prev.mentions.includes(s.me.id);
        s = setConversation(s, { ...c, unreadCount: Math.max(0, c.unreadCount - 1), mentionCount: mentioned ? Math.max(0, c.mentionCount - 1) : c.mentionCount });
      }
      if (ev.threadId) s = applyReplyDeleted(s, ev.threadId, ev.messageId).state;
      // The tombstone as the server presents it (the event's time is the message's deletedAt).
      s = mapMessage(s, id, ev.messageId, (m) => {
        const { previews: _gone, ...rest } = m;
        return { ...rest, body: '', mentions: [], attachments: [], reactions: [], deletedAt: m.deletedAt ?? ev.createdAt };
      });
      // A reply's deletion carries its root's summary after it (none: no live reply is left).
      if (ev.threadId) s = applySummary(s, id, ev.threadId, ev.thread ?? null, mapMessage);
      return previewAfterDelete(s, id, ev.messageId);
    }
    case 'reaction.added':
    case 'reaction.removed': {
      const mine = ev.userId === s.me.id;
      const delta = ev.type === 'reaction.added' ? 1 : -1;
      return mapMessage(s, id, ev.messageId, (m) => {
        const r = m.reactions.find((x) => x.emoji === ev.emoji);
        // Our own reaction was shown when we clicked: do not count it twice.
        if (mine && r && r.me === (delta > 0)) return m;
        if (mine && !r && delta < 0) return m;
        const count = (r?.count ?? 0) + delta;
        const me = mine ? delta > 0 : (r?.me ?? false);
        const reactions = r
          ? m.reactions.map((x) => (x.emoji === ev.emoji ? { ...x, count, me } : x)).filter((x) => x.count > 0)
          : [...m.reactions, { emoji: ev.emoji, count, me }];
        return { ...m, reactions };
      });
    }
    case 'member.joined':
    case 'member.updated': {
      s = withNotice(s, ev);
      const member = ev.member;
      s = { ...s, users: { ...s.users, [member.user.id]: member.user } };
      const list = s.members[id];
      if (list) {
        const others = list.filter((x) => x.user.id !== member.user.id);
        s = { ...s, members: { ...s.members, [id]: [...others, member] } };
      }
      const c = s.conversations[id];
      if (c && ev.type === 'member.joined' && !list?.some((x) => x.user.id === member.user.id)) {
        s = setConversation(s, { ...c, memberCount: c.memberCount + 1 });
      }
      return s;
    }
    case 'member.left': {
      if (ev.member.user.id === s.me.id) {
        // Removed or banned by an admin: say so, rather than the group silently vanishing.
        if (before && (ev.reason === 'removed' || ev.reason === 'banned') && !s.removals.some((r) => r.conversationId === id)) {
          s = { ...s, removals: [...s.removals, { conversationId: id, name: before.name ?? t('removal.aGroup'), reason: ev.reason, by: ev.by ?? null }] };
        }
        return removeConversation(s, id);
      }
      s = withNotice(s, ev);
      const list = s.members[id];
      if (list) s = { ...s, members: { ...s.members, [id]: list.filter((x) => x.user.id !== ev.member.user.id) } };
      const c = s.conversations[id];
      if (c) s = setConversation(s, { ...c, memberCount: Math.max(0, c.memberCount - 1) });
      return s;
    }
    case 'conversation.updated': {
      s = withNotice(s, ev);
      const c = s.conversations[id];
      if (!c) return s;
      const u = ev.conversation;
      return setConversation(s, {
        ...c,
        name: u.name,
        description: u.description,
        visibility: u.visibility,
        postingPolicy: u.postingPolicy ?? c.postingPolicy,
        mentionAllPolicy: u.mentionAllPolicy ?? c.mentionAllPolicy,
        // Absent in events stored before these settings existed: keep what the client has.
        retentionDays: u.retentionDays === undefined ? c.retentionDays : u.retentionDays,
        historyVisibility: u.historyVisibility ?? c.historyVisibility,
        memberCount: u.memberCount,
        lastSeq: Math.max(c.lastSeq, u.lastSeq, ev.seq),
      });
    }
    case 'conversation.deleted':
      return removeConversation(s, id);
  }
}
