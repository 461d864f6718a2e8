/** Per-conversation delivery order on the client: cursors, duplicates and gaps. */
import type { ConversationEvent } from '../protocol/events.js';

export interface AcceptResult {
  /** Events to deliver now, in order (the accepted one and any held ones it unblocked). */
  deliver: ConversationEvent[];
  /** The event is beyond the next seq: it is held until the gap before it is filled. */
  gap: boolean;
}

interface Stream {
  /** Last seq delivered (or seeded by `follow`). */
  cursor: number;
  /** Events past a gap, by seq. */
  held: Map<number, ConversationEvent>;
}

/**
 * The last seq seen per conversation. An event at or below it is a duplicate; the next one is
 * delivered; a later one waits until a sync fills the gap. A conversation with no cursor yet
 * starts at its first event.
 */
export class Streams {
  private readonly streams = new Map<string, Stream>();

  cursor(conversationId: string): number | undefined {
    return this.streams.get(conversationId)?.cursor;
  }

  ids(): string[] {
    return [...this.streams.keys()];
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, s] of this.streams) out[id] = s.cursor;
    return out;
  }

  /**
   * Seeds or advances a cursor (never moves it back). Returns held events that became
   * deliverable, and whether the conversation was unknown until now.
   */
  follow(conversationId: string, seq: number): { deliver: ConversationEvent[]; created: boolean } {
    const s = this.streams.get(conversationId);
    if (!s) {
      this.streams.set(conversationId, { cursor: seq, held: new Map() });
      return { deliver: [], created: true };
    }
    if (seq > s.cursor) s.cursor = seq;
    return { deliver: this.release(s), created: false };
  }

  forget(conversationId: string): void {
    this.streams.delete(conversationId);
  }

  accept(ev: ConversationEvent): AcceptResult {
    const s = this.streams.get(ev.conversationId);
    if (!s) {
      this.streams.set(ev.conversationId, { cursor: ev.seq, held: new Map() });
      return { deliver: [ev], gap: false };
    }
    if (ev.seq <= s.cursor) return { deliver: [], gap: false };
    if (ev.seq === s.cursor + 1) {
      s.cursor = ev.seq;
      return { deliver: [ev, ...this.release(s)], gap: false };
    }
    s.held.set(ev.seq, ev);
    return { deliver: [], gap: true };
  }

  /** True when events wait behind a gap. */
  hasGap(conversationId: string): boolean {
    return (this.streams.get(conversationId)?.held.size ?? 0) > 0;
  }

  /**
   * Gives up on a gap the server could not fill (a sync covered it and sent nothing): jumps the
   * cursor to the first held event and delivers from there. Returns the skipped range.
   */
  skipGap(conversationId: string): { from: number; to: number; deliver: ConversationEvent[] } | null {
    const s = this.streams.get(conversationId);
    if (!s || s.held.size === 0) return null;
    const first = Math.min(...s.held.keys());
    const from = s.cursor + 1;
    s.cursor = first - 1;
    return { from, to: first - 1, deliver: this.release(s) };
  }

  private release(s: Stream): ConversationEvent[] {
    const out: ConversationEvent[] = [];
    for (const seq of [...s.held.keys()]) if (seq <= s.cursor) s.held.delete(seq);
    for (;;) {
      const next = s.held.get(s.cursor + 1);
      if (!next) return out;
      s.held.delete(next.seq);
      s.cursor = next.seq;
      out.push(next);
    }
  }
}
