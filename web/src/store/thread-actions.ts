/**
 * The ChatStore's thread actions over ParleyApi: the Threads list and its badge, opening a thread
 * (its state and replies, older pages on demand), following, reading, and keeping what we know
 * of threads current when events and thread.state frames come (events themselves are folded in
 * by apply-event.ts).
 */
import type { ConversationEvent, ParleyApi, Thread } from '../../../src/client/index.js';
import { applyReplyDeleted, applyThreadRead, applyThreadState, fetchedThread, mergeThreadPage, putThread } from './apply-thread.js';
import { mergeMessages } from './merge.js';
import type { ChatState, ThreadReplies } from './types.js';

const PAGE = 50;
const LIST_PAGE = 50;
const REFRESH_DELAY_MS = 500;
const EMPTY_REPLIES: ThreadReplies = { messages: [], hasMoreBefore: true, loading: false, loaded: false };

export class ThreadActions {
  private listLoading: Promise<void> | null = null;
  private listTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly refreshing = new Set<string>();
  private readonly opening = new Map<string, Promise<void>>();
  private readonly readSent = new Map<string, number>();

  constructor(
    private readonly api: ParleyApi,
    private readonly get: () => ChatState,
    private readonly update: (fn: (s: ChatState) => ChatState) => void,
    /** Users named only by id (root senders, repliers), fetched once each. */
    private readonly remember: (ids: readonly string[]) => void,
  ) {}

  private rememberThreads(threads: readonly Thread[]): void {
    this.remember(threads.flatMap((t) => [t.root.senderId, ...t.participantIds]));
  }

  /** Fetches the first page of followed threads (and the badge's totals). */
  loadList(): Promise<void> {
    if (this.listLoading) return this.listLoading;
    this.listLoading = this.api
      .listThreads({ limit: LIST_PAGE })
      .then((page) => {
        this.update((s) => mergeThreadPage(s, page, true));
        this.rememberThreads(page.threads);
      })
      .finally(() => (this.listLoading = null));
    return this.listLoading;
  }

  /** The next page of the Threads view. */
  async loadMore(): Promise<void> {
    const cursor = this.get().threadList.nextCursor;
    if (!cursor) return;
    const page = await this.api.listThreads({ cursor, limit: LIST_PAGE });
    this.update((s) => mergeThreadPage(s, page, false));
    this.rememberThreads(page.threads);
  }

  /** Refetches the list a moment from now, once for a burst of reasons. */
  private loadListSoon(): void {
    if (this.listTimer) return;
    this.listTimer = setTimeout(() => {
      this.listTimer = null;
      void this.loadList().catch(() => undefined);
    }, REFRESH_DELAY_MS);
  }

  stop(): void {
    if (this.listTimer) clearTimeout(this.listTimer);
    this.listTimer = null;
  }

  /** Refetches one thread's state (counts we cannot work out from the events), once at a time. */
  private refresh(rootId: string): void {
    if (this.refreshing.has(rootId)) return;
    this.refreshing.add(rootId);
    void this.api
      .getThread(rootId)
      .then(
        (t) => {
          this.update((s) => putThread(s, fetchedThread(s, t)));
          this.rememberThreads([t]);
        },
        () => undefined,
      )
      .finally(() => this.refreshing.delete(rootId));
  }

  /**
   * After an event was applied (`before`: the state it was applied to): a reply in a thread we
   * know nothing of may be one we follow (we replied, were mentioned, or wrote the root), so its
   * state is fetched; a deleted reply we never loaded may have been unread.
   */
  afterEvent(before: ChatState, ev: ConversationEvent): void {
    if (ev.type === 'message.created' && ev.message.threadId) {
      const rootId = ev.message.threadId;
      if (before.threads[rootId]) return;
      const me = before.me.id;
      const root = before.timelines[ev.conversationId]?.messages.find((m) => m.id === rootId) ?? before.extra[rootId];
      const involved = ev.message.senderId === me || ev.message.mentions.includes(me) || root?.senderId === me;
      // With every followed thread listed, an unknown one that does not involve us is not followed.
      if (involved) this.refresh(rootId);
      else if (before.threadList.nextCursor !== null) this.loadListSoon();
    } else if (ev.type === 'message.deleted' && ev.threadId) {
      if (applyReplyDeleted(before, ev.threadId, ev.messageId).unsure) this.refresh(ev.threadId);
    }
  }

  /** Another device followed, unfollowed or read a thread. */
  onState(f: { rootId: string; following: boolean; lastReadSeq: number }): void {
    let unsure = false;
    this.update((s) => {
      const r = applyThreadState(s, f);
      unsure = r.unsure;
      return r.state;
    });
    if (unsure) this.refresh(f.rootId);
  }

  /** Opens a thread: its state and its newest replies (once; live replies keep them current). */
  open(rootId: string): Promise<void> {
    const inFlight = this.opening.get(rootId);
    if (inFlight) return inFlight;
    const opening = this.load(rootId).finally(() => this.opening.delete(rootId));
    this.opening.set(rootId, opening);
    return opening;
  }

  private async load(rootId: string): Promise<void> {
    const known = this.get().replies[rootId];
    const needReplies = !known?.loaded;
    if (needReplies) this.setReplies(rootId, { ...(known ?? EMPTY_REPLIES), loading: true });
    try {
      const [thread, page] = await Promise.all([this.api.getThread(rootId), needReplies ? this.api.threadReplies(rootId, { limit: PAGE }) : null]);
      this.rememberThreads([thread]);
      if (page) this.remember(page.messages.map((m) => m.senderId));
      this.update((s) => {
        let next = putThread(s, fetchedThread(s, thread));
        if (page) {
          const cur = next.replies[rootId] ?? EMPTY_REPLIES;
          next = { ...next, replies: { ...next.replies, [rootId]: { messages: mergeMessages(cur.messages, page.messages, true), hasMoreBefore: page.hasMore, loading: false, loaded: true } } };
        }
        return next;
      });
    } catch (err) {
      const cur = this.get().replies[rootId];
      if (cur) this.setReplies(rootId, { ...cur, loading: false });
      throw err;
    }
  }

  /** The page of replies before the oldest loaded one; resolves with how many came. */
  async loadOlder(rootId: string): Promise<number> {
    const r = this.get().replies[rootId];
    if (!r?.loaded || r.loading || !r.hasMoreBefore) return 0;
    const first = r.messages[0];
    this.setReplies(rootId, { ...r, loading: true });
    try {
      const page = await this.api.threadReplies(rootId, first ? { before: first.seq, limit: PAGE } : { limit: PAGE });
      const cur = this.get().replies[rootId] ?? r;
      this.setReplies(rootId, { ...cur, messages: mergeMessages(cur.messages, page.messages, true), hasMoreBefore: page.hasMore, loading: false });
      this.remember(page.messages.map((m) => m.senderId));
      return page.messages.length;
    } catch (err) {
      this.setReplies(rootId, { ...(this.get().replies[rootId] ?? r), loading: false });
      throw err;
    }
  }

  /** Loads older pages until the reply `seq` is loaded (a search result); resolves whether it is. */
  async loadUntil(rootId: string, seq: number, maxPages = 20): Promise<boolean> {
    await this.open(rootId);
    for (let i = 0; i < maxPages; i++) {
      const r = this.get().replies[rootId];
      if (!r) return false;
      if ((r.messages[0]?.seq ?? Infinity) <= seq || !r.hasMoreBefore) break;
      if ((await this.loadOlder(rootId)) === 0) break;
    }
    return this.get().replies[rootId]?.messages.some((m) => m.seq === seq) ?? false;
  }

  async setFollowing(rootId: string, following: boolean): Promise<void> {
    const t = following ? await this.api.followThread(rootId) : await this.api.unfollowThread(rootId);
    this.update((s) => putThread(s, fetchedThread(s, t)));
  }

  /** Marks a thread read up to `seq` (its last reply), shown at once. */
  markRead(rootId: string, seq: number): void {
    this.update((s) => applyThreadRead(s, rootId, seq));
    if ((this.readSent.get(rootId) ?? 0) >= seq) return;
    this.readSent.set(rootId, seq);
    this.api.markThreadRead(rootId, seq).catch(() => this.readSent.delete(rootId));
  }

  private setReplies(rootId: string, r: ThreadReplies): void {
    this.update((s) => ({ ...s, replies: { ...s.replies, [rootId]: r } }));
  }
}
