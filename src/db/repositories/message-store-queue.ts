import { sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.js';
import { tracer, type Span, type Tracer } from '../../core/tracing.js';
import type { Db } from '../database.js';
import { searchTerms } from '../search-terms.js';
import { sendRefusal, type SendRefusal } from '../send-rules.js';
import { queryRows } from '../sql.js';
import { storedRow, type MessageRow, type NewMessageRow } from './messages.repository.js';

export type { NewMessageRow };

export type QueuedStoreOutcome =
  | {
      ok: true;
      row: MessageRow;
      /** The conversation's kind, and its members under the lock the store held: who gets the message live. */
      kind: 'group' | 'direct';
      memberIds: string[];
    }
  | SendRefusal;

interface Pending {
  row: NewMessageRow;
  terms: string[];
  resolve: (outcome: QueuedStoreOutcome) => void;
  reject: (err: unknown) => void;
  /** The send's `message.store` span, with traces on. */
  span?: Span;
}

interface ResultRow {
  o_seq: string | number | null;
  o_code: string | null;
  o_detail: string | null;
  o_kind: 'group' | 'direct' | null;
  o_members: string[] | string | null;
}

export interface MessageStoreQueueOptions {
  /**
   * Batches stored at once: 1 for PGlite (one connection: a second batch would only wait),
   * a few for a PostgreSQL server (commits overlap; the rest of the pool serves reads).
   */
  concurrency: number;
  /** Items per statement; at most 64 keeps each batch's subtransactions in PostgreSQL's per-backend cache. */
  maxBatch?: number;
  /**
   * Sends that may wait for a batch. Past it the database is not keeping up: a send is refused
   * with 503 `unavailable` and a retry hint, so a saturated node slows its senders (who retry
   * with the same clientMsgId) instead of queueing without bound and timing everyone out.
   */
  maxWaiting?: number;
}

/** Seconds a sender refused by a full queue is told to wait. */
const BUSY_RETRY_AFTER = 1;

/** JSON cannot carry a lone UTF-16 surrogate into jsonb: the replacement character is what the drivers store for one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, '\uFFFD');

/**
 * Group commit for sends. A send arriving while `concurrency` batches are being stored waits for
 * the next batch; each batch is one statement (parley_store_messages, migration 0008) and one
 * commit, however many sends it holds. Alone, a send waits one turn of the event loop, no timer.
 * An item refused inside the batch (gone, not a member, muted, repeated clientMsgId) is undone
 * alone and reported to its caller; if the statement itself fails (a deadlock, a lost
 * connection), every item is retried alone, so one bad item cannot fail the others.
 */
export class MessageStoreQueue {
  /**
   * Sends waiting, by lane. A conversation always falls in the same lane (on every node), and
   * batches of different lanes never share a conversation: a batch holds each conversation's row
   * lock from its item to its commit, so two batches that shared several conversations would
   * queue behind each other's locks (a convoy: on two nodes, 70 % of the store statements in
   * flight were waiting for a lock). Within a lane at most two batches run at once: a busy
   * conversation still overlaps one batch's commit with the next.
   */
  private readonly lanes: Pending[][];
  private readonly runningIn: number[];
  private waitingCount = 0;
  private running = 0;
  private scheduled = false;
  /** Where the next pump starts looking, so no lane is always served last. */
  private nextLane = 0;
  private readonly maxBatch: number;
  private readonly maxWaiting: number;
  /** Sends refused because too many waited (for metrics and tests). */
  refused = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: MessageStoreQueueOptions,
  ) {
    this.maxBatch = Math.min(64, Math.max(1, opts.maxBatch ?? 32));
    this.maxWaiting = Math.max(1, opts.maxWaiting ?? 4096);
    const lanes = Math.max(1, opts.concurrency);
    this.lanes = Array.from({ length: lanes }, () => []);
    this.runningIn = new Array<number>(lanes).fill(0);
  }

  /** The lane of a conversation: from its id's last (random) hex digits, the same on every node. */
  private laneOf(conversationId: string): number {
    return Number.parseInt(conversationId.slice(-4), 16) % this.lanes.length || 0;
  }

  /** Sends waiting for a batch now. */
  get backlog(): number {
    return this.waitingCount;
  }

  /**
   * Stores a message and its event under the conversation's next seq: the row as stored, or why
   * not. With traces on, a `message.store` span (a child of the caller's) lasts from the queue to
   * the outcome; see run() for how it meets the batch it joined.
   */
  store(row: NewMessageRow): Promise<QueuedStoreOutcome> {
    const t = tracer();
    if (!t) return this.enqueue(row);
    return t.inSpan('message.store', { attributes: { 'parley.conversation.id': row.conversationId } }, async (span) => {
      const outcome = await this.enqueue(row, span);
      span.setAttribute('parley.store.outcome', outcome.ok ? 'stored' : outcome.reason);
      return outcome;
    });
  }

  private enqueue(row: NewMessageRow, span?: Span): Promise<QueuedStoreOutcome> {
    if (this.waitingCount >= this.maxWaiting) {
      this.refused++;
      return Promise.reject(
        new AppError('unavailable', 'the server is busy storing messages; send again shortly with the same clientMsgId', { retryAfter: BUSY_RETRY_AFTER }, { 'retry-after': String(BUSY_RETRY_AFTER) }),
      );
    }
    return new Promise((resolve, reject) => {
      this.lanes[this.laneOf(row.conversationId)]!.push({ row, terms: searchTerms(row.body), resolve, reject, ...(span?.isRecording() ? { span } : {}) });
      this.waitingCount++;
      this.pump();
    });
  }

  /**
   * Starts a batch when one may run, on the next turn of the event loop (setImmediate): the
   * sends of every frame and request read in this turn join it. PGlite runs a query without
   * yielding, so without that wait each send would be stored alone before the next is read.
   */
  private pump(): void {
    if (this.scheduled || this.running >= this.opts.concurrency || this.waitingCount === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const n = this.lanes.length;
      const perLane = n === 1 ? this.opts.concurrency : Math.min(2, this.opts.concurrency);
      for (let k = 0; k < n && this.running < this.opts.concurrency; k++) {
        const lane = (this.nextLane + k) % n;
        const queue = this.lanes[lane]!;
        while (queue.length > 0 && this.runningIn[lane]! < perLane && this.running < this.opts.concurrency) {
          const batch = queue.splice(0, this.maxBatch);
          this.waitingCount -= batch.length;
          this.running++;
          this.runningIn[lane]!++;
          void this.run(batch).finally(() => {
            this.running--;
            this.runningIn[lane]!--;
            this.pump();
          });
        }
      }
      this.nextLane = (this.nextLane + 1) % n;
    });
  }

  /**
   * Stores a batch. With traces on and any of its sends sampled, the batch is a
   * `message.store.batch` span: a child of the first sampled send's `message.store` span, linked
   * to every other one (and each of those linked back to it), since one statement serves sends of
   * many traces and a span has one parent. Its statement is a client span below it.
   */
  private run(batch: Pending[]): Promise<void> {
    const t = tracer();
    const traced = t ? batch.filter((p) => p.span) : [];
    if (!t || traced.length === 0) return this.runBatch(batch);
    const [first, ...others] = traced.map((p) => p.span!);
    return t.inSpan(
      'message.store.batch',
      {
        parent: first!.spanContext(),
        links: others.map((s) => ({ context: s.spanContext() })),
        attributes: { 'parley.store.batch_size': batch.length, 'parley.store.traced_sends': traced.length },
      },
      async (batchSpan) => {
        for (const s of traced) s.span!.setAttribute('parley.store.batch_size', batch.length);
        for (const s of others) s.addLink({ context: batchSpan.spanContext() });
        await this.runBatch(batch, { tracer: t, parent: batchSpan });
      },
    );
  }

  private async runBatch(batch: Pending[], tracing?: { tracer: Tracer; parent: Span }): Promise<void> {
    try {
      const outcomes = await this.storeBatch(batch, tracing);
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One statement for all failed as a whole: each alone, so a fault stays with its item.
      await Promise.all(
        batch.map(async (p) => {
          try {
            p.resolve((await this.storeBatch([p], tracing))[0]!);
          } catch (e) {
            p.reject(e);
          }
        }),
      );
    }
  }

  private async storeBatch(batch: Pending[], tracing?: { tracer: Tracer; parent: Span }): Promise<QueuedStoreOutcome[]> {
    // By conversation (stable: each conversation's sends keep their order), so that batches
    // running at once take the conversations' locks in one order and cannot deadlock.
    const order = batch.map((_, i) => i).sort((a, b) => {
      const x = batch[a]!.row.conversationId;
      const y = batch[b]!.row.conversationId;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
    const items = order.map((i) => {
      const { row, terms } = batch[i]!;
      return {
        id: row.id,
        c: row.conversationId,
        s: row.senderId,
        k: row.clientMsgId === null ? null : wellFormed(row.clientMsgId),
        b: wellFormed(row.body),
        r: row.replyToId,
        m: row.mentions,
        t: terms.map(wellFormed),
        at: row.createdAt.toISOString(),
        // A reply's thread (migration 0018); absent for a top-level message, as a node of the previous release sends it.
        ...(row.threadId ? { th: row.threadId, bc: row.alsoInConversation ?? false } : {}),
      };
    });
    const statement = sql`SELECT * FROM parley_store_messages(${JSON.stringify(items)}::jsonb)`;
    const rows = tracing
      ? await tracing.tracer.inSpan(
          'SELECT parley_store_messages',
          {
            kind: 'client',
            parent: tracing.parent.spanContext(),
            attributes: {
              'db.system.name': 'postgresql',
              'db.operation.name': 'SELECT',
              'db.query.summary': 'SELECT parley_store_messages',
              'parley.store.batch_size': batch.length,
            },
          },
          () => queryRows<ResultRow>(this.db, statement),
        )
      : await queryRows<ResultRow>(this.db, statement);
    if (rows.length !== batch.length) throw new Error(`parley_store_messages returned ${rows.length} rows for ${batch.length} items`);
    const outcomes: QueuedStoreOutcome[] = new Array(batch.length);
    let listed: { conversationId: string; kind: 'group' | 'direct'; memberIds: string[] } | null = null;
    order.forEach((i, k) => {
      const r = rows[k]!;
      const { row, terms } = batch[i]!;
      if (r.o_seq === null) {
        outcomes[i] = refusal(r);
        return;
      }
      if (r.o_kind !== null) listed = { conversationId: row.conversationId, kind: r.o_kind, memberIds: uuidArray(r.o_members) };
      const conv = listed as { conversationId: string; kind: 'group' | 'direct'; memberIds: string[] } | null;
      if (!conv || conv.conversationId !== row.conversationId) throw new Error('parley_store_messages listed no members for a stored message');
      outcomes[i] = {
        ok: true,
        row: storedRow(row, Number(r.o_seq), terms),
        kind: conv.kind,
        memberIds: conv.memberIds,
      };
    });
    return outcomes;
  }
}

/** A refused row of parley_store_messages (src/db/send-rules.ts says which rule each code is). */
function refusal(r: ResultRow): QueuedStoreOutcome {
  const refused = sendRefusal(r.o_code, r.o_detail);
  if (!refused) throw new Error(`parley_store_messages: unexpected refusal ${r.o_code}`);
  return refused;
}

/** A uuid[] column: an array from postgres.js, PostgreSQL's text form from PGlite when untyped. */
function uuidArray(v: string[] | string | null): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  const inner = v.slice(1, -1);
  return inner === '' ? [] : inner.split(',');
}
