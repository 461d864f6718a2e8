/**
 * A changed profile (display name, avatar) or an erased account, told live: the ephemeral frame
 * `user.updated` goes to everyone who shares a conversation with the user and to the user's own
 * connections, so open clients show the new name at once instead of at their next reload.
 */
import type { Logger } from '../../core/logger.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import type { EventPublisher } from '../shared/events.js';
import { presentUser, type UserView } from '../shared/presenters.js';

export async function announceUser(
  deps: { repos: Pick<Repositories, 'members'>; publisher: Pick<EventPublisher, 'ephemeral'>; view: UserView; logger: Logger },
  row: UserRow,
  /** Who hears of it, when known before the change (an erased account has left its groups); else its co-members now. */
  audience?: readonly string[],
): Promise<void> {
  try {
    const to = audience ?? (await deps.repos.members.coMembers(row.id));
    deps.publisher.ephemeral({ type: 'user.updated', user: presentUser(row, deps.view) }, [...to, row.id]);
  } catch (err) {
    // The change is committed: clients see it on their next read of the user.
    deps.logger.warn({ err, userId: row.id }, 'announcing a profile change failed');
  }
}
