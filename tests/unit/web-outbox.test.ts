/**
 * The web client's outbox folds (web/src/store/outbox-actions.ts): a message typed here waits in
 * `pending` until its ack, which takes the pending copy's place in the timeline once; a send's
 * refusal is named for the reader.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, type Message, type User } from '../../src/client/index.js';
import { initialChatState } from '../../web/src/store/initial-state.js';
import { applyStored, describeSendError, replacedPending, withPending, withoutPending } from '../../web/src/store/outbox-actions.js';
import type { ChatState, PendingMessage } from '../../web/src/store/types.js';

const me: User = { id: 'me', username: 'me', displayName: 'Me', avatarUrl: null, createdAt: '2026-12-01T00:00:00.000Z', online: true, lastSeenAt: null, bot: false, siteAdmin: false };
const C = 'conv';

const pending = (clientMsgId: string, over: Partial<PendingMessage> = {}): PendingMessage => ({
  clientMsgId, conversationId: C, body: `draft ${clientMsgId}`, replyTo: null, threadId: null, alsoInConversation: false, files: [],
  createdAt: '2026-12-05T10:00:00.000Z', status: 'sending', error: null, ...over,
});

const stored = (seq: number, clientMsgId: string | null, over: Partial<Message> = {}): Message => ({
  id: `m${seq}`, conversationId: C, seq, senderId: 'me', clientMsgId, body: `message ${seq}`, replyTo: null, threadId: null, alsoInConversation: false,
  thread: null, mentions: [], attachments: [], reactions: [], createdAt: `2026-12-05T10:00:0${seq}.000Z`, editedAt: null, deletedAt: null, ...over,
});

function state(): ChatState {
  return { ...initialChatState(me), timelines: { [C]: { messages: [stored(1, null)], loadedThrough: null, notices: [], hasMoreBefore: false, loading: false, loaded: true } } };
}

describe('the outbox', () => {
  it('keeps pending messages in the order typed, replaces one by its newer state and drops one', () => {
    let s = withPending(withPending(state(), pending('a')), pending('b'));
    expect(s.pending[C]!.map((p) => p.clientMsgId)).toEqual(['a', 'b']);
    s = replacedPending(s, pending('a', { status: 'failed', error: 'no' }));
    expect(s.pending[C]!.map((p) => p.status)).toEqual(['failed', 'sending']);
    s = withoutPending(s, C, 'a');
    expect(s.pending[C]!.map((p) => p.clientMsgId)).toEqual(['b']);
  });

  it('an ack takes the pending copy\'s place in the timeline, once however often it comes', () => {
    let s = withPending(state(), pending('a'));
    s = applyStored(s, stored(2, 'a'));
    s = applyStored(s, stored(2, 'a'));
    expect(s.pending[C]).toEqual([]);
    expect(s.timelines[C]!.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('a thread-only reply goes to its thread, not the timeline', () => {
    const s = applyStored(withPending(state(), pending('r', { threadId: 'm1' })), stored(3, 'r', { threadId: 'm1' }));
    expect(s.pending[C]).toEqual([]);
    expect(s.timelines[C]!.messages.map((m) => m.id)).toEqual(['m1']);
  });

  it('names why a send failed', () => {
    expect(describeSendError(new ApiError({ status: 403, code: 'muted', message: 'you are muted' }))).not.toBe('you are muted');
    expect(describeSendError(new ApiError({ status: 409, code: 'conflict', message: 'x' }), true)).not.toBe('x');
    expect(describeSendError(new Error('network down'))).toBe('network down');
  });
});
