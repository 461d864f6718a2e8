/**
 * The web client's state and actions over ParleyApi (REST) and ParleyRealtime (socket): the
 * inbox, timelines, pending sends, members, typing and presence. React reads it through hooks.ts.
 */
import {
  ParleyRealtime,
  realtimeUrl,
  type Conversation,
  type ConversationEvent,
  type Member,
  type Message,
  type ParleyApi,
  type UpdateGroupInput,
  type User,
} from '../../../src/client/index.js';
import { applyEvent, conversationToFetch, mergeMessages, previewUnknown, removeConversation } from './apply-event.js';
import { applyRead, readLeavesUnread } from './apply-read.js';
import { applyConversation, applyFirstPage, applyInbox, applyMembers, applyNotices, applyPins, EMPTY_TIMELINE } from './apply-fetched.js';
import { applyPurge } from './apply-purge.js';
import { applyEmojiChange } from './apply-emoji.js';
import { initialChatState } from './initial-state.js';
import { ThreadActions } from './thread-actions.js';
import { DraftActions } from './draft-actions.js';
import { OutboxActions } from './outbox-actions.js';
import { SYSTEM_EVENT_TYPES, type ChatState, type SystemEvent, type Timeline } from './types.js';
import { CLIENT_VERSION } from '../version.js';
import { t } from '../i18n/index.js';

const PAGE = 50;
const TYPING_SHOWN_MS = 6000;
const TYPING_SENT_EVERY_MS = 3000;

/** Pages of system lines read for one stretch of history, at most (100 each). */
const NOTICE_PAGES = 5;

export class ChatStore {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private notifyQueued = false;
  readonly realtime: ParleyRealtime;
  /** Threads: the list and its badge, opening, following, reading. */
  readonly threads: ThreadActions;
  /** Drafts per conversation, kept on the server across reloads and devices. */
  readonly drafts: DraftActions;
  /** Messages typed here on their way to the server: send, retry, discard. */
  readonly outbox: OutboxActions;
  private readonly unsubscribers: (() => void)[] = [];
  private typingTimer: ReturnType<typeof setInterval> | null = null;
  private readonly typingSentAt = new Map<string, number>();
  private readonly fetchingConversation = new Set<string>();
  private readonly readSent = new Map<string, number>();
  /** The ETag of the custom emoji list as fetched (null once frames changed it since). */
  private emojiEtag: string | null = null;
  /** Bumped by start and stop, so a start that stop overtook does not connect late. */
  private generation = 0;

  constructor(
    readonly api: ParleyApi,
    me: User,
  ) {
    this.state = initialChatState(me);
    this.realtime = new ParleyRealtime({ url: realtimeUrl(api.baseUrl), token: api.token ?? '' });
    this.threads = new ThreadActions(api, this.getState, (fn) => this.update(fn), (ids) => this.rememberUsers(ids));
    this.drafts = new DraftActions(api, this.getState, (fn) => this.update(fn));
    // The others stop showing "typing" when the message arrives; the next keystroke says it again.
    this.outbox = new OutboxActions(api, this.realtime, this.getState, (fn) => this.update(fn), (id) => this.typingSentAt.delete(id));
  }

  // --- subscription (useSyncExternalStore) ---

  getState = (): ChatState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(next: ChatState): void {
    if (next === this.state) return;
    this.state = next;
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const l of this.listeners) l();
    });
  }

  private update(fn: (s: ChatState) => ChatState): void {
    this.set(fn(this.state));
  }

  // --- lifecycle ---

  /** Loads the inbox, then connects; events missed in between are synced from the inbox's seqs. */
  async start(): Promise<void> {
    const rt = this.realtime;
    const generation = ++this.generation;
    this.unsubscribers.push(
      rt.on('state', ({ state }) => this.update((s) => ({ ...s, connection: state, retryAt: rt.retryAt, offlineReason: state === 'online' ? null : s.offlineReason }))),
      // Why the connection went (dropped, too slow to keep up, too many tabs), and when it retries.
      rt.on('disconnected', ({ message, retryAt }) => this.update((s) => ({ ...s, offlineReason: message, retryAt }))),
      rt.on('event', (ev) => this.onEvent(ev)),
      rt.on('reconnected', () => {
        void this.refreshInbox().catch(() => undefined);
        // Thread states changed meanwhile (on other devices) come with no event to replay.
        void this.threads.loadList().catch(() => undefined);
        // Custom emoji added or deleted while away (no frame is replayed): a 304 when none were.
        void this.loadEmoji().catch(() => undefined);
        // Drafts changed on other devices while away.
        void this.drafts.load().catch(() => undefined);
      }),
      // A draft changed in another tab or on another device.
      rt.on('draftUpdated', (f) => this.drafts.onUpdated(f.conversationId, f.body)),
      // A site admin added or deleted a custom emoji.
      rt.on('emojiChanged', (f) => {
        this.emojiEtag = null;
        this.update((s) => ({ ...s, customEmoji: applyEmojiChange(s.customEmoji, f) }));
      }),
      // Following or reading a thread changed on another device.
      rt.on('threadState', (f) => this.threads.onState(f)),
      rt.on('typing', (f) => this.onTyping(f.conversationId, f.userId)),
      rt.on('presence', (f) => this.onPresence(f.userId, f.online, f.lastSeenAt)),
      rt.on('read', (f) => this.onRead(f.conversationId, f.userId, f.lastReadSeq)),
      // Retention: the expired messages before beforeSeq are tombstones now.
      rt.on('purged', (f) => this.update((s) => applyPurge(s, f.conversationId, f.beforeSeq))),
      // A profile changed (or an account was erased): keep what the server said, with this page's presence.
      rt.on('userUpdated', ({ user }) => {
        const known = this.state.users[user.id];
        this.setUser(known ? { ...user, online: known.online, lastSeenAt: known.lastSeenAt } : user);
      }),
      // Notification settings changed on this or another device.
      rt.on('notifications', (f) => {
        const c = this.state.conversations[f.conversationId];
        if (c) this.addConversation({ ...c, notifyLevel: f.level, muted: f.muted });
      }),
      // A group created with this user among its founders (here or on another device): list it now.
      rt.on('conversationCreated', ({ conversation }) => {
        if (!this.state.conversations[conversation.id]) this.addConversation(conversation);
      }),
      rt.on('outdated', ({ message }) => this.update((s) => ({ ...s, outdated: message ?? t('connection.unsupported') }))),
      rt.on('ready', ({ user, serverVersion, connectionId }) => {
        this.setUser(user);
        this.drafts.onReady(connectionId);
        if (serverVersion && serverVersion !== CLIENT_VERSION && this.state.newerServer !== serverVersion) {
          this.update((s) => ({ ...s, newerServer: serverVersion }));
        }
        // The first inbox fetch failed (the server was unreachable): now it can work.
        if (!this.state.inboxLoaded) void this.refreshInbox().catch(() => undefined);
      }),
      rt.on('ack', ({ message }) => this.outbox.stored(message)),
    );
    this.typingTimer = setInterval(() => this.expireTyping(), 1000);
    // The network came back: reconnect now rather than at the next backoff step. (A silent drop
    // is found by the socket's heartbeat.)
    const online = () => {
      if (this.realtime.state === 'offline') this.realtime.reconnectNow();
    };
    window.addEventListener('online', online);
    this.unsubscribers.push(() => window.removeEventListener('online', online));
    // The Threads badge, beside the inbox.
    void this.threads.loadList().catch(() => undefined);
    void this.loadEmoji().catch(() => undefined);
    // Drafts not saved yet go when the page is hidden or goes away (closing the tab, a reload, a
    // phone switching apps). beforeunload comes first, while the page is still whole: a keepalive
    // request started as late as pagehide was seen dropped by Chromium under load.
    const away = () => this.drafts.flushAll();
    const hidden = () => {
      if (document.visibilityState === 'hidden') this.drafts.flushAll();
    };
    window.addEventListener('beforeunload', away);
    window.addEventListener('pagehide', away);
    document.addEventListener('visibilitychange', hidden);
    this.unsubscribers.push(
      () => window.removeEventListener('beforeunload', away),
      () => window.removeEventListener('pagehide', away),
      () => document.removeEventListener('visibilitychange', hidden),
    );
    void this.drafts.load().catch(() => undefined);
    try {
      await this.refreshInbox();
    } finally {
      // Even without the inbox: the socket retries by itself and its `ready` fetches the inbox again.
      if (generation === this.generation) rt.start();
    }
  }

  stop(): void {
    this.generation++;
    for (const u of this.unsubscribers.splice(0)) u();
    if (this.typingTimer) clearInterval(this.typingTimer);
    this.realtime.stop();
    this.threads.stop();
    this.drafts.flushAll();
    this.outbox.revokeAll();
  }

  /** Fetches the custom emoji list (at start and after a reconnect): nothing to do on a 304. */
  async loadEmoji(): Promise<void> {
    const list = await this.api.listEmoji(this.emojiEtag);
    if (!list) return;
    this.emojiEtag = list.etag;
    this.update((s) => ({ ...s, customEmoji: list.emoji }));
  }

  /** Refetches the inbox (at start and after a reconnect: conversations joined, left or deleted meanwhile). */
  async refreshInbox(): Promise<void> {
    const list = await this.api.listAllConversations();
    this.update((s) => applyInbox(s, list));
    const following = new Set(Object.keys(this.realtime.cursors()));
    for (const c of list) if (!following.has(c.id)) this.realtime.follow(c.id, c.lastSeq);
    // Group previews name the sender ("李娜: 测试"), also in groups not opened yet.
    this.rememberUsers(list.flatMap((c) => (c.kind === 'group' && c.lastMessage ? [c.lastMessage.senderId] : [])));
  }

  // --- realtime input ---

  private onEvent(ev: ConversationEvent): void {
    if (conversationToFetch(this.state, ev)) void this.fetchConversation(ev.conversationId);
    if (ev.type === 'message.created' || ev.type === 'message.updated') this.rememberUsers([ev.message.senderId]);
    // Who added, removed or renamed: named in the system line (and in "You were removed … by").
    if (ev.type === 'member.joined' && ev.member.addedBy) this.rememberUsers([ev.member.addedBy]);
    if ((ev.type === 'member.left' || ev.type === 'member.updated' || ev.type === 'conversation.updated') && ev.by) this.rememberUsers([ev.by]);
    if (ev.type === 'message.created' && ev.thread) this.rememberUsers(ev.thread.participantIds);
    const before = this.state;
    this.update((s) => applyEvent(s, ev));
    this.threads.afterEvent(before, ev);
    // The inbox's preview was deleted and the loaded page cannot tell what it shows now.
    if (ev.type === 'message.deleted' && previewUnknown(this.state, ev.conversationId)) void this.fetchConversation(ev.conversationId);
  }

  /** A conversation we learnt of from an event (added to a group, a new direct chat), or one whose preview to refresh. */
  private async fetchConversation(id: string): Promise<void> {
    if (this.fetchingConversation.has(id)) return;
    this.fetchingConversation.add(id);
    try {
      const c = await this.api.getConversation(id);
      this.addConversation(c);
    } catch {
      // Not a member after all (left again meanwhile): nothing to show.
    } finally {
      this.fetchingConversation.delete(id);
    }
  }

  /** Adds (or refreshes) a conversation in the inbox and follows its events. */
  addConversation(c: Conversation): void {
    this.update((s) => applyConversation(s, c));
    if (this.realtime.cursor(c.id) === undefined) this.realtime.follow(c.id, c.lastSeq);
    if (c.kind === 'group' && c.lastMessage) this.rememberUsers([c.lastMessage.senderId]);
  }

  /** Senders of a history page nobody listed (they left, or their account was erased: "Deleted user"), fetched once each. */
  private readonly fetchingSenders = new Set<string>();
  private rememberSendersOf(messages: readonly Message[]): void {
    this.rememberUsers(messages.map((m) => m.senderId));
  }

  setUser(u: User): void {
    this.update((s) => {
      const conversations = { ...s.conversations };
      for (const c of Object.values(conversations)) if (c.peer?.id === u.id) conversations[c.id] = { ...c, peer: u };
      return { ...s, users: { ...s.users, [u.id]: u }, conversations, me: s.me.id === u.id ? u : s.me };
    });
  }

  private onTyping(conversationId: string, userId: string): void {
    if (userId === this.state.me.id) return;
    this.update((s) => ({ ...s, typing: { ...s.typing, [conversationId]: { ...s.typing[conversationId], [userId]: Date.now() + TYPING_SHOWN_MS } } }));
  }

  private expireTyping(): void {
    const now = Date.now();
    const s = this.state;
    let changed = false;
    const typing: ChatState['typing'] = {};
    for (const [cid, who] of Object.entries(s.typing)) {
      const kept = Object.fromEntries(Object.entries(who).filter(([, until]) => until > now));
      if (Object.keys(kept).length !== Object.keys(who).length) changed = true;
      if (Object.keys(kept).length) typing[cid] = kept;
    }
    if (changed) this.set({ ...s, typing });
  }

  private onPresence(userId: string, online: boolean, lastSeenAt: string | null): void {
    const u = this.state.users[userId];
    if (u) this.setUser({ ...u, online, lastSeenAt });
  }

  private onRead(conversationId: string, userId: string, seq: number): void {
    // Read on another device: what is left unread is known exactly only when all of it is.
    const refetch = readLeavesUnread(this.state, conversationId, userId, seq);
    this.update((s) => applyRead(s, conversationId, userId, seq));
    if (refetch) void this.api.getConversation(conversationId).then((fresh) => this.addConversation(fresh), () => undefined);
  }

  // --- timelines ---

  /** Loads the newest page of a conversation once. */
  /** First pages in flight, so a second caller (a search jump) waits for the same one. */
  private readonly opening = new Map<string, Promise<void>>();

  async openConversation(id: string): Promise<void> {
    const c = this.state.conversations[id];
    if (c?.kind === 'group' && !this.state.members[id]) void this.loadMembers(id).catch(() => undefined);
    const t = this.state.timelines[id];
    if (t?.loaded) return;
    const inFlight = this.opening.get(id);
    if (inFlight) return inFlight;
    const opening = this.loadFirstPage(id).finally(() => this.opening.delete(id));
    this.opening.set(id, opening);
    return opening;
  }

  /**
   * The first pages: with unread messages, the page from the first unread on and the page before
   * it (so the reader lands at the first unread, with what came just before); else the newest.
   */
  private async loadFirstPage(id: string): Promise<void> {
    const t = this.state.timelines[id];
    this.setTimeline(id, { ...(t ?? EMPTY_TIMELINE), loading: true });
    const c = this.state.conversations[id];
    const readTo = c && c.unreadCount > 0 && c.lastReadSeq < c.lastSeq ? c.lastReadSeq : null;
    try {
      let messages: Message[];
      let hasMoreBefore: boolean;
      let loadedThrough: number | null = null;
      if (readTo === null) {
        const page = await this.api.history(id, { collapseThreads: true, limit: PAGE });
        messages = page.messages;
        hasMoreBefore = page.hasMore;
      } else {
        const [older, unread] = await Promise.all([
          readTo > 0 ? this.api.history(id, { collapseThreads: true, before: readTo + 1, limit: PAGE }) : Promise.resolve({ messages: [], hasMore: false }),
          this.api.history(id, { collapseThreads: true, after: readTo, limit: PAGE }),
        ]);
        messages = [...older.messages, ...unread.messages];
        hasMoreBefore = older.hasMore;
        if (unread.hasMore) loadedThrough = unread.messages.at(-1)?.seq ?? readTo;
      }
      this.update((s) => applyFirstPage(s, id, messages, hasMoreBefore, loadedThrough));
      void this.loadNotices(id, hasMoreBefore ? (messages[0]?.seq ?? 1) - 1 : 0, loadedThrough === null ? undefined : loadedThrough + 1);
      // After the member list (asked for beside the page) had its chance to name them.
      setTimeout(() => this.rememberSendersOf(messages), 1000);
    } catch (err) {
      this.setTimeline(id, { ...(this.state.timelines[id] ?? EMPTY_TIMELINE), loading: false });
      throw err;
    }
  }

  /** Loads the page after the newest shown message, when the timeline was opened far from the newest. */
  async loadNewer(id: string): Promise<number> {
    const t = this.state.timelines[id];
    if (!t?.loaded || t.loading || t.loadedThrough === null) return 0;
    const from = t.loadedThrough;
    this.setTimeline(id, { ...t, loading: true });
    try {
      const page = await this.api.history(id, { collapseThreads: true, after: from, limit: PAGE });
      const cur = this.state.timelines[id] ?? t;
      const loadedThrough = page.hasMore ? (page.messages.at(-1)?.seq ?? from) : null;
      this.setTimeline(id, { ...cur, messages: mergeMessages(cur.messages, page.messages, true), loadedThrough, loading: false });
      void this.loadNotices(id, from, loadedThrough === null ? undefined : loadedThrough + 1);
      this.rememberSendersOf(page.messages);
      return page.messages.length;
    } catch (err) {
      this.setTimeline(id, { ...(this.state.timelines[id] ?? t), loading: false });
      throw err;
    }
  }

  /** Jumps to the newest messages: when they were not loaded, the newest page replaces what was. */
  async showLatest(id: string): Promise<void> {
    const t = this.state.timelines[id];
    if (!t?.loaded || t.loadedThrough === null) return;
    this.setTimeline(id, { ...t, loading: true });
    try {
      const page = await this.api.history(id, { collapseThreads: true, limit: PAGE });
      const cur = this.state.timelines[id] ?? t;
      const first = page.messages[0]?.seq ?? 0;
      // Live messages newer than the page stay; older loaded ones go (they would leave a gap).
      const newer = cur.messages.filter((m) => m.seq > (page.messages.at(-1)?.seq ?? 0));
      this.setTimeline(id, { ...cur, messages: mergeMessages(page.messages, newer), loadedThrough: null, hasMoreBefore: page.hasMore, notices: cur.notices.filter((n) => n.seq > first), loading: false });
      void this.loadNotices(id, page.hasMore ? first - 1 : 0);
      this.rememberSendersOf(page.messages);
    } catch (err) {
      this.setTimeline(id, { ...(this.state.timelines[id] ?? t), loading: false });
      throw err;
    }
  }

  /** Reads the system lines (membership, roles, settings) between two seqs into the timeline. */
  private async loadNotices(id: string, after: number, before?: number): Promise<void> {
    let from = after;
    try {
      for (let i = 0; i < NOTICE_PAGES; i++) {
        const page = await this.api.events(id, { after: from, ...(before !== undefined ? { before } : {}), types: SYSTEM_EVENT_TYPES.join(','), limit: 100 });
        const found = page.events.filter((e): e is SystemEvent => (SYSTEM_EVENT_TYPES as readonly string[]).includes(e.type));
        for (const e of found) if (e.type !== 'conversation.updated') this.remember(e.member.user);
        const byIds = found.flatMap((e) => [e.type === 'member.joined' ? e.member.addedBy : 'by' in e ? e.by : undefined]).filter((x): x is string => typeof x === 'string');
        this.rememberUsers(byIds);
        this.update((s) => applyNotices(s, id, found));
        if (!page.hasMore || page.events.length === 0) return;
        from = page.events.at(-1)!.seq;
      }
    } catch {
      // System lines are a courtesy: the messages are shown without them.
    }
  }

  /** A user named by an event (a member), kept unless we know them already. */
  private remember(u: User): void {
    if (!this.state.users[u.id]) this.setUser(u);
  }

  /** Users named only by id (senders, who added, removed or renamed), fetched once each. */
  private rememberUsers(ids: readonly string[]): void {
    for (const id of new Set(ids)) {
      if (this.state.users[id] || this.fetchingSenders.has(id)) continue;
      this.fetchingSenders.add(id);
      void this.api.getUser(id).then(
        (u) => this.setUser(u),
        () => undefined,
      );
    }
  }

  /** Loads the page before the oldest loaded message. Resolves with how many arrived. */
  async loadOlder(id: string): Promise<number> {
    const t = this.state.timelines[id];
    if (!t?.loaded || t.loading || !t.hasMoreBefore) return 0;
    const first = t.messages[0];
    this.setTimeline(id, { ...t, loading: true });
    try {
      const page = await this.api.history(id, { collapseThreads: true, ...(first ? { before: first.seq } : {}), limit: PAGE });
      const cur = this.state.timelines[id] ?? t;
      this.setTimeline(id, { ...cur, messages: mergeMessages(cur.messages, page.messages, true), hasMoreBefore: page.hasMore, loading: false });
      if (first) void this.loadNotices(id, page.hasMore ? (page.messages[0]?.seq ?? first.seq) - 1 : 0, first.seq);
      this.rememberSendersOf(page.messages);
      return page.messages.length;
    } catch (err) {
      this.setTimeline(id, { ...(this.state.timelines[id] ?? t), loading: false });
      throw err;
    }
  }

  /** Loads older (or newer) pages until `seq` is loaded (at most `maxPages`); resolves whether it is. */
  async loadUntil(id: string, seq: number, maxPages = 20): Promise<boolean> {
    await this.openConversation(id);
    for (let i = 0; i < maxPages; i++) {
      const t = this.state.timelines[id];
      if (!t) return false;
      if (t.loadedThrough !== null && seq > t.loadedThrough) {
        if ((await this.loadNewer(id)) === 0 && this.state.timelines[id]?.loadedThrough !== null) return false;
        continue;
      }
      const first = t.messages[0];
      if (first && first.seq <= seq) return true;
      if (!t.hasMoreBefore) return false;
      if ((await this.loadOlder(id)) === 0) return false;
    }
    return (this.state.timelines[id]?.messages[0]?.seq ?? Infinity) <= seq;
  }

  private setTimeline(id: string, t: Timeline): void {
    this.update((s) => ({ ...s, timelines: { ...s.timelines, [id]: t } }));
  }

  /** A message that is not in a loaded timeline (the original of a reply), fetched once. */
  async fetchMessage(id: string): Promise<void> {
    if (this.state.extra[id]) return;
    const m = await this.api.getMessage(id);
    this.update((s) => ({ ...s, extra: { ...s.extra, [id]: m } }));
  }

  /** Tells the others we are typing (at most every few seconds). */
  typing(conversationId: string): void {
    const last = this.typingSentAt.get(conversationId) ?? 0;
    if (Date.now() - last < TYPING_SENT_EVERY_MS || this.state.connection !== 'online') return;
    this.typingSentAt.set(conversationId, Date.now());
    this.realtime.typing(conversationId);
  }

  /**
   * Marks a conversation read up to `seq` (the newest message the reader has seen). What stays
   * unread after it keeps counting: the badge shows the remainder.
   */
  markRead(conversationId: string, seq: number): void {
    const c = this.state.conversations[conversationId];
    if (!c) return;
    if (seq <= c.lastReadSeq && (seq < c.lastSeq || (c.unreadCount === 0 && c.mentionCount === 0))) return;
    const me = this.state.me.id;
    const nowRead = (this.state.timelines[conversationId]?.messages ?? []).filter((m) => m.seq > c.lastReadSeq && m.seq <= seq && m.senderId !== me && !m.deletedAt);
    const all = seq >= c.lastSeq;
    const unreadCount = all ? 0 : Math.max(0, c.unreadCount - nowRead.length);
    const mentionCount = all ? 0 : Math.max(0, c.mentionCount - nowRead.filter((m) => m.mentions.includes(me)).length);
    this.update((s) => ({
      ...s,
      conversations: { ...s.conversations, [conversationId]: { ...c, lastReadSeq: Math.max(c.lastReadSeq, seq), unreadCount, mentionCount } },
    }));
    if ((this.readSent.get(conversationId) ?? 0) >= seq) return;
    this.readSent.set(conversationId, seq);
    if (this.state.connection === 'online') this.realtime.read(conversationId, seq);
    else void this.api.markRead(conversationId, seq).catch(() => this.readSent.delete(conversationId));
  }

  // --- message actions ---

  async edit(m: Message, body: string): Promise<void> {
    const updated = await this.api.editMessage(m.id, body);
    this.update((s) => applyEvent(s, { type: 'message.updated', conversationId: m.conversationId, seq: 0, createdAt: updated.editedAt ?? updated.createdAt, message: { ...updated, reactions: m.reactions } }));
  }

  async remove(m: Message): Promise<void> {
    await this.api.deleteMessage(m.id);
    this.update((s) => applyEvent(s, { type: 'message.deleted', conversationId: m.conversationId, seq: 0, createdAt: new Date().toISOString(), messageId: m.id }));
  }

  /** Adds our reaction, or takes it back; shown at once. */
  async toggleReaction(m: Message, emoji: string): Promise<void> {
    const mine = m.reactions.find((r) => r.emoji === emoji)?.me ?? false;
    const ev = { conversationId: m.conversationId, seq: 0, createdAt: new Date().toISOString(), messageId: m.id, emoji, userId: '' } as const;
    // userId '' counts as somebody else's, so the local change applies; the echo (ours) is then skipped.
    const apply = (type: 'reaction.added' | 'reaction.removed') =>
      this.update((s) => applyEvent(s, { ...ev, type }));
    if (mine) {
      apply('reaction.removed');
      this.flipMine(m, emoji, false);
      try {
        await this.api.removeReaction(m.id, emoji);
      } catch (err) {
        apply('reaction.added');
        this.flipMine(m, emoji, true);
        throw err;
      }
    } else {
      apply('reaction.added');
      this.flipMine(m, emoji, true);
      try {
        await this.api.addReaction(m.id, emoji);
      } catch (err) {
        apply('reaction.removed');
        this.flipMine(m, emoji, false);
        throw err;
      }
    }
  }

  private flipMine(m: Message, emoji: string, me: boolean): void {
    this.update((s) => {
      const t = s.timelines[m.conversationId];
      if (!t) return s;
      const messages = t.messages.map((x) => (x.id === m.id ? { ...x, reactions: x.reactions.map((r) => (r.emoji === emoji ? { ...r, me } : r)) } : x));
      return { ...s, timelines: { ...s.timelines, [m.conversationId]: { ...t, messages } } };
    });
  }

  // --- groups and members ---

  async loadMembers(groupId: string): Promise<void> {
    const all: Member[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.api.listMembers(groupId, { limit: 100, ...(cursor ? { cursor } : {}) });
      all.push(...page.members);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    this.update((s) => applyMembers(s, groupId, all));
  }

  /** Opens (or creates) the direct conversation with a user. */
  async openDirect(userId: string): Promise<Conversation> {
    const c = await this.api.openDirect(userId);
    this.addConversation(c);
    return c;
  }

  async createGroup(input: { name: string; description: string | null; visibility: 'public' | 'private'; memberIds: string[] }): Promise<Conversation> {
    const c = await this.api.createGroup(input);
    this.addConversation(c);
    return c;
  }

  async joinGroup(groupId: string): Promise<Conversation> {
    await this.api.addMember(groupId, this.state.me.id);
    const c = await this.api.getConversation(groupId);
    this.addConversation(c);
    return c;
  }

  /** Leaves a group; `blockAdder`: whoever added us may not add us to a group again. */
  async leaveGroup(groupId: string, opts: { blockAdder?: boolean } = {}): Promise<void> {
    await this.api.leaveGroup(groupId, this.state.me.id, opts);
    this.realtime.unfollow(groupId);
    this.update((s) => removeConversation(s, groupId));
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.api.deleteGroup(groupId);
    this.realtime.unfollow(groupId);
    this.update((s) => removeConversation(s, groupId));
  }

  async updateGroup(groupId: string, input: UpdateGroupInput): Promise<void> {
    const c = await this.api.updateGroup(groupId, input);
    this.update((s) => {
      const cur = s.conversations[groupId];
      const changed = { name: c.name, description: c.description, visibility: c.visibility, postingPolicy: c.postingPolicy, mentionAllPolicy: c.mentionAllPolicy };
      return cur ? { ...s, conversations: { ...s.conversations, [groupId]: { ...cur, ...changed } } } : s;
    });
  }

  /** Fetches a conversation's pins; their messages go to `extra` (the timeline's own copies win when shown). */
  async loadPins(conversationId: string): Promise<void> {
    const list = await this.api.listPins(conversationId);
    this.update((s) => applyPins(s, conversationId, list));
  }

  /** Pins or unpins a message; the list follows from the event (message.pinned / message.unpinned). */
  /** The sender removes a link preview; the message.updated event that follows shows it gone. */
  async removeLinkPreview(m: Message, url: string): Promise<void> {
    await this.api.removeLinkPreviews(m.id, url);
  }

  async setPinned(m: Message, pinned: boolean): Promise<void> {
    if (pinned) await this.api.pin(m.conversationId, m.id);
    else await this.api.unpin(m.conversationId, m.id);
  }

  /** The reader has seen why a group went away. */
  dismissRemoval(conversationId: string): void {
    this.update((s) => ({ ...s, removals: s.removals.filter((r) => r.conversationId !== conversationId) }));
  }

  async addMember(groupId: string, userId: string): Promise<void> {
    await this.api.addMember(groupId, userId);
    await this.loadMembers(groupId);
  }

  async setRole(groupId: string, userId: string, role: 'owner' | 'admin' | 'member'): Promise<void> {
    await this.api.setMemberRole(groupId, userId, role);
    await this.loadMembers(groupId);
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.api.removeMember(groupId, userId);
    await this.loadMembers(groupId);
  }

  // --- profile ---

  async updateProfile(displayName: string, avatar: File | null | undefined): Promise<void> {
    let avatarUploadId: string | null | undefined;
    if (avatar) avatarUploadId = (await this.api.upload(avatar, avatar.name)).id;
    else if (avatar === null) avatarUploadId = null;
    const me = await this.api.updateMe({ displayName, ...(avatarUploadId !== undefined ? { avatarUploadId } : {}) });
    this.setUser(me);
  }
}
