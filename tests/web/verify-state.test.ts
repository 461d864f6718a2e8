/**
 * The web client's state converges (in the style of Zulip's verify_action): a state built from a
 * fetch, with every event since applied as the socket delivers it, equals a fresh fetch, after
 * each of a series of actions by the viewer and by others. The state is built by the store's own
 * pure folds (web/src/store/apply-fetched.ts for answers, apply-event.ts for events), over a real
 * server and the typed client's realtime connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ParleyApi, ParleyRealtime, realtimeUrl, type Conversation, type ConversationEvent, type User } from '../../src/client/index.js';
import { applyEvent, conversationToFetch, previewUnknown } from '../../web/src/store/apply-event.js';
import { applyRead, readLeavesUnread } from '../../web/src/store/apply-read.js';
import { applyConversation, applyFirstPage, applyInbox, applyMembers, applyNotices, applyPins, EMPTY_TIMELINE } from '../../web/src/store/apply-fetched.js';
import { initialChatState } from '../../web/src/store/initial-state.js';
import { SYSTEM_EVENT_TYPES, type ChatState, type SystemEvent } from '../../web/src/store/types.js';
import { uniqueName } from '../helpers/app.js';
import { waitFor } from '../helpers/kit.js';
import { startTestServer, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t?.close());

interface Person {
  api: ParleyApi;
  user: User;
}

async function person(displayName: string): Promise<Person> {
  const api = new ParleyApi({ baseUrl: t.httpUrl });
  const { user } = await api.register({ username: uniqueName('v'), password: 'correct horse battery', displayName });
  return { api, user };
}

const isSystem = (e: ConversationEvent): e is SystemEvent => (SYSTEM_EVENT_TYPES as readonly string[]).includes(e.type);

/** What the store builds when it loads a conversation it shows: its pages, system lines, members and pins. */
async function loadConversation(api: ParleyApi, s: ChatState, c: Conversation): Promise<ChatState> {
  const page = await api.history(c.id, { collapseThreads: true, limit: 100 });
  let next = applyFirstPage(s, c.id, page.messages, page.hasMore, null);
  const notices = await api.events(c.id, { types: SYSTEM_EVENT_TYPES.join(','), limit: 100 });
  next = applyNotices(next, c.id, notices.events.filter(isSystem));
  if (c.kind === 'group') next = applyMembers(next, c.id, (await api.listMembers(c.id, { limit: 100 })).members);
  return applyPins(next, c.id, await api.listPins(c.id));
}

/** A fresh fetch: the inbox, and every conversation loaded but those named (listed, never opened). */
async function fetched(p: Person, unopened: readonly string[] = []): Promise<ChatState> {
  let s = applyInbox({ ...initialChatState(p.user), connection: 'online' }, await p.api.listAllConversations());
  for (const c of Object.values(s.conversations)) if (!unopened.includes(c.id)) s = await loadConversation(p.api, s, c);
  return s;
}

/**
 * The parts of the state that both ways must agree on. Presence (online, lastSeenAt) comes in
 * frames of its own, not in events, so it is left out of the users a state embeds.
 */
function comparable(s: ChatState, opened: readonly string[]) {
  const noPresence = (v: unknown): unknown =>
    JSON.parse(JSON.stringify(v), (key, value: unknown) => (key === 'online' || key === 'lastSeenAt' ? undefined : value));
  const ids = Object.keys(s.conversations).sort();
  const open = ids.filter((id) => opened.includes(id));
  return noPresence({
    conversations: ids.map((id) => s.conversations[id]),
    activity: ids.map((id) => s.activity[id]),
    timelines: open.map((id) => ({ id, messages: s.timelines[id]?.messages, notices: s.timelines[id]?.notices.map(asSystemLine) })),
    members: open.map((id) => s.members[id]?.slice().sort((a, b) => a.user.id.localeCompare(b.user.id))),
    pins: open.map((id) => s.pins[id]),
  });
}

/**
 * A system line as the timeline draws it. A conversation.updated carries the group as it is: the
 * feed renders it now (its newest message and seq of today), the socket as it was then; neither
 * is drawn.
 */
function asSystemLine(e: SystemEvent): unknown {
  if (e.type !== 'conversation.updated') return e;
  const { lastMessage: _m, lastSeq: _s, ...conversation } = e.conversation;
  return { ...e, conversation };
}

/** The viewer's page: a fetched state kept current by the events of its socket, as the web client's store does. */
class LiveView {
  state: ChatState;
  readonly rt: ParleyRealtime;
  private readonly loading = new Set<Promise<unknown>>();

  constructor(
    private readonly p: Person,
    initial: ChatState,
  ) {
    this.state = initial;
    this.rt = new ParleyRealtime({ url: realtimeUrl(p.api.baseUrl), token: p.api.token!, WebSocket: WebSocket as never });
    for (const c of Object.values(initial.conversations)) this.rt.follow(c.id, c.lastSeq);
    this.rt.on('event', (ev) => {
      // As the store: an event of a conversation not known yet (added to a group) fetches it.
      if (conversationToFetch(this.state, ev)) this.learn(ev.conversationId);
      this.state = applyEvent(this.state, ev);
      // As the store: a deleted preview the loaded page cannot replace is fetched.
      if (ev.type === 'message.deleted' && previewUnknown(this.state, ev.conversationId)) this.refresh(ev.conversationId);
    });
    this.rt.on('read', ({ conversationId, userId, lastReadSeq }) => {
      const refetch = readLeavesUnread(this.state, conversationId, userId, lastReadSeq);
      this.state = applyRead(this.state, conversationId, userId, lastReadSeq);
      if (refetch) this.refresh(conversationId);
    });
    this.rt.on('conversationCreated', ({ conversation }) => {
      if (!this.state.conversations[conversation.id]) this.add(conversation);
    });
    this.rt.start();
  }

  private refresh(id: string): void {
    const fetching = this.p.api.getConversation(id).then((c) => void (this.state = applyConversation(this.state, c)), () => undefined);
    this.loading.add(fetching);
    void fetching.finally(() => this.loading.delete(fetching));
  }

  private learn(id: string): void {
    const fetching = this.p.api.getConversation(id).then((c) => this.add(c), () => undefined);
    this.loading.add(fetching);
    void fetching.finally(() => this.loading.delete(fetching));
  }

  /** A conversation new to the page: listed and followed, and (for this test) opened. */
  private add(c: Conversation): void {
    this.state = applyConversation(this.state, c);
    if (this.rt.cursor(c.id) === undefined) this.rt.follow(c.id, c.lastSeq);
    // As the store's loadFirstPage: a loading timeline first, so a message that arrives live
    // before the page does is kept (the page is merged into it), not dropped for want of a timeline.
    if (!this.state.timelines[c.id]) this.state = { ...this.state, timelines: { ...this.state.timelines, [c.id]: { ...EMPTY_TIMELINE, loading: true } } };
    const opening = loadConversation(this.p.api, this.state, c).then((loaded) => {
      // Events that came while it loaded are in this.state already; take only what the load added.
      this.state = {
        ...this.state,
        timelines: { ...this.state.timelines, [c.id]: mergeTimeline(this.state, loaded, c.id) },
        members: loaded.members[c.id] && !this.state.members[c.id] ? { ...this.state.members, [c.id]: loaded.members[c.id]! } : this.state.members,
        pins: loaded.pins[c.id] && !this.state.pins[c.id] ? { ...this.state.pins, [c.id]: loaded.pins[c.id]! } : this.state.pins,
        extra: { ...loaded.extra, ...this.state.extra },
        users: { ...loaded.users, ...this.state.users },
      };
    });
    this.loading.add(opening);
    void opening.finally(() => this.loading.delete(opening));
  }

  /** Until the page has every event a fresh fetch reflects (and what it was fetching has arrived). */
  async caughtUp(fresh: ChatState, step: string): Promise<void> {
    await waitFor(
      () =>
        this.loading.size === 0 &&
        Object.keys(fresh.conversations).every((id) => (this.state.conversations[id]?.lastSeq ?? -1) >= fresh.conversations[id]!.lastSeq) &&
        Object.keys(this.state.conversations).every((id) => fresh.conversations[id] !== undefined),
      `the live state caught up after: ${step}`,
    );
  }

  stop(): void {
    this.rt.stop();
  }
}

function mergeTimeline(live: ChatState, loaded: ChatState, id: string) {
  const l = loaded.timelines[id]!;
  const cur = live.timelines[id];
  if (!cur) return l;
  return applyFirstPage({ ...live, timelines: { ...live.timelines, [id]: { ...cur, notices: l.notices } } }, id, l.messages, l.hasMoreBefore, null).timelines[id]!;
}

describe("the web client's state", () => {
  it('a fetch plus the events since equals a fresh fetch, after each action by the viewer and by others', async () => {
    const [me, bob, carol] = await Promise.all([person('Me 我'), person('Bob 王'), person('Carol')]);
    const group = await me.api.createGroup({ name: 'Verify 验证', description: null, visibility: 'private', memberIds: [bob.user.id] });
    const dm = await me.api.openDirect(bob.user.id);
    const byBob = await bob.api.createGroup({ name: 'Bob’s', description: null, visibility: 'private', memberIds: [me.user.id] });
    await bob.api.sendMessage(group.id, { body: 'before the page opened' });

    // The direct conversation stays unopened: its inbox entry lives on events and fetches alone.
    const view = new LiveView(me, await fetched(me, [dm.id]));
    try {
      const ids: Record<string, string> = {};
      const send = async (who: Person, conversationId: string, body: string, extra: { threadId?: string; alsoInConversation?: boolean } = {}, key?: string) => {
        const m = await who.api.sendMessage(conversationId, { body, ...extra });
        if (key) ids[key] = m.id;
        return m;
      };
      const steps: [string, () => Promise<unknown>][] = [
        ['bob writes', () => send(bob, group.id, 'hello 你好', {}, 'hello')],
        ['bob mentions me', () => send(bob, group.id, `@${me.user.username} 看这里`, {}, 'mention')],
        ['I write', () => send(me, group.id, 'my answer', {}, 'mine')],
        ['bob writes twice more', async () => {
          await send(bob, group.id, 'one more', {}, 'more');
          await send(bob, group.id, `and @${me.user.username} again`, {}, 'mention2');
        }],
        ['bob edits', () => bob.api.editMessage(ids.hello!, 'hello 你好 (edited)')],
        ['bob reacts', () => bob.api.addReaction(ids.hello!, '👍')],
        ['I react twice', async () => {
          await me.api.addReaction(ids.hello!, '👍');
          await me.api.addReaction(ids.hello!, '❤️');
        }],
        ['I take a reaction back, bob too', async () => {
          await me.api.removeReaction(ids.hello!, '❤️');
          await bob.api.removeReaction(ids.hello!, '👍');
        }],
        ['I pin two, then unpin one', async () => {
          await me.api.pin(group.id, ids.hello!);
          await me.api.pin(group.id, ids.more!);
          await me.api.unpin(group.id, ids.more!);
        }],
        ['bob deletes a message that mentions me, unread', () => bob.api.deleteMessage(ids.mention2!)],
        ['bob deletes a pinned message', () => bob.api.deleteMessage(ids.hello!)],
        ['I add carol and make her an admin', async () => {
          await me.api.addMember(group.id, carol.user.id);
          await me.api.setMemberRole(group.id, carol.user.id, 'admin');
        }],
        ['carol leaves, is added again, then removed', async () => {
          await carol.api.leaveGroup(group.id, carol.user.id);
          await me.api.addMember(group.id, carol.user.id);
          await me.api.removeMember(group.id, carol.user.id);
        }],
        ['I rename the group and describe it', () => me.api.updateGroup(group.id, { name: 'Verified 已验证', description: 'what we check 我们检查的' })],
        ['bob replies in a thread only', () => send(bob, group.id, 'in the thread', { threadId: ids.more! }, 'reply')],
        ['bob replies in the thread and the conversation', () => send(bob, group.id, 'in both', { threadId: ids.more!, alsoInConversation: true }, 'both')],
        ['bob deletes his thread-only reply', () => bob.api.deleteMessage(ids.reply!)],
        ['bob writes to me directly twice, I react', async () => {
          const m = await send(bob, dm.id, 'just us 只有我们');
          await me.api.addReaction(m.id, '🎉');
          await send(bob, dm.id, 'oops', {}, 'oops');
        }],
        ['bob deletes his last direct message (the inbox preview of a conversation not opened)', () => bob.api.deleteMessage(ids.oops!)],
        ['bob adds me to a new group and writes there', async () => {
          const g = await bob.api.createGroup({ name: 'New 新', description: null, visibility: 'private', memberIds: [] });
          await bob.api.addMember(g.id, me.user.id);
          await send(bob, g.id, 'welcome');
        }],
        ['bob removes me from his group', () => bob.api.removeMember(byBob.id, me.user.id)],
        ['I read the group up to the first mention', () => me.api.markRead(group.id, view.state.timelines[group.id]!.messages.find((m) => m.id === ids.mention)!.seq)],
      ];
      for (const [step, act] of steps) {
        await act();
        const fresh = await fetched(me);
        await view.caughtUp(fresh, step);
        const opened = Object.keys(view.state.timelines);
        expect(comparable(view.state, opened), step).toEqual(comparable(fresh, opened));
      }
    } finally {
      view.stop();
    }
  }, 120_000);
});
