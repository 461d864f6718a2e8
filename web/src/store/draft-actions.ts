/**
 * The ChatStore's drafts (issue 21): the composer's unsent text per conversation, kept on the
 * server so it survives a reload and follows the user to their other tabs and devices. A change
 * is shown at once (state.drafts: the composer and the inbox's "Draft:") and saved a moment after
 * typing stops, at once on leaving the conversation, and with `keepalive` as the page goes away.
 * Another connection's change (`draft.updated`) replaces this page's text, except while the user
 * is typing here: then this page's text wins and is saved again.
 */
import type { ParleyApi } from '../../../src/client/index.js';
import type { ChatState } from './types.js';

/** Typing stopped this long ago: the draft is saved. */
export const DRAFT_SAVE_DELAY_MS = 1000;
/** A keystroke this recent means the user is typing right now: another device's draft waits. */
export const TYPING_NOW_MS = 5000;

/** `drafts` with the text of one conversation set (a blank text: no draft). */
export function withDraft(drafts: ChatState['drafts'], conversationId: string, body: string): ChatState['drafts'] {
  if (body.trim() === '') {
    if (!(conversationId in drafts)) return drafts;
    const { [conversationId]: _gone, ...rest } = drafts;
    return rest;
  }
  return drafts[conversationId] === body ? drafts : { ...drafts, [conversationId]: body };
}

export class DraftActions {
  /** This page's socket connection (ready.connectionId): the server does not echo our own saves to it. */
  private connectionId: string | null = null;
  /** Saves waiting for typing to stop, per conversation. */
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** When the user last changed each draft here (ms). */
  private readonly typedAt = new Map<string, number>();
  /** The text the server holds, as far as this page knows (saved by us, fetched, or told by a frame). */
  private readonly saved = new Map<string, string>();
  /** Saves run one after another per conversation, so an older text never lands after a newer one. */
  private readonly chains = new Map<string, Promise<void>>();
  /** The text of each save in flight. */
  private readonly inFlight = new Map<string, string>();

  constructor(
    private readonly api: ParleyApi,
    private readonly get: () => ChatState,
    private readonly update: (fn: (s: ChatState) => ChatState) => void,
  ) {}

  /** The socket is ready (first connection or a reconnect). */
  onReady(connectionId: string): void {
    this.connectionId = connectionId;
  }

  /** Fetches the user's drafts (at start, and after a reconnect: changes made elsewhere meanwhile sent no frame here). */
  async load(): Promise<void> {
    const list = await this.api.listDrafts();
    const fetched = new Map(list.map((d) => [d.conversationId, d.body]));
    const known = new Set([...Object.keys(this.get().drafts), ...fetched.keys()]);
    for (const id of known) {
      const body = fetched.get(id) ?? '';
      // What the user changed here and has not saved yet stays, and is saved next.
      if (this.timers.has(id) || this.typingNow(id)) continue;
      this.saved.set(id, body);
      this.update((s) => ({ ...s, drafts: withDraft(s.drafts, id, body) }));
    }
  }

  /** Another tab or device of this user changed a draft (an empty body: deleted). */
  onUpdated(conversationId: string, body: string): void {
    this.saved.set(conversationId, body);
    if (this.typingNow(conversationId)) {
      // The user is typing here right now: their text stays, and replaces the other one.
      this.schedule(conversationId);
      return;
    }
    this.update((s) => ({ ...s, drafts: withDraft(s.drafts, conversationId, body) }));
  }

  /** The user changed the composer's text: shown at once, saved when typing stops. */
  change(conversationId: string, body: string): void {
    this.typedAt.set(conversationId, Date.now());
    this.update((s) => ({ ...s, drafts: withDraft(s.drafts, conversationId, body) }));
    this.schedule(conversationId);
  }

  /** The message was sent: the draft goes, here and everywhere. */
  clear(conversationId: string): void {
    this.typedAt.delete(conversationId);
    this.update((s) => ({ ...s, drafts: withDraft(s.drafts, conversationId, '') }));
    this.cancel(conversationId);
    this.save(conversationId);
  }

  /** Saves now what waits for typing to stop (leaving the conversation). */
  flush(conversationId: string): void {
    if (!this.timers.has(conversationId)) return;
    this.cancel(conversationId);
    this.save(conversationId);
  }

  /**
   * The page is hidden or going away: every text not known to be saved goes now, in a request that
   * outlives the page (`keepalive`). Not queued behind a save in flight: that one is cancelled
   * with the page, and nothing queued after it would run.
   */
  flushAll(): void {
    for (const id of new Set([...this.timers.keys(), ...this.inFlight.keys()])) {
      this.cancel(id);
      const body = this.get().drafts[id] ?? '';
      if ((this.saved.get(id) ?? '') === body) continue;
      void this.api.saveDraft(id, body, { ...this.connection(), keepalive: true }).then(
        () => this.saved.set(id, body),
        () => undefined,
      );
    }
  }

  private connection(): { connectionId?: string } {
    return this.connectionId ? { connectionId: this.connectionId } : {};
  }

  private typingNow(conversationId: string): boolean {
    return Date.now() - (this.typedAt.get(conversationId) ?? 0) < TYPING_NOW_MS;
  }

  private schedule(conversationId: string): void {
    this.cancel(conversationId);
    this.timers.set(
      conversationId,
      setTimeout(() => {
        this.timers.delete(conversationId);
        this.save(conversationId);
      }, DRAFT_SAVE_DELAY_MS),
    );
  }

  private cancel(conversationId: string): void {
    const timer = this.timers.get(conversationId);
    if (timer) clearTimeout(timer);
    this.timers.delete(conversationId);
  }

  /** Saves the conversation's current text unless the server already holds it. */
  private save(conversationId: string): void {
    const body = this.get().drafts[conversationId] ?? '';
    const prev = this.chains.get(conversationId) ?? Promise.resolve();
    const next = prev.then(async () => {
      if ((this.saved.get(conversationId) ?? '') === body) return;
      this.inFlight.set(conversationId, body);
      try {
        await this.api.saveDraft(conversationId, body, this.connection());
        this.saved.set(conversationId, body);
      } catch {
        // Offline, or no longer a member: the text stays here; the next change (or a reload's fetch) settles it.
      } finally {
        this.inFlight.delete(conversationId);
      }
    });
    this.chains.set(conversationId, next);
    void next.finally(() => {
      if (this.chains.get(conversationId) === next) this.chains.delete(conversationId);
    });
  }
}
