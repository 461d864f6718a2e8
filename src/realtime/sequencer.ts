import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { ConversationEvent } from '../protocol/events.js';
import type { EventSource } from './connection.js';

/** What the sequencer hands on: one event in seq order, and who it is for. */
export type OrderedDelivery = (event: ConversationEvent, memberIds: readonly string[]) => void;

/** The user ids of a conversation's members now (read when a node has no list of them yet). */
export type MemberSource = (conversationId: string) => Promise<readonly string[]>;

/**
 * Who an event is for, as it came: the members listed by whoever published it, or null for "the
 * conversation's members": another node over Redis leaves the list out for large groups (a
 * thousand ids are 39 KB in every message), and this node routes by the list it keeps.
 */
export type Recipients = readonly string[] | null;

export interface SequencerOptions {
  /**
   * How long an event that arrived ahead of a missing one waits for it before the node reads the
   * gap from the events table. Reordered commits and bus messages arrive within a millisecond or
   * two; a lost bus message never does.
   */
  holdMs: number;
  /** Events read per database page when filling a gap. */
  fillPage: number;
  /** Events held per conversation: past it the gap is filled at once. */
  maxHeld: number;
  /** Conversations without a held event that were idle this long are forgotten. */
  idleMs: number;
}

export const DEFAULT_SEQUENCER_OPTIONS: SequencerOptions = { holdMs: 10, fillPage: 200, maxHeld: 1024, idleMs: 10 * 60_000 };

export interface SequencerStats {
  /** Events that arrived ahead of a missing one and waited for it. */
  held: number;
  /** Gaps read from the events table (one read per gap, for every connection of the node). */
  fills: number;
  /** Member lists read from the database (an event without one, for a conversation this node had no list of). */
  memberLoads: number;
  /** Events that arrived after the node had passed their seq (a filled gap's late original, a repeat). */
  late: number;
}

/** One conversation as this node has fanned it out. */
interface Position {
  /** The highest seq fanned out; everything up to it went out in order. */
  delivered: number;
  /** Events waiting for a missing seq before them, by seq. */
  held: Map<number, { event: ConversationEvent; memberIds: Recipients }>;
  timer: NodeJS.Timeout | null;
  filling: boolean;
  lastUsed: number;
  /**
   * The conversation's members as of `delivered`: the last list an event came with, changed by
   * each member.joined, member.left and conversation.deleted passed since. Undefined until an
   * event brings one or the node reads it (and again after a bus reset: a lost membership event
   * would leave it wrong).
   */
  members: readonly string[] | undefined;
  /** The member list is being read. */
  loading: boolean;
}

/**
 * Puts each conversation's events in seq order once per node, before they are fanned out. Batches
 * committed at once on a PostgreSQL server, and events from other nodes over Redis, reach a node
 * out of seq order; if each connection filled such a gap on its own, one reordering would cost a
 * database read per connection of the conversation (a thousand for a group of a thousand online).
 * Here an event ahead of a missing one waits a moment for it; if it does not come (a lost bus
 * message), the node reads the gap once and fans it out to every connection. The connections
 * keep their own rule (drop repeats, fill gaps) as the safety net: after a restart of this node,
 * a conversation's first event is taken as in order, and a late one is passed on for them to judge.
 */
export class NodeSequencer {
  private readonly positions = new Map<string, Position>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  readonly stats: SequencerStats = { held: 0, fills: 0, late: 0, memberLoads: 0 };

  constructor(
    private readonly source: EventSource,
    private readonly deliver: OrderedDelivery,
    private readonly logger: Logger,
    private readonly metrics: Metrics | null,
    private readonly opts: SequencerOptions = DEFAULT_SEQUENCER_OPTIONS,
    private readonly memberSource: MemberSource = async () => [],
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, Math.min(opts.idleMs, 60_000)));
    this.sweeper.unref();
  }

  /**
   * A committed event from the bus (this node's or another's), in whatever order it came, with
   * its recipients (null: the conversation's members as this node knows them).
   */
  push(event: ConversationEvent, memberIds: Recipients): void {
    const now = Date.now();
    let p = this.positions.get(event.conversationId);
    if (!p) {
      p = { delivered: event.seq - 1, held: new Map(), timer: null, filling: false, lastUsed: now, members: undefined, loading: false };
      this.positions.set(event.conversationId, p);
    }
    p.lastUsed = now;
    if (event.seq <= p.delivered) {
      // Already passed here: the connections drop it if they had it, or fill around it. The
      // member list has moved on; it stands for the event's recipients well enough (a member
      // who joined since drops it as before their membership).
      this.stats.late++;
      this.metrics?.eventsLate.inc();
      if (memberIds || p.members) this.deliver(event, memberIds ?? p.members!);
      return;
    }
    if (event.seq === p.delivered + 1 && p.held.size === 0 && (memberIds || p.members)) {
      p.delivered = event.seq;
      this.hand(p, event, memberIds);
      return;
    }
    if (!p.held.has(event.seq)) {
      p.held.set(event.seq, { event, memberIds });
      if (memberIds || p.members || event.seq !== p.delivered + 1) {
        this.stats.held++;
        this.metrics?.eventsReordered.inc();
      }
    }
    this.release(p);
    if (p.held.size === 0 || p.filling) return;
    if (p.held.has(p.delivered + 1)) {
      // In order, but for the conversation's members, whom this node does not know yet.
      this.loadMembers(event.conversationId, p);
      return;
    }
    if (p.held.size > this.opts.maxHeld) {
      this.fillSoon(event.conversationId, p, 0);
      return;
    }
    this.fillSoon(event.conversationId, p, this.opts.holdMs);
  }

  /**
   * The bus may have lost messages: a held event's missing predecessor may never come, so fill
   * every gap now instead of after the hold.
   */
  flush(): void {
    for (const [id, p] of this.positions) {
      // A lost member.joined or member.left would leave the list wrong: read it again when needed.
      p.members = undefined;
      if (p.held.size > 0 && !p.filling) this.fillSoon(id, p, 0);
    }
  }

  /** Conversations this node tracks (for tests and metrics). */
  get tracked(): number {
    return this.positions.size;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const p of this.positions.values()) if (p.timer) clearTimeout(p.timer);
    this.positions.clear();
  }

  /**
   * Hands an event on in order, to its listed recipients or the conversation's members, and
   * keeps the member list in step with it.
   */
  private hand(p: Position, event: ConversationEvent, listed: Recipients): void {
    let recipients = listed ?? p.members ?? [];
    if (listed) p.members = listed;
    switch (event.type) {
      case 'member.joined': {
        const id = event.member.user.id;
        if (!recipients.includes(id)) recipients = [...recipients, id];
        p.members = recipients;
        break;
      }
      case 'member.left': {
        const id = event.member.user.id;
        // The one who left hears of it; the events after it are not theirs.
        if (!recipients.includes(id)) recipients = [...recipients, id];
        p.members = recipients.filter((m) => m !== id);
        break;
      }
      case 'conversation.deleted':
        p.members = [];
        break;
      default:
        break;
    }
    this.deliver(event, recipients);
  }

  /** Reads the conversation's members for events that came without a list, then hands them on. */
  private loadMembers(conversationId: string, p: Position): void {
    if (p.loading || p.members) return;
    p.loading = true;
    this.stats.memberLoads++;
    this.metrics?.memberLoads.inc();
    this.memberSource(conversationId).then(
      (ids) => {
        p.loading = false;
        if (this.closed) return;
        // An event with its own list may have come meanwhile: it is newer than this read.
        p.members ??= ids;
        this.release(p);
        if (p.held.size > 0 && !p.filling) this.fillSoon(conversationId, p, this.opts.holdMs);
      },
      (err: unknown) => {
        p.loading = false;
        if (this.closed) return;
        // The database is away: hand what waits on to no one rather than hold it for ever; the
        // connections fill the gap from the next event they get, or their client's sync.
        this.logger.warn({ err, conversationId }, 'reading a conversation\'s members for the node failed; its held events are skipped');
        this.skipHeld(p);
      },
    );
  }

  /** Passes every held event without writing it (nobody to write it to). */
  private skipHeld(p: Position): void {
    for (const seq of p.held.keys()) p.delivered = Math.max(p.delivered, seq);
    p.held.clear();
    if (p.timer) {
      clearTimeout(p.timer);
      p.timer = null;
    }
  }

  /** Fans out the held events that now follow in order. */
  private release(p: Position): void {
    for (;;) {
      const next = p.held.get(p.delivered + 1);
      if (!next) break;
      // For the conversation's members, who are being read: wait for them.
      if (!next.memberIds && !p.members) break;
      p.held.delete(p.delivered + 1);
      p.delivered++;
      this.hand(p, next.event, next.memberIds);
    }
    // Anything held at or below the position went out from a fill meanwhile.
    for (const seq of p.held.keys()) if (seq <= p.delivered) p.held.delete(seq);
    if (p.held.size === 0 && p.timer) {
      clearTimeout(p.timer);
      p.timer = null;
    }
  }

  private fillSoon(conversationId: string, p: Position, delayMs: number): void {
    if (p.timer) {
      if (delayMs > 0) return;
      clearTimeout(p.timer);
    }
    p.timer = setTimeout(() => {
      p.timer = null;
      void this.fill(conversationId, p);
    }, delayMs);
  }

  /** Reads the gap before the first held event once, fans it out in order, then what follows. */
  private async fill(conversationId: string, p: Position): Promise<void> {
    if (this.closed || p.filling || p.held.size === 0) return;
    p.filling = true;
    try {
      while (!this.closed && p.held.size > 0) {
        const first = Math.min(...p.held.keys());
        const target = first - 1;
        if (target <= p.delivered) {
          this.release(p);
          continue;
        }
        this.stats.fills++;
        this.metrics?.gapFills.inc({ by: 'node' });
        const from = p.delivered;
        const page = await this.source(conversationId, from, Math.min(this.opts.fillPage, target - from));
        // Who gets the gap: the members as of its start, changed by the membership events in it;
        // without a list here yet, the members listed with the first event after it, or now.
        if (!p.members) {
          const listed = p.held.get(first)?.memberIds;
          if (listed) p.members = listed;
          else {
            this.stats.memberLoads++;
            this.metrics?.memberLoads.inc();
            p.members = await this.memberSource(conversationId);
          }
        }
        let wrote = false;
        for (const ev of page.events) {
          if (ev.seq <= p.delivered || ev.seq > target) continue;
          p.delivered = ev.seq;
          wrote = true;
          this.hand(p, ev, null);
        }
        if (!wrote && p.delivered === from) {
          // Nothing in the table there (purged, or a seq never written): do not spin on it.
          this.logger.warn({ conversationId, from, to: target }, 'gap not found in the events table; passing on');
          p.delivered = target;
        }
        this.release(p);
      }
    } catch (err) {
      // The database is away: hand what waits to the connections, which fill (or resync) alone.
      this.logger.warn({ err, conversationId }, 'filling a gap for the node failed; passing held events on');
      const held = [...p.held.values()].sort((a, b) => a.event.seq - b.event.seq);
      p.held.clear();
      for (const h of held) {
        p.delivered = Math.max(p.delivered, h.event.seq);
        if (h.memberIds || p.members) this.hand(p, h.event, h.memberIds);
      }
    } finally {
      p.filling = false;
    }
  }

  private sweep(): void {
    const before = Date.now() - this.opts.idleMs;
    for (const [id, p] of this.positions) {
      if (p.held.size === 0 && !p.filling && p.lastUsed < before) this.positions.delete(id);
    }
  }
}

