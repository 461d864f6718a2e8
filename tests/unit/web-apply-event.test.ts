/**
 * The web client's event reducer (web/src/store/apply-event.ts), one event type at a time: what
 * each does to the timeline, the inbox entry and its counts, reactions, pins, members and system
 * lines, and that a replayed event changes nothing twice.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation, ConversationEvent, ConversationShared, Member, Message, User } from '../../src/client/index.js';
import { applyEvent, previewUnknown } from '../../web/src/store/apply-event.js';
import { initialChatState } from '../../web/src/store/initial-state.js';
import type { ChatState } from '../../web/src/store/types.js';

const user = (id: string): User => ({ id, username: id, displayName: id.toUpperCase(), avatarUrl: null, createdAt: '2026-12-01T00:00:00.000Z', online: false, lastSeenAt: null, bot: false, siteAdmin: false });
const me = user('me');
const bob = user('bob');
const C = 'conv';
const at = (seq: number) => `2026-12-04T10:00:${String(seq).padStart(2, '0')}.000Z`;

function message(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`, conversationId: C, seq, senderId: 'bob', clientMsgId: null, body: `message ${seq}`, replyTo: null, threadId: null,
    alsoInConversation: false, thread: null, mentions: [], attachments: [], reactions: [], createdAt: at(seq), editedAt: null, deletedAt: null,
    ...over,
  };
}

function member(u: User, role: Member['role'] = 'member'): Member {
  return { user: u, role, joinedAt: at(0), mutedUntil: null, addedBy: null };
}

const conversation = (over: Partial<Conversation> = {}): Conversation => ({
  id: C, kind: 'group', name: 'Team', description: null, visibility: 'private', memberCount: 2, lastSeq: 2, lastMessage: message(2),
  unreadCount: 0, mentionCount: 0, lastReadSeq: 2, createdAt: at(0), peer: null, postingPolicy: 'everyone', mentionAllPolicy: 'admins',
  retentionDays: null, historyVisibility: 'all', notifyLevel: 'default', muted: false,
  ...over,
});

/** Two messages read, the members and the pins loaded. */
function state(): ChatState {
  return {
    ...initialChatState(me),
    connection: 'online',
    inboxLoaded: true,
    conversations: { [C]: conversation() },
    timelines: { [C]: { messages: [message(1), message(2)], loadedThrough: null, notices: [], hasMoreBefore: false, loading: false, loaded: true } },
    members: { [C]: [member(me, 'owner'), member(bob)] },
    pins: { [C]: [] },
  };
}

const base = (seq: number) => ({ conversationId: C, seq, createdAt: at(seq) });
const apply = (s: ChatState, ...events: ConversationEvent[]) => events.reduce(applyEvent, s);

describe('message.created', () => {
  it("adds another's message to the timeline and the inbox entry, counting it unread once however often it comes", () => {
    const ev: ConversationEvent = { type: 'message.created', ...base(3), message: message(3) };
    const s = apply(state(), ev, ev);
    expect(s.timelines[C]!.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(s.conversations[C]).toMatchObject({ lastSeq: 3, unreadCount: 1, mentionCount: 0, lastMessage: { id: 'm3' } });
    expect(s.activity[C]).toBe(at(3));
  });

  it('counts a mention of the reader, and the reader\'s own message reads everything', () => {
    let s = apply(state(), { type: 'message.created', ...base(3), message: message(3, { mentions: ['me'] }) });
    expect(s.conversations[C]).toMatchObject({ unreadCount: 1, mentionCount: 1 });
    s = apply(s, { type: 'message.created', ...base(4), message: message(4, { senderId: 'me', clientMsgId: 'c-4' }) });
    expect(s.conversations[C]).toMatchObject({ unreadCount: 0, mentionCount: 0, lastReadSeq: 4 });
  });

  it('replaces the pending copy of the reader\'s own send by its clientMsgId', () => {
    const pending = { clientMsgId: 'c-3', conversationId: C, body: 'hi', replyTo: null, threadId: null, alsoInConversation: false, files: [], createdAt: at(3), status: 'sending' as const, error: null };
    const s = apply({ ...state(), pending: { [C]: [pending] } }, { type: 'message.created', ...base(3), message: message(3, { senderId: 'me', clientMsgId: 'c-3', body: 'hi' }) });
    expect(s.pending[C]).toEqual([]);
    expect(s.timelines[C]!.messages.at(-1)).toMatchObject({ body: 'hi', seq: 3 });
  });

  it("ends the sender's typing indicator", () => {
    const s = apply({ ...state(), typing: { [C]: { bob: Date.now() } } }, { type: 'message.created', ...base(3), message: message(3) });
    expect(s.typing[C]).toEqual({});
  });
});

describe('message.updated and message.deleted', () => {
  it('an edit replaces the message and keeps which reactions are the reader\'s', () => {
    let s = state();
    s = { ...s, timelines: { [C]: { ...s.timelines[C]!, messages: [message(1), message(2, { reactions: [{ emoji: '👍', count: 2, me: true }] })] } } };
    s = apply(s, { type: 'message.updated', ...base(3), message: message(2, { body: 'edited', editedAt: at(3), reactions: [{ emoji: '👍', count: 2, me: false }] }) });
    expect(s.timelines[C]!.messages[1]).toMatchObject({ body: 'edited', editedAt: at(3), reactions: [{ emoji: '👍', count: 2, me: true }] });
    expect(s.conversations[C]!.lastMessage).toMatchObject({ body: 'edited' });
  });

  it('a deletion empties the message, unpins it and takes back its unread count', () => {
    let s = apply(state(), { type: 'message.created', ...base(3), message: message(3) }, { type: 'message.pinned', ...base(4), messageId: 'm3', pinnedBy: 'me' });
    expect(s.pins[C]!.map((p) => p.messageId)).toEqual(['m3']);
    expect(s.conversations[C]!.unreadCount).toBe(1);
    s = apply(s, { type: 'message.deleted', ...base(5), messageId: 'm3' });
    expect(s.timelines[C]!.messages.at(-1)).toMatchObject({ id: 'm3', body: '', attachments: [], reactions: [], deletedAt: at(5) });
    expect(s.pins[C]).toEqual([]);
    expect(s.conversations[C]!.unreadCount).toBe(0);
  });

  it('a deleted unread mention is one fewer mention, and the tombstone names nobody', () => {
    let s = apply(state(), { type: 'message.created', ...base(3), message: message(3, { mentions: ['me'] }) });
    expect(s.conversations[C]).toMatchObject({ unreadCount: 1, mentionCount: 1 });
    s = apply(s, { type: 'message.deleted', ...base(4), messageId: 'm3' });
    expect(s.conversations[C]).toMatchObject({ unreadCount: 0, mentionCount: 0 });
    expect(s.timelines[C]!.messages.at(-1)).toMatchObject({ id: 'm3', mentions: [] });
  });

  it("the inbox preview falls back to the newest message left, with its time as the conversation's activity", () => {
    let s = apply(state(), { type: 'message.created', ...base(3), message: message(3) });
    s = apply(s, { type: 'message.deleted', ...base(4), messageId: 'm3' });
    expect(s.conversations[C]!.lastMessage).toMatchObject({ id: 'm2', deletedAt: null });
    expect(s.activity[C]).toBe(at(2));
    expect(previewUnknown(s, C)).toBe(false);
  });

  it('a preview the loaded page cannot replace stays a tombstone, for the store to fetch', () => {
    const unloaded = { ...state(), timelines: {} };
    const s = apply(unloaded, { type: 'message.deleted', ...base(3), messageId: 'm2' });
    expect(s.conversations[C]!.lastMessage).toMatchObject({ id: 'm2', body: '', deletedAt: at(3) });
    expect(previewUnknown(s, C)).toBe(true);
  });
});

describe('reactions and pins', () => {
  it("counts others' reactions and the reader's own once, though it was shown when clicked", () => {
    let s = apply(state(), { type: 'reaction.added', ...base(3), messageId: 'm2', emoji: '🎉', userId: 'bob' });
    expect(s.timelines[C]!.messages[1]!.reactions).toEqual([{ emoji: '🎉', count: 1, me: false }]);
    s = apply(s, { type: 'reaction.added', ...base(4), messageId: 'm2', emoji: '🎉', userId: 'me' });
    expect(s.timelines[C]!.messages[1]!.reactions).toEqual([{ emoji: '🎉', count: 2, me: true }]);
    // Shown already (the click), then the event: not counted again.
    s = apply(s, { type: 'reaction.added', ...base(5), messageId: 'm2', emoji: '🎉', userId: 'me' });
    expect(s.timelines[C]!.messages[1]!.reactions).toEqual([{ emoji: '🎉', count: 2, me: true }]);
    s = apply(s, { type: 'reaction.removed', ...base(6), messageId: 'm2', emoji: '🎉', userId: 'bob' }, { type: 'reaction.removed', ...base(7), messageId: 'm2', emoji: '🎉', userId: 'me' });
    expect(s.timelines[C]!.messages[1]!.reactions).toEqual([]);
  });

  it('pins newest first, once each, and unpins', () => {
    let s = apply(state(), { type: 'message.pinned', ...base(3), messageId: 'm1', pinnedBy: 'me' }, { type: 'message.pinned', ...base(4), messageId: 'm2', pinnedBy: null });
    s = apply(s, { type: 'message.pinned', ...base(5), messageId: 'm1', pinnedBy: 'bob' });
    expect(s.pins[C]).toEqual([
      { messageId: 'm1', pinnedBy: 'bob', pinnedAt: at(5) },
      { messageId: 'm2', pinnedBy: null, pinnedAt: at(4) },
    ]);
    s = apply(s, { type: 'message.unpinned', ...base(6), messageId: 'm1' });
    expect(s.pins[C]!.map((p) => p.messageId)).toEqual(['m2']);
  });
});

describe('members', () => {
  it('a join adds the member, counts it once and writes one system line', () => {
    const carol = user('carol');
    const ev: ConversationEvent = { type: 'member.joined', ...base(3), member: member(carol) };
    const s = apply(state(), ev, ev);
    expect(s.members[C]!.map((m) => m.user.id)).toEqual(['me', 'bob', 'carol']);
    expect(s.conversations[C]!.memberCount).toBe(3);
    expect(s.users.carol).toEqual(carol);
    expect(s.timelines[C]!.notices.map((n) => n.seq)).toEqual([3]);
  });

  it('a role change replaces the member', () => {
    const s = apply(state(), { type: 'member.updated', ...base(3), member: member(bob, 'admin'), by: 'me', previousRole: 'member' });
    expect(s.members[C]!.find((m) => m.user.id === 'bob')!.role).toBe('admin');
    expect(s.conversations[C]!.memberCount).toBe(2);
  });

  it("another's leaving drops them; the reader's removal drops the conversation and says who removed them", () => {
    let s = apply(state(), { type: 'member.left', ...base(3), member: member(bob) });
    expect(s.members[C]!.map((m) => m.user.id)).toEqual(['me']);
    expect(s.conversations[C]!.memberCount).toBe(1);
    s = apply(s, { type: 'member.left', ...base(4), member: member(me), reason: 'removed', by: 'bob' });
    expect(s.conversations[C]).toBeUndefined();
    expect(s.timelines[C]).toBeUndefined();
    expect(s.removals).toEqual([{ conversationId: C, name: 'Team', reason: 'removed', by: 'bob' }]);
  });
});

describe('conversation.updated and conversation.deleted', () => {
  it('takes every group setting the event carries, keeping the reader\'s own fields', () => {
    const { unreadCount: _u, mentionCount: _m, lastReadSeq: _l, peer: _p, notifyLevel: _n, muted: _x, ...shared } = conversation({
      name: 'Renamed', description: 'About', visibility: 'public', postingPolicy: 'admins', mentionAllPolicy: 'nobody', retentionDays: 30, historyVisibility: 'joined', lastSeq: 3,
    });
    const s = apply({ ...state(), conversations: { [C]: conversation({ unreadCount: 1, notifyLevel: 'all' }) } }, { type: 'conversation.updated', ...base(3), conversation: shared, by: 'bob' });
    expect(s.conversations[C]).toMatchObject({
      name: 'Renamed', description: 'About', visibility: 'public', postingPolicy: 'admins', mentionAllPolicy: 'nobody', retentionDays: 30, historyVisibility: 'joined', lastSeq: 3,
      unreadCount: 1, notifyLevel: 'all',
    });
    expect(s.timelines[C]!.notices.map((n) => n.type)).toEqual(['conversation.updated']);
  });

  it('an event stored before a setting existed leaves that setting as it was', () => {
    const { retentionDays: _r, historyVisibility: _h, unreadCount: _u, mentionCount: _m, lastReadSeq: _l, peer: _p, notifyLevel: _n, muted: _x, ...old } = conversation({ name: 'Old' });
    const s = apply({ ...state(), conversations: { [C]: conversation({ retentionDays: 7, historyVisibility: 'joined' }) } }, {
      type: 'conversation.updated',
      ...base(3),
      // As an event stored before these settings existed has it.
      conversation: old as unknown as ConversationShared,
    });
    expect(s.conversations[C]).toMatchObject({ name: 'Old', retentionDays: 7, historyVisibility: 'joined' });
  });

  it('a deletion drops the conversation and all it held', () => {
    const s = apply(state(), { type: 'conversation.deleted', ...base(3) });
    expect(s.conversations[C]).toBeUndefined();
    expect(s.timelines[C]).toBeUndefined();
    expect(s.members[C]).toBeUndefined();
  });
});

describe('events of a conversation the client does not hold', () => {
  it('change nothing', () => {
    const s0 = state();
    const other = { conversationId: 'elsewhere', seq: 9, createdAt: at(9) };
    const s = apply(s0, { type: 'message.created', ...other, message: message(9, { conversationId: 'elsewhere' }) }, { type: 'reaction.added', ...other, messageId: 'm9', emoji: '👍', userId: 'bob' });
    expect(s.conversations).toEqual(s0.conversations);
    expect(s.timelines).toEqual(s0.timelines);
  });
});
