import type { Repositories } from '../../db/repositories/index.js';
import type { EventPublisher } from '../shared/events.js';

/** Presence changes: who hears of them, and the lastSeenAt they leave behind. */
export class PresenceService {
  constructor(
    private readonly repos: Pick<Repositories, 'members' | 'users'>,
    private readonly publisher: EventPublisher,
  ) {}

  /** Tells everyone who shares a conversation with the user that they came online or went offline. */
  async announce(userId: string, online: boolean): Promise<void> {
    let lastSeenAt: string | null = null;
    if (!online) {
      const at = new Date();
      await this.repos.users.update(userId, { lastSeenAt: at });
      lastSeenAt = at.toISOString();
    } else {
      lastSeenAt = (await this.repos.users.findById(userId))?.lastSeenAt?.toISOString() ?? null;
    }
    const audience = await this.repos.members.coMembers(userId);
    this.publisher.ephemeral({ type: 'presence', userId, online, lastSeenAt }, audience);
  }
}
