/**
 * The web client's drafts (web/src/store/draft-actions.ts) and desktop notification rule
 * (web/src/notify-rule.ts), without a browser: when a draft is saved and what it sends, which
 * changes from elsewhere it takes, and which new messages notify at which level.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationEvent, Message, ParleyApi, User } from '../../src/client/index.js';
import { DraftActions, DRAFT_SAVE_DELAY_MS, TYPING_NOW_MS } from '../../web/src/store/draft-actions.js';
import { wantsNotification } from '../../web/src/notify-rule.js';
import { initialChatState } from '../../web/src/store/initial-state.js';
import type { ChatState, KnownThread } from '../../web/src/store/types.js';

const me: User = { id: 'me', username: 'me', displayName: 'Me', avatarUrl: null, createdAt: '2026-12-01T00:00:00.000Z', online: true, lastSeenAt: null, bot: false, siteAdmin: false };
const C = 'conv';

describe('web drafts store', () => {
  let state: ChatState;
  let saves: { conversationId: string; body: string; connectionId?: string; keepalive?: boolean }[];
  let drafts: DraftActions;
  let listed: { conversationId: string; body: string; updatedAt: string }[];
  /** While set, saves stay in flight until it is called. */
  let hold: Promise<void> | null;

  beforeEach(() => {
    vi.useFakeTimers();
    state = initialChatState(me);
    saves = [];
    listed = [];
    hold = null;
    const api = {
      saveDraft: async (conversationId: string, body: string, opts: { connectionId?: string; keepalive?: boolean } = {}) => {
        saves.push({ conversationId, body, ...opts });
        if (hold && !opts.keepalive) await hold;
        return { conversationId, body, updatedAt: new Date().toISOString() };
      },
      listDrafts: async () => listed,
    } as unknown as ParleyApi;
    drafts = new DraftActions(
      api,
      () => state,
      (fn) => (state = fn(state)),
    );
    drafts.onReady('conn-1');
  });
  afterEach(() => vi.useRealTimers());

  it('shows a change at once and saves it once typing stops, naming this connection', async () => {
    drafts.change(C, 'h');
    drafts.change(C, 'hello');
    expect(state.drafts).toEqual({ [C]: 'hello' });
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS - 10);
    expect(saves).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(saves).toEqual([{ conversationId: C, body: 'hello', connectionId: 'conn-1' }]);
  });

  it('saves at once on leaving, and nothing when the server already has the text', async () => {
    drafts.change(C, 'hello');
    drafts.flush(C);
    await vi.advanceTimersByTimeAsync(0);
    expect(saves.map((s) => s.body)).toEqual(['hello']);
    drafts.change(C, 'hello');
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS + 10);
    expect(saves.map((s) => s.body)).toEqual(['hello']);
  });

  it('as the page goes, sends what waits and what is still in flight again, in requests that outlive the page', async () => {
    hold = new Promise(() => undefined);
    drafts.change(C, 'in flight');
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS + 10);
    drafts.change('other', 'waiting');
    drafts.change('third', '');
    drafts.flushAll();
    expect(saves).toEqual([
      { conversationId: C, body: 'in flight', connectionId: 'conn-1' },
      { conversationId: 'other', body: 'waiting', connectionId: 'conn-1', keepalive: true },
      { conversationId: C, body: 'in flight', connectionId: 'conn-1', keepalive: true },
    ]);
  });

  it('clears on send: the state at once, the server by an empty body', async () => {
    drafts.change(C, 'hello');
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS + 10);
    drafts.clear(C);
    expect(state.drafts).toEqual({});
    await vi.advanceTimersByTimeAsync(0);
    expect(saves.map((s) => s.body)).toEqual(['hello', '']);
  });

  it('takes a change from elsewhere when idle; while the user types here, keeps their text and saves it again', async () => {
    drafts.onUpdated(C, 'from the phone');
    expect(state.drafts).toEqual({ [C]: 'from the phone' });
    drafts.change(C, 'typing here');
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS + 10);
    drafts.onUpdated(C, 'from the phone again');
    expect(state.drafts).toEqual({ [C]: 'typing here' });
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_DELAY_MS + 10);
    expect(saves.map((s) => s.body)).toEqual(['typing here', 'typing here']);
    await vi.advanceTimersByTimeAsync(TYPING_NOW_MS);
    drafts.onUpdated(C, '');
    expect(state.drafts).toEqual({});
  });

  it('the fetched list replaces what is known, except a change not saved yet', async () => {
    state = { ...state, drafts: { gone: 'deleted elsewhere' } };
    drafts.change(C, 'unsaved');
    listed = [
      { conversationId: C, body: 'older', updatedAt: '2026-12-04T10:00:00.000Z' },
      { conversationId: 'other', body: 'from before', updatedAt: '2026-12-04T10:00:00.000Z' },
    ];
    await drafts.load();
    expect(state.drafts).toEqual({ [C]: 'unsaved', other: 'from before' });
  });
});

describe('web desktop notification rule', () => {
  const now = Date.parse('2026-12-04T10:00:30.000Z');

  function message(over: Partial<Message> = {}): Message {
    return {
      id: 'm1', conversationId: C, seq: 2, senderId: 'bob', clientMsgId: null, body: 'hi', replyTo: null, threadId: null, alsoInConversation: false,
      thread: null, mentions: [], attachments: [], reactions: [], createdAt: '2026-12-04T10:00:29.000Z', editedAt: null, deletedAt: null, ...over,
    };
  }

  function state(kind: 'group' | 'direct', over: { notifyLevel?: 'default' | 'all' | 'mentions' | 'none'; muted?: boolean } = {}): ChatState {
    return {
      ...initialChatState(me),
      conversations: {
        [C]: {
          id: C, kind, name: 'g', description: null, visibility: 'private', memberCount: 2, lastSeq: 1, lastMessage: null,
          unreadCount: 0, mentionCount: 0, lastReadSeq: 1, createdAt: '2026-12-01T00:00:00.000Z', peer: null, notifyLevel: 'default', muted: false, ...over,
        } as ChatState['conversations'][string],
      },
    };
  }

  const created = (m: Message): Extract<ConversationEvent, { type: 'message.created' }> => ({ type: 'message.created', conversationId: C, seq: m.seq, createdAt: m.createdAt, message: m });
  const wants = (s: ChatState, m: Message) => wantsNotification(s, created(m), now);

  it('follows the level: default is all in a direct chat and mentions in a group; none and mute never', () => {
    const mention = message({ mentions: ['me'] });
    expect(wants(state('direct'), message())).toBe(true);
    expect(wants(state('group'), message())).toBe(false);
    expect(wants(state('group'), mention)).toBe(true);
    expect(wants(state('group', { notifyLevel: 'all' }), message())).toBe(true);
    expect(wants(state('direct', { notifyLevel: 'mentions' }), message())).toBe(false);
    expect(wants(state('group', { notifyLevel: 'none' }), mention)).toBe(false);
    expect(wants(state('group', { notifyLevel: 'all', muted: true }), mention)).toBe(false);
  });

  it('never for your own message, while not to be disturbed, or for a message from a catch-up long after', () => {
    expect(wants(state('direct'), message({ senderId: 'me' }))).toBe(false);
    expect(wants({ ...state('direct'), me: { ...me, dndUntil: '2026-12-04T11:00:00.000Z' } }, message())).toBe(false);
    expect(wants({ ...state('direct'), me: { ...me, dndUntil: '2026-12-04T09:00:00.000Z' } }, message())).toBe(true);
    expect(wants(state('direct'), message({ createdAt: '2026-12-04T09:00:00.000Z' }))).toBe(false);
  });

  it('a reply only in its thread reaches those it mentions and its followers', () => {
    const reply = message({ threadId: 'root' });
    const followed = (s: ChatState): ChatState => ({ ...s, threads: { root: { following: true } as KnownThread } });
    expect(wants(state('group', { notifyLevel: 'all' }), reply)).toBe(false);
    expect(wants(state('group', { notifyLevel: 'all' }), { ...reply, mentions: ['me'] })).toBe(true);
    expect(wants(followed(state('group')), reply)).toBe(true);
    expect(wants(followed(state('group', { notifyLevel: 'none' })), reply)).toBe(false);
    expect(wants(state('group', { notifyLevel: 'all' }), { ...reply, alsoInConversation: true })).toBe(true);
  });
});
