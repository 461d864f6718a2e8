/**
 * Who may start an export now: one at a time per requester (a bot counts as its owner, so a
 * person with several bots still runs one), one at a time per group, and at most
 * EXPORTS_MAX_CONCURRENT on a node. Anything more is refused at once with 429 `rate_limited`
 * (`details.retryAfter`, `details.busy`) rather than queued: an export takes seconds to minutes,
 * and a client that comes back later costs nothing while it waits. On PostgreSQL the requester's
 * and the group's slots are advisory locks, so the rule holds across every node.
 */
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Database } from '../../db/database.js';
import type { Actor } from '../identity/identity.js';

/** The advisory-lock namespace of export slots ("ex"). */
const LOCK_NAMESPACE = 0x6578;

/** What was busy when an export was refused. */
export type ExportBusy = 'requester' | 'group' | 'node';

/** Seconds a refused client is told to wait: an export of its own or its group's is a long one. */
const RETRY_AFTER_S: Record<ExportBusy, number> = { requester: 10, group: 10, node: 5 };

const MESSAGES: Record<ExportBusy, string> = {
  requester: 'an export of yours (or of a bot you own) is still running; try again when it has finished',
  group: 'this group is being exported already; try again when that export has finished',
  node: 'the server is running as many exports as it allows at once; try again shortly',
};

/** A started export's slots; `release` (idempotent) frees them. */
export interface ExportSlot {
  release(): void;
}

/** The person an export counts against: a bot's owner, else the caller. */
export function requesterOf(actor: Actor): string {
  return actor.user.botOwnerId ?? actor.user.id;
}

/** The longest an export's page waits for the database to be free of other work. */
export const EXPORT_GIVE_WAY_MS = 25;

export class ExportGate {
  /** Slot keys taken on this node: `requester:<userId>`, `group:<conversationId>`. */
  private readonly held = new Set<string>();
  /** Cross-node locks of finished exports still being given back, by key. */
  private readonly releasing = new Map<string, Promise<void>>();
  private running = 0;

  constructor(
    private readonly database: Pick<Database, 'tryLocks' | 'quiet'>,
    private readonly maxConcurrent: number,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /**
   * Before each page an export reads: waits until the database has nothing running or waiting,
   * for at most EXPORT_GIVE_WAY_MS, so that other people's requests go first and the export takes
   * what is left (on the embedded database, where statements run one at a time in this thread).
   */
  giveWay(): Promise<void> {
    return this.database.quiet(EXPORT_GIVE_WAY_MS);
  }

  /** Exports streaming on this node now. */
  get active(): number {
    return this.running;
  }

  /** Takes the caller's slot, the group's (when it is a group export) and one of the node's; 429 when any is taken. */
  async acquire(actor: Actor, groupId: string | null): Promise<ExportSlot> {
    const keys = [`requester:${requesterOf(actor)}`, ...(groupId ? [`group:${groupId}`] : [])];
    // Checked and taken before any await: two requests of one node cannot both pass.
    const local = keys.find((k) => this.held.has(k));
    if (local) throw this.refuse(kindOf(local));
    if (this.running >= this.maxConcurrent) throw this.refuse('node');
    for (const k of keys) this.held.add(k);
    this.running++;
    this.metrics?.exportsRunning.set(this.running);
    let released = false;
    const free = (): void => {
      if (released) return;
      released = true;
      for (const k of keys) this.held.delete(k);
      this.running--;
      this.metrics?.exportsRunning.set(this.running);
    };
    let attempt;
    try {
      // This node's previous export of the same requester or group may still be unlocking.
      await Promise.all(keys.flatMap((k) => this.releasing.get(k) ?? []));
      attempt = await this.database.tryLocks(LOCK_NAMESPACE, keys);
    } catch (err) {
      free();
      throw err;
    }
    if (!attempt.ok) {
      // Another node holds it.
      free();
      throw this.refuse(kindOf(attempt.busy));
    }
    const lease = attempt.lease;
    return {
      release: () => {
        if (released) return;
        free();
        const done = lease.release().catch((err: unknown) => this.logger.warn({ err }, 'releasing export locks failed'));
        for (const k of keys) this.releasing.set(k, done);
        void done.then(() => {
          for (const k of keys) if (this.releasing.get(k) === done) this.releasing.delete(k);
        });
      },
    };
  }

  private refuse(busy: ExportBusy): AppError {
    this.metrics?.exportsRefused.inc({ reason: busy });
    const retryAfter = RETRY_AFTER_S[busy];
    return new AppError('rate_limited', MESSAGES[busy], { retryAfter, busy }, { 'retry-after': String(retryAfter) });
  }
}

function kindOf(key: string): ExportBusy {
  return key.startsWith('group:') ? 'group' : 'requester';
}
