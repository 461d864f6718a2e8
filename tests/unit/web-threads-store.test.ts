/**
 * The web client's thread reducers (web/src/store/apply-thread.ts, and apply-event.ts for reply
 * events): a timeline that never shows thread-only replies, roots whose summaries follow the
 * events, and the reader's counts and Threads badge kept as the server would count them.
 */
import { describe, expect, it } from 'vitest';
import type { ConversationEvent, Message, Thread, User } from '../../src/client/index.js';
import { applyEvent } from '../../web/src/store/apply-event.js';
import { applyThreadRead, applyThreadState, mergeThreadPage, sortedThreads } from '../../web/src/store/apply-thread.js';
import { initialChatState } from '../../web/src/store/initial-state.js';
import type { ChatState } from '../../web/src/store/types.js';

const me: User = { id: 'me', username: 'me', displayName: 'Me', avatarUrl: null, createdAt: '2026-12-01T00:00:00.000Z', online: true, lastSeenAt: null, bot: false, siteAdmin: false };
const C = 'conv';
const ROOT = 'root';

function message(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversationId: C,
    seq,
    senderId: 'bob',
    clientMsgId: null,
    body: `message ${seq}`,
    replyTo: null,
    threadId: null,
    alsoInConversation: false,
    thread: null,
    mentions: [],
    attachments: [],
    reactions: [],
    createdAt: `2026-12-04T10:00:${String(seq).padStart(2, '0')}.000Z`,
    editedAt: null,
    deletedAt: null,
    ...over,
  };
}

function state(): ChatState {
  const root = message(1, { id: ROOT });
  return {
    ...initialChatState(me),
    connection: 'online',
    inboxLoaded: true,
    conversations: {
      [C]: {
        id: C, kind: 'group', name: 'g', description: null, visibility: 'private', memberCount: 2, lastSeq: 1, lastMessage: root,
        unreadCount: 0, mentionCount: 0, lastReadSeq: 1, createdAt: root.createdAt, peer: null,
      } as ChatState['conversations'][string],
    },
    timelines: { [C]: { messages: [root], loadedThrough: null, notices: [] } as unknown as ChatState['timelines'][string] },
  };
}

const thread = (over: Partial<Thread> = {}): Thread => ({
  rootId: ROOT,
  conversationId: C,
  root: message(1, { id: ROOT }),
  replyCount: 0,
  lastReplyAt: null,
  lastReplySeq: 0,
  participantIds: [],
  following: true,
  lastReadSeq: 0,
  unreadCount: 0,
  mentionCount: 0,
  ...over,
});

const created = (m: Message, summary?: { replyCount: number; lastReplySeq: number }): ConversationEvent => ({
  type: 'message.created',
  conversationId: C,
  seq: m.seq,
  createdAt: m.createdAt,
  message: m,
  ...(summary ? { thread: { ...summary, lastReplyAt: m.createdAt, participantIds: [m.senderId] } } : {}),
});

describe('web store: threads', () => {
  it('a thread-only reply updates its root and the reader\'s thread, never the timeline or the conversation\'s counts', () => {
    let s = mergeThreadPage(state(), { threads: [thread()], nextCursor: null, unreadThreads: 0, unreadMentions: 0 }, true);
    const reply = message(2, { threadId: ROOT, mentions: ['me'] });
    s = applyEvent(s, created(reply, { replyCount: 1, lastReplySeq: 2 }));
    expect(s.timelines[C]!.messages.map((m) => m.id)).toEqual([ROOT]);
    expect(s.timelines[C]!.messages[0]!.thread).toMatchObject({ replyCount: 1, lastReplySeq: 2 });
    expect(s.conversations[C]).toMatchObject({ unreadCount: 0, mentionCount: 0, lastMessage: expect.objectContaining({ id: ROOT }) });
    expect(s.threads[ROOT]).toMatchObject({ unreadCount: 1, mentionCount: 1, replyCount: 1 });
    expect(s.threadList).toMatchObject({ unreadThreads: 1, unreadMentions: 1 });
    // The same event again (a replay after a reconnect) is not counted twice.
    s = applyEvent(s, created(reply, { replyCount: 1, lastReplySeq: 2 }));
    expect(s.threads[ROOT]).toMatchObject({ unreadCount: 1, mentionCount: 1 });
    // Also sent to the conversation: in the timeline and its counts too.
    const shared = message(3, { threadId: ROOT, alsoInConversation: true });
    s = applyEvent(s, created(shared, { replyCount: 2, lastReplySeq: 3 }));
    expect(s.timelines[C]!.messages.map((m) => m.id)).toEqual([ROOT, 'm3']);
    expect(s.conversations[C]!.unreadCount).toBe(1);
    expect(s.threads[ROOT]!.unreadCount).toBe(2);
  });

  it('my own reply follows the thread and reads it; reading and another device\'s state clear the badge', () => {
    let s = mergeThreadPage(state(), { threads: [thread({ following: false })], nextCursor: null, unreadThreads: 0, unreadMentions: 0 }, true);
    s = applyEvent(s, created(message(2, { threadId: ROOT }), { replyCount: 1, lastReplySeq: 2 }));
    expect(s.threadList.unreadThreads).toBe(0); // not followed: not in the badge
    s = applyEvent(s, created(message(3, { threadId: ROOT, senderId: 'me' }), { replyCount: 2, lastReplySeq: 3 }));
    expect(s.threads[ROOT]).toMatchObject({ following: true, lastReadSeq: 3, unreadCount: 0 });
    s = applyEvent(s, created(message(4, { threadId: ROOT }), { replyCount: 3, lastReplySeq: 4 }));
    expect(s.threadList.unreadThreads).toBe(1);
    s = applyThreadRead(s, ROOT, 4);
    expect(s.threads[ROOT]).toMatchObject({ lastReadSeq: 4, unreadCount: 0 });
    expect(s.threadList.unreadThreads).toBe(0);
    s = applyEvent(s, created(message(5, { threadId: ROOT }), { replyCount: 4, lastReplySeq: 5 }));
    const other = applyThreadState(s, { rootId: ROOT, following: true, lastReadSeq: 5 });
    expect(other.unsure).toBe(false);
    expect(other.state.threadList.unreadThreads).toBe(0);
    const unfollowed = applyThreadState(s, { rootId: ROOT, following: false, lastReadSeq: 4 });
    expect(unfollowed.state.threadList.unreadThreads).toBe(0);
    expect(sortedThreads(unfollowed.state.threadList, unfollowed.state.threads)).toEqual([]);
  });

  it('deleting the last reply takes the summary away and the unread reply out of the counts', () => {
    let s = mergeThreadPage(state(), { threads: [thread()], nextCursor: null, unreadThreads: 0, unreadMentions: 0 }, true);
    s = { ...s, replies: { [ROOT]: { messages: [], hasMoreBefore: false, loading: false, loaded: true } } };
    const reply = message(2, { threadId: ROOT });
    s = applyEvent(s, created(reply, { replyCount: 1, lastReplySeq: 2 }));
    expect(s.threadList.unreadThreads).toBe(1);
    s = applyEvent(s, { type: 'message.deleted', conversationId: C, seq: 3, createdAt: '2026-12-04T10:01:00.000Z', messageId: reply.id, threadId: ROOT });
    expect(s.timelines[C]!.messages[0]!.thread).toBeNull();
    expect(s.threads[ROOT]).toMatchObject({ replyCount: 0, unreadCount: 0 });
    expect(s.threadList.unreadThreads).toBe(0);
  });

  it('the Threads view: unread first, then the newest last reply', () => {
    const a = thread({ rootId: 'a', lastReplyAt: '2026-12-04T10:00:00.000Z', lastReplySeq: 5 });
    const b = thread({ rootId: 'b', lastReplyAt: '2026-12-04T11:00:00.000Z', lastReplySeq: 6 });
    const c = thread({ rootId: 'c', lastReplyAt: '2026-12-04T09:00:00.000Z', lastReplySeq: 7, unreadCount: 2 });
    const s = mergeThreadPage(state(), { threads: [a, b, c], nextCursor: null, unreadThreads: 1, unreadMentions: 0 }, true);
    expect(sortedThreads(s.threadList, s.threads).map((t) => t.rootId)).toEqual(['c', 'b', 'a']);
  });
});
