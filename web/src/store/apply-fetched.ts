/**
 * What a fetch brings, folded into the state (pure: each returns the next state). The counterpart
 * of apply-event.ts: the store's actions fetch, these decide what the answer changes, and
 * tests/web/verify-state.test.ts checks that a state built from a fetch plus the events since
 * equals a fresh fetch (Zulip's verify_action).
 */
import type { Conversation, Member, Message, Pin } from '../../../src/client/index.js';
import { mergeMessages, mergeNotices, removeConversation } from './apply-event.js';
import type { ChatState, SystemEvent, Timeline } from './types.js';

export const EMPTY_TIMELINE: Timeline = { messages: [], loadedThrough: null, notices: [], hasMoreBefore: true, loading: false, loaded: false };

/** When a conversation was last active: its last message, else its creation. */
export function activityOf(c: Conversation): string {
  return c.lastMessage?.createdAt ?? c.createdAt;
}

/**
 * The whole inbox (at start and after a reconnect): conversations joined meanwhile appear, those
 * left or deleted go; one a live event has already moved past what the list shows keeps its own.
 */
export function applyInbox(s: ChatState, list: readonly Conversation[]): ChatState {
  const conversations: Record<string, Conversation> = {};
  const activity: Record<string, string> = {};
  const users = { ...s.users };
  for (const c of list) {
    const known = s.conversations[c.id];
    const ahead = known !== undefined && known.lastSeq > c.lastSeq;
    conversations[c.id] = ahead ? known : c;
    activity[c.id] = ahead ? (s.activity[c.id] ?? activityOf(c)) : activityOf(c);
    if (c.peer) users[c.peer.id] = c.peer;
  }
  let next: ChatState = { ...s, conversations, activity, users, inboxLoaded: true };
  for (const id of Object.keys(s.conversations)) if (!conversations[id]) next = removeConversation(next, id);
  return next;
}

/** One conversation fetched (or answered by an action): added, or refreshed; live events newer than it win. */
export function applyConversation(s: ChatState, c: Conversation): ChatState {
  const known = s.conversations[c.id];
  const merged = known && known.lastSeq > c.lastSeq ? { ...c, lastSeq: known.lastSeq, lastMessage: known.lastMessage } : c;
  return {
    ...s,
    conversations: { ...s.conversations, [c.id]: merged },
    activity: { ...s.activity, [c.id]: activityOf(merged) },
    users: c.peer ? { ...s.users, [c.peer.id]: c.peer } : s.users,
  };
}

/**
 * A conversation's first pages: `messages` ascending; `hasMoreBefore` whether older ones exist;
 * `loadedThrough` the last loaded seq when the newest are not loaded yet (opened at the first
 * unread), else null. Live messages that arrived meanwhile stay.
 */
export function applyFirstPage(s: ChatState, id: string, messages: readonly Message[], hasMoreBefore: boolean, loadedThrough: number | null): ChatState {
  const cur = s.timelines[id] ?? EMPTY_TIMELINE;
  const timeline: Timeline = { ...cur, messages: mergeMessages(cur.messages, [...messages], true), loadedThrough, hasMoreBefore, loading: false, loaded: true };
  return { ...s, timelines: { ...s.timelines, [id]: timeline } };
}

/** System lines read for a stretch of history. */
export function applyNotices(s: ChatState, id: string, found: readonly SystemEvent[]): ChatState {
  const t = s.timelines[id];
  if (!t) return s;
  const notices = mergeNotices(t.notices, found);
  return notices === t.notices ? s : { ...s, timelines: { ...s.timelines, [id]: { ...t, notices } } };
}

/** A group's whole member list; its members are users we know from now on. */
export function applyMembers(s: ChatState, groupId: string, members: readonly Member[]): ChatState {
  const users = { ...s.users };
  for (const m of members) users[m.user.id] = m.user;
  return { ...s, members: { ...s.members, [groupId]: [...members] }, users };
}

/** A conversation's pins, newest first; their messages go to `extra` (a timeline's own copy wins when shown). */
export function applyPins(s: ChatState, conversationId: string, list: readonly Pin[]): ChatState {
  const extra = { ...s.extra };
  for (const p of list) extra[p.message.id] = p.message;
  const refs = list.map((p) => ({ messageId: p.message.id, pinnedBy: p.pinnedBy, pinnedAt: p.pinnedAt }));
  return { ...s, extra, pins: { ...s.pins, [conversationId]: refs } };
}
