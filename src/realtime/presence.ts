import type { Logger } from '../core/logger.js';
import type { PresenceSource } from '../services/presenters.js';
import type { PresenceService } from '../services/presence.service.js';
import type { ConnectionRegistry } from './registry.js';

/**
 * Online at a user's first socket; offline after the last one closes and a grace period passes,
 * so a reconnect does not flap. Answers the REST presence fields too.
 */
export class PresenceTracker implements PresenceSource {
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  /** Per user: the last state announced, and the announcements in flight (run in order). */
  private readonly announced = new Map<string, boolean>();
  private readonly chains = new Map<string, Promise<void>>();
  private service: PresenceService | null = null;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly graceMs: number,
    private readonly logger: Logger,
  ) {}

  /** The service is made after the tracker (services need it as their presence source). */
  attach(service: PresenceService): void {
    this.service = service;
  }

  isOnline(userId: string): boolean {
    return this.registry.hasUser(userId) || this.leaving.has(userId);
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
    this.announce(userId, true);
  }

  /** A user's last socket on this node closed. */
  disconnected(userId: string): void {
    if (this.leaving.has(userId)) return;
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      if (!this.registry.hasUser(userId)) this.announce(userId, false);
    }, this.graceMs);
    timer.unref();
    this.leaving.set(userId, timer);
  }

  /**
   * Announces the user's state as it is when its turn comes (not as it was when asked), one
   * announcement at a time per user, and only when it changed: a reconnect racing the grace
   * timer cannot leave an online user announced offline.
   */
  private announce(userId: string, _hint: boolean): void {
    const previous = this.chains.get(userId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const online = this.isOnline(userId);
      if (this.announced.get(userId) === online) return;
      try {
        await this.service?.announce(userId, online);
        if (online) this.announced.set(userId, true);
        else this.announced.delete(userId);
      } catch (err) {
        this.logger.warn({ err, userId, online }, 'presence announcement failed');
      }
    });
    this.chains.set(userId, next);
    void next.then(() => {
      if (this.chains.get(userId) === next) this.chains.delete(userId);
    });
  }

  /** Stops the grace timers and announces those users offline now (a clean shutdown). */
  async close(): Promise<void> {
    const users = [...this.leaving.keys()];
    for (const t of this.leaving.values()) clearTimeout(t);
    this.leaving.clear();
    const service = this.service;
    await Promise.allSettled([...this.chains.values()]);
    if (service) await Promise.allSettled(users.map((u) => service.announce(u, false)));
  }
}
