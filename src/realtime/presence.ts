import type { Logger } from '../core/logger.js';
import type { PresenceSource } from '../services/shared/presenters.js';
import type { PresenceService } from '../services/identity/presence.service.js';
import { LocalPresenceStore, type PresenceStore } from './presence-store.js';
import type { ConnectionRegistry } from './registry.js';

/**
 * Online at a user's first socket anywhere; offline after their last one closes everywhere and
 * a grace period passes, so a reconnect (to this node or another) does not flap. Whether a user
 * is held by other nodes is the store's to say: in memory on one node, in Redis on several.
 * Answers the REST presence fields too.
 */
export class PresenceTracker implements PresenceSource {
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  /** Users this node has told the store about. */
  private readonly joined = new Set<string>();
  /** Per user: the store updates and announcements in flight, run in order. */
  private readonly chains = new Map<string, Promise<void>>();
  private service: PresenceService | null = null;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly graceMs: number,
    private readonly logger: Logger,
    private readonly store: PresenceStore = new LocalPresenceStore(),
  ) {
    store.onChanges((userIds, online) => {
      // Found by the store: a dead node's users, or states lost while Redis was away.
      for (const userId of userIds) this.then(userId, () => this.announce(userId, online));
    });
  }

  /** The service is made after the tracker (services need it as their presence source). */
  attach(service: PresenceService): void {
    this.service = service;
  }

  isOnline(userId: string): boolean {
    return this.registry.hasUser(userId) || this.leaving.has(userId) || this.store.onlineElsewhere(userId);
  }

  /** A user's first socket on this node opened. */
  connected(userId: string): void {
    const timer = this.leaving.get(userId);
    if (timer) {
      // Back within the grace period: nobody was told they left.
      clearTimeout(timer);
      this.leaving.delete(userId);
      return;
    }
    this.then(userId, async () => {
      // Checked at its turn: a socket that already closed again is the leave's to handle.
      if (this.joined.has(userId) || !this.registry.hasUser(userId)) return;
      this.joined.add(userId);
      if (await this.store.join(userId)) await this.announce(userId, true);
    });
  }

  /** A user's last socket on this node closed. */
  disconnected(userId: string): void {
    if (this.leaving.has(userId)) return;
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      this.leave(userId);
    }, this.graceMs);
    timer.unref();
    this.leaving.set(userId, timer);
  }

  private leave(userId: string): void {
    this.then(userId, async () => {
      if (!this.joined.has(userId) || this.registry.hasUser(userId) || this.leaving.has(userId)) return;
      this.joined.delete(userId);
      if (await this.store.leave(userId)) await this.announce(userId, false);
    });
  }

  private async announce(userId: string, online: boolean): Promise<void> {
    try {
      this.store.changed(userId, online);
      await this.service?.announce(userId, online);
    } catch (err) {
      this.logger.warn({ err, userId, online }, 'presence announcement failed');
    }
  }

  /** Runs a user's presence steps one at a time, in the order they were asked for. */
  private then(userId: string, step: () => Promise<void>): void {
    const previous = this.chains.get(userId) ?? Promise.resolve();
    const next = previous.then(step).catch((err: unknown) => this.logger.warn({ err, userId }, 'presence update failed'));
    this.chains.set(userId, next);
    void next.then(() => {
      if (this.chains.get(userId) === next) this.chains.delete(userId);
    });
  }

  /** Stops the grace timers and takes those users offline (a clean shutdown), then the store. */
  async close(): Promise<void> {
    const users = [...this.leaving.keys()];
    for (const t of this.leaving.values()) clearTimeout(t);
    this.leaving.clear();
    // Alone, this node is the truth: its users leave now. Among others, the store hands them
    // over (a client reconnecting to another node within the grace period never looks offline).
    if (!this.store.shared) for (const userId of users) this.leave(userId);
    await Promise.allSettled([...this.chains.values()]);
    await this.store.close(this.graceMs);
  }
}
