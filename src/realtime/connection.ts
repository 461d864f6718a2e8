import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { Logger } from '../core/logger.js';
import type { ConversationEvent } from '../protocol/events.js';
import type { ServerFrame } from '../protocol/frames.js';
import type { Actor } from '../services/identity/identity.js';
import { CLOSE_SLOW_CONSUMER } from '../protocol/close-codes.js';
import { SocketPacer } from './socket-pacer.js';

/** Reads events of a conversation after a seq from the database (the events table). */
export type EventSource = (conversationId: string, after: number, limit: number) => Promise<{ events: ConversationEvent[]; hasMore: boolean }>;

/** Where the user's membership of a conversation began: its member.joined seq, 0 for a founder, null for none. */
export type JoinedSeqSource = (conversationId: string) => Promise<number | null>;

/** A conversation of the user now: its last seq and where the membership began. */
export interface StreamPosition {
  lastSeq: number;
  joinedSeq: number;
}

export interface ConnectionLimits {
  /**
   * The hard ceiling of bytes waiting for one socket: past it, the connection is closed at once
   * (4008) whatever its client does. Conversation events are paced (`writeBufferBytes`), so only
   * a socket that stops reading while other frames (presence, typing, acks) pile up gets there.
   */
  maxBufferedBytes: number;
  /**
   * Conversation events (live, replayed by a sync or filled from the table) are written while the
   * socket holds less than this; then replays wait for it to drain and live events are held.
   */
  writeBufferBytes: number;
  /** A socket with events waiting whose buffer does not go down for this long is closed as slow (4008). */
  stallMs: number;
  /** After a 4008 close frame, the socket is dropped if the frame has not gone out within this. */
  closeGraceMs: number;
  /** Live events held per conversation while it replays; older ones are dropped (the replay covers them). */
  maxHeldEvents: number;
  /** Events read per database page when filling a gap. */
  fillPage: number;
}

/** One conversation as seen by one connection: what was delivered, and what waits. */
interface Stream {
  /**
   * Highest seq this connection has passed: written, or before its baseline. Undefined for a
   * conversation it has heard nothing of yet.
   */
  delivered: number | undefined;
  /**
   * Seqs up to this one were never written here: they came before the connection (its
   * baseline: the conversation's last seq at `ready`) or before the first live event of a
   * conversation joined later. A sync from below it replays them. Undefined once a sync or the
   * auth cursors anchored the stream at the client's own position.
   */
  unsentUpTo: number | undefined;
  /** A fill or a sync is running: live events wait in `held`. */
  busy: boolean;
  /** A sync stopped at its budget (hasMore): live events wait until the client syncs again. */
  paused: boolean;
  held: { seq: number; data: Frame }[];
  /** Serializes fills and syncs of this stream. */
  chain: Promise<void>;
  /** The user left (or the conversation was deleted) at this seq: nothing after it is written. */
  endSeq?: number;
}

export { CLOSE_SLOW_CONSUMER };

/**
 * A ready WebSocket connection. Keeps, per conversation, the last seq it delivered: an event at
 * or below it is dropped; one beyond the next seq makes it fetch the gap from the events table
 * first. That one rule gives in-order, exactly-once delivery across sync, bus reordering, a lost
 * bus message and a restart.
 */
/**
 * A serialized frame: a string, or its UTF-8 bytes. A live event goes to every connection of its
 * conversation as one Buffer encoded once (as a string, each socket would measure and encode it
 * again: a thousand encodings of each message for a group of a thousand online).
 */
export type Frame = string | Buffer;

/** Frames are text frames, whichever form they are written in. */
const TEXT_FRAME = { binary: false } as const;

/** Frames kept for a connection between its registration and its `ready`. */
const MAX_EARLY_FRAMES = 1024;

export class Connection {
  private readonly streams = new Map<string, Stream>();
  /**
   * Conversations this connection saw the user leave (or deleted): the seq of that event, and the
   * old stream's jobs. A late event at or below it is dropped; a later membership's stream starts
   * after those jobs, at its own member.joined.
   */
  private readonly ended = new Map<string, { seq: number; chain: Promise<void> }>();
  private queue: Promise<void> = Promise.resolve();
  private corked = false;
  /** Paces conversation events by what the client reads, and judges whether it reads. */
  private readonly pacer: SocketPacer;
  alive = true;
  closed = false;
  /**
   * Called when this connection reads a gap of live events from the events table on its own
   * (the node's sequencer should have put them in order first: counted in /metrics).
   */
  onGapFill: ((conversationId: string) => void) | null = null;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly actor: Actor,
    private readonly source: EventSource,
    private readonly joinedSeq: JoinedSeqSource,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
    /** Each conversation's last seq when the connection became ready. */
    baselines: ReadonlyMap<string, number> = new Map(),
  ) {
    this.baselines = new Map(baselines);
    this.pacer = new SocketPacer(ws, limits, ({ buffered, stalledMs }) => {
      this.logger.warn({ connectionId: this.id, buffered, stalledMs }, 'closing a slow consumer: its socket did not drain');
      this.close(CLOSE_SLOW_CONSUMER, 'slow consumer: reconnect and sync');
    });
    ws.once('close', () => {
      this.closed = true;
    });
  }

  /** Where each conversation stood at ready; a conversation left since is dropped from it. */
  private readonly baselines: Map<string, number>;

  get userId(): string {
    return this.actor.user.id;
  }

  send(frame: ServerFrame): void {
    this.write(JSON.stringify(frame));
  }

  /**
   * Frames written before `ready` (the connection is registered, so presence and live events can
   * reach it, while its token is checked once more): kept, and sent after `ready`, which the
   * contract makes the first frame. null once open.
   */
  private early: Frame[] | null = null;

  /** Holds every frame until `open`: call before the connection is registered. */
  holdUntilReady(): void {
    this.early ??= [];
  }

  /** Sends `ready`, then what came meanwhile, in order. */
  open(ready: ServerFrame): void {
    const early = this.early ?? [];
    this.early = null;
    this.send(ready);
    for (const data of early) this.write(data);
  }

  /**
   * Writes a serialized frame. Writes of one tick are corked into one system call; a socket whose
   * unread output passes the limit is closed rather than buffered without bound.
   */
  write(data: Frame): boolean {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.early) {
      // Bounded like a slow consumer's buffer: a client that reconnects syncs what it missed.
      if (this.early.length >= MAX_EARLY_FRAMES) {
        this.close(CLOSE_SLOW_CONSUMER, 'slow consumer: reconnect and sync');
        return false;
      }
      this.early.push(data);
      return true;
    }
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.logger.warn({ connectionId: this.id, buffered: this.ws.bufferedAmount }, 'closing a slow consumer: its buffer passed the ceiling');
      this.close(CLOSE_SLOW_CONSUMER, 'slow consumer: reconnect and sync');
      return false;
    }
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (socket && !this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    this.ws.send(data, TEXT_FRAME);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pacer.stop();
    this.ws.close(code, reason);
    if (code === CLOSE_SLOW_CONSUMER) {
      // The close frame queues behind what the socket holds (paced: little). A client that reads
      // again gets it, and the code that tells it why; one that does not is dropped.
      const grace = setTimeout(() => {
        if (this.ws.readyState !== WebSocket.CLOSED && this.ws.bufferedAmount > 0) this.ws.terminate();
      }, this.limits.closeGraceMs);
      grace.unref();
    }
  }

  private stream(conversationId: string): Stream {
    let s = this.streams.get(conversationId);
    if (!s) {
      const base = this.baselines.get(conversationId);
      // After the end of an earlier membership, the new stream's jobs wait for the old one's.
      const chain = this.ended.get(conversationId)?.chain ?? Promise.resolve();
      s = { delivered: base, unsentUpTo: base, busy: false, paused: false, held: [], chain };
      this.streams.set(conversationId, s);
    }
    return s;
  }

  /** Runs jobs of this connection one after another (its sync frames). */
  enqueue(job: () => Promise<void>): void {
    this.pending++;
    this.queue = this.queue
      .then(job)
      .catch((err: unknown) => this.logger.warn({ err, connectionId: this.id }, 'queued job failed'))
      .finally(() => this.pending--);
  }

  /** Jobs queued and not yet finished. */
  pending = 0;

  /** Forgets a conversation after `atSeq` (the user left it or it was deleted). */
  forget(conversationId: string, atSeq: number): void {
    // A rejoin starts a new stream at its member.joined event, never from the old baseline or
    // position: what was said while the user was out is not theirs to receive. A fill or sync
    // still running on the old stream stops at the leaving event.
    this.baselines.delete(conversationId);
    const s = this.streams.get(conversationId);
    if (s) s.endSeq = atSeq;
    this.streams.delete(conversationId);
    const before = this.ended.get(conversationId);
    this.ended.set(conversationId, { seq: Math.max(atSeq, before?.seq ?? 0), chain: s?.chain ?? before?.chain ?? Promise.resolve() });
  }

  /** Writes an event of a stream, unless it lies past the stream's end. */
  private emit(s: Stream, seq: number, data: Frame): boolean {
    if (s.endSeq !== undefined && seq > s.endSeq) return false;
    return this.write(data);
  }

  /** Writes an event of a replay once the socket has room for it: replays go at the client's pace. */
  private async emitPaced(s: Stream, seq: number, data: Frame): Promise<boolean> {
    await this.pacer.room();
    return this.emit(s, seq, data);
  }

  /** A live event of a conversation, already serialized once for every connection. */
  deliver(conversationId: string, seq: number, data: Frame): void {
    const ended = this.ended.get(conversationId);
    // A late event of a membership that ended here (the bus reorders): delivered, or not theirs.
    if (ended && seq <= ended.seq && !this.streams.has(conversationId)) return;
    const s = this.stream(conversationId);
    if (s.busy || s.paused) {
      this.hold(s, seq, data);
      return;
    }
    if (s.delivered !== undefined && seq <= s.delivered) return;
    if (s.delivered !== undefined && (this.pacer.full || s.held.length > 0)) {
      // A burst fills the socket: hold it (and fill what the bound drops from the table) and
      // write it as the client reads, rather than buffer without bound or cut a reader off.
      this.hold(s, seq, data);
      void this.run(s, () => this.drain(conversationId, s));
      return;
    }
    if (s.delivered === undefined) {
      // A conversation joined (or created) after the connection: its stream starts at the
      // membership's member.joined, which the bus may deliver after later events. Hold this
      // one, look the start up, and fill from there.
      this.hold(s, seq, data);
      void this.run(s, () => this.start(conversationId, s));
      return;
    }
    if (seq === s.delivered + 1) {
      if (this.emit(s, seq, data)) s.delivered = seq;
      return;
    }
    this.hold(s, seq, data);
    void this.run(s, () => this.drain(conversationId, s));
  }

  /**
   * Replays a conversation after `cursor` (the client's own position), at most `budget` events,
   * never what this connection already wrote (each event once per connection). Events from
   * before the connection's baseline, which it never wrote, are replayed first when the cursor
   * is below it: ascending, though after the live events already written (a client that syncs
   * late gets everything it missed, once; one that passes cursors in `auth` never sees this).
   * Live events of it are held meanwhile. At most `byteBudget` bytes of events go too (at least
   * one event, so every sync moves on): a frame's answer never outgrows what a socket may hold,
   * and a slow reader holds a sync slot for one such share at a time. Returns the number and
   * bytes sent and whether more remain; with more, the stream stays paused until the client
   * syncs again from where it got to.
   */
  async sync(conversationId: string, cursor: number, budget: number, byteBudget = Number.POSITIVE_INFINITY): Promise<{ sent: number; bytes: number; hasMore: boolean }> {
    const s = this.stream(conversationId);
    s.paused = true;
    let result = { sent: 0, bytes: 0, hasMore: false };
    await this.run(s, async () => {
      let sent = 0;
      let bytes = 0;
      let stopped = false;
      /** The next event, of `size` bytes, would go past the frame's share. */
      const spent = (size: number) => sent >= budget || (sent > 0 && bytes + size > byteBudget);
      /** Writes one replayed event within the frame's share, or says why not (the share is spent, the socket is gone). */
      const take = async (ev: ConversationEvent): Promise<'written' | 'spent' | 'closed'> => {
        const data = JSON.stringify(ev);
        const size = Buffer.byteLength(data);
        if (spent(size)) return 'spent';
        if (!(await this.emitPaced(s, ev.seq, data))) return 'closed';
        sent++;
        bytes += size;
        return 'written';
      };
      const unsentUpTo = s.unsentUpTo;
      if (unsentUpTo !== undefined && cursor < unsentUpTo) {
        let pos = cursor;
        while (pos < unsentUpTo && !stopped && sent < budget && !this.closed) {
          const page = await this.source(conversationId, pos, Math.min(this.limits.fillPage, budget - sent, unsentUpTo - pos));
          const evs = page.events.filter((ev) => ev.seq > pos && ev.seq <= unsentUpTo);
          if (evs.length === 0) break;
          for (const ev of evs) {
            const taken = await take(ev);
            if (taken === 'closed') return;
            if (taken === 'spent') {
              stopped = true;
              break;
            }
            pos = ev.seq;
          }
        }
        if (pos < unsentUpTo && (stopped || sent >= budget)) {
          result = { sent, bytes, hasMore: true };
          return; // still paused: the client syncs again from `pos`
        }
      }
      s.unsentUpTo = undefined;
      s.delivered = s.delivered === undefined ? cursor : Math.max(cursor, s.delivered);
      let more = true;
      while (more && !stopped && sent < budget && !this.closed) {
        const page = await this.source(conversationId, s.delivered, Math.min(this.limits.fillPage, budget - sent));
        for (const ev of page.events) {
          if (ev.seq <= s.delivered!) continue;
          const taken = await take(ev);
          if (taken === 'closed') return;
          if (taken === 'spent') {
            stopped = true;
            break;
          }
          s.delivered = ev.seq;
        }
        more = stopped || page.hasMore;
        if (page.events.length === 0) more = false;
      }
      result = { sent, bytes, hasMore: more };
      if (!more) {
        s.paused = false;
        await this.drain(conversationId, s);
      }
    });
    return result;
  }

  /**
   * After the bus may have lost messages: fills every conversation this connection follows up to
   * its last seq now (`positions`: each conversation of the user). Returns the fills' completion,
   * or false, doing nothing, when the user joined, left, came back to or lost a conversation
   * meanwhile: the connection did not see where such a stream ended or starts again, so the
   * caller closes it and the client reconnects, refetches its conversations and syncs.
   */
  catchUp(positions: ReadonlyMap<string, StreamPosition>): Promise<void> | false {
    for (const [id, s] of this.streams) if (s.delivered !== undefined && !positions.has(id)) return false;
    for (const [id, p] of positions) {
      const s = this.streams.get(id);
      if (s && s.delivered === undefined) continue; // waiting for its client's sync or its start
      const known = s ? s.delivered : this.baselines.get(id);
      // Joined meanwhile, or left and came back (a membership newer than what was delivered).
      if (known === undefined || p.joinedSeq > known) return false;
    }
    const fills: Promise<void>[] = [];
    for (const [id, p] of positions) {
      const s = this.stream(id);
      // A paused stream is the client's sync's to continue; an undefined one has no position yet.
      if (s.paused || s.delivered === undefined || p.lastSeq <= s.delivered) continue;
      fills.push(
        this.run(s, async () => {
          await this.fillTo(id, s, p.lastSeq);
          await this.drain(id, s);
        }),
      );
    }
    return Promise.all(fills).then(() => undefined);
  }

  private async fillTo(conversationId: string, s: Stream, target: number): Promise<void> {
    while (!this.closed && !s.paused && s.delivered !== undefined && s.delivered < target) {
      const from = s.delivered;
      const page = await this.source(conversationId, from, Math.min(this.limits.fillPage, target - from));
      const evs = page.events.filter((ev) => ev.seq > from && ev.seq <= target);
      if (evs.length === 0) return;
      for (const ev of evs) {
        if (!(await this.emitPaced(s, ev.seq, JSON.stringify(ev)))) return;
        s.delivered = ev.seq;
      }
    }
  }

  /** Anchors a new stream at the start of the user's membership, then writes what waits. */
  private async start(conversationId: string, s: Stream): Promise<void> {
    if (s.delivered === undefined) {
      const joined = await this.joinedSeq(conversationId);
      const first = s.held.reduce((min, h) => Math.min(min, h.seq), Number.MAX_SAFE_INTEGER);
      // No membership now (it ended again already): start at the first event addressed to them.
      let from = joined === null ? first - 1 : Math.max(0, joined - 1);
      from = Math.max(from, this.ended.get(conversationId)?.seq ?? 0);
      if (s.delivered === undefined) {
        s.delivered = from;
        s.unsentUpTo = from;
      }
    }
    await this.drain(conversationId, s);
  }

  /** Pauses a conversation ahead of a sync, so no live event slips in before its replay. */
  pause(conversationId: string): void {
    this.stream(conversationId).paused = true;
  }

  /** True while a conversation's live events wait for a sync. */
  isPaused(conversationId: string): boolean {
    return this.streams.get(conversationId)?.paused === true;
  }

  /** Lets a paused conversation flow again without a replay (a sync skipped it). */
  resume(conversationId: string): void {
    const s = this.streams.get(conversationId);
    if (!s || !s.paused) return;
    s.paused = false;
    if (s.held.length) void this.run(s, () => this.drain(conversationId, s));
  }

  private hold(s: Stream, seq: number, data: Frame): void {
    if (s.delivered !== undefined && seq <= s.delivered) return;
    s.held.push({ seq, data });
    // Dropping the oldest is safe: whatever is missing before the newest is filled from the table.
    if (s.held.length > this.limits.maxHeldEvents) s.held.shift();
  }

  private async run(s: Stream, job: () => Promise<void>): Promise<void> {
    const next = s.chain.then(async () => {
      s.busy = true;
      try {
        await job();
      } catch (err) {
        this.logger.warn({ err, connectionId: this.id }, 'replay failed; closing so the client resyncs');
        this.close(1011, 'replay failed: reconnect and sync');
      } finally {
        s.busy = false;
      }
    });
    s.chain = next;
    return next;
  }

  /** Writes held events in order, filling every gap before them from the events table. */
  private async drain(conversationId: string, s: Stream): Promise<void> {
    while (!this.closed && !s.paused) {
      s.held.sort((a, b) => a.seq - b.seq);
      while (s.held.length && s.delivered !== undefined && s.held[0]!.seq <= s.delivered) s.held.shift();
      const next = s.held[0];
      if (!next) return;
      if (s.delivered === undefined || next.seq === s.delivered + 1) {
        s.held.shift();
        if (!(await this.emitPaced(s, next.seq, next.data))) return;
        s.delivered = next.seq;
        continue;
      }
      const target = next.seq - 1;
      this.onGapFill?.(conversationId);
      const page = await this.source(conversationId, s.delivered, Math.min(this.limits.fillPage, target - s.delivered));
      const missing = page.events.filter((ev) => ev.seq > s.delivered! && ev.seq <= target);
      if (missing.length === 0) {
        // The table has nothing there (it cannot happen while seqs are gap-free): do not spin.
        this.logger.warn({ connectionId: this.id, conversationId, from: s.delivered, to: target }, 'gap not found in events table');
        s.delivered = target;
        continue;
      }
      for (const ev of missing) {
        if (!(await this.emitPaced(s, ev.seq, JSON.stringify(ev)))) return;
        s.delivered = ev.seq;
      }
    }
  }
}
