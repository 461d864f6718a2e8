import { AppError, badRequest, notFound } from '../../core/errors.js';
import { clampLimit, decodeTimeCursor, encodeCursor } from '../../core/cursor.js';
import { isUuid } from '../../core/ids.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { AddBlock } from '../../protocol/add-blocks.js';
import type { Actor } from '../identity/identity.js';
import { presentUser, type UserView } from '../shared/presenters.js';

/**
 * Throws 403 `add_blocked` when any of `userIds` refuses to be added to groups by `adderId`
 * (details.userIds names them: the adder learns only that they may not add these people).
 */
export async function refuseBlockedAdds(repos: Pick<Repositories, 'addBlocks'>, userIds: readonly string[], adderId: string): Promise<void> {
  const refusing = await repos.addBlocks.refusing(userIds, adderId);
  if (refusing.length === 0) return;
  const message = refusing.length === 1 ? 'this user does not accept being added to groups by you' : 'these users do not accept being added to groups by you';
  throw new AppError('add_blocked', message, { userIds: refusing });
}

/**
 * Consent to group adds: anyone may add a person to a group (as in Slack and Zulip), and the
 * person may leave with one click and refuse further adds by whoever added them (DELETE
 * /groups/{id}/members/{me}?blockAdder=true), or refuse anyone's adds beforehand.
 */
export class AddBlocksService {
  constructor(
    private readonly repos: Pick<Repositories, 'addBlocks' | 'users'>,
    private readonly presence: UserView,
  ) {}

  async list(actor: Actor, cursor: string | undefined, limit: number | undefined): Promise<{ blocks: AddBlock[]; nextCursor: string | null }> {
    const n = clampLimit(limit);
    const key = cursor ? decodeTimeCursor(cursor) : null;
    const rows = await this.repos.addBlocks.list(actor.user.id, key ? { at: key.at, userId: key.id } : null, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      blocks: page.map((r) => ({ user: presentUser(r.user, this.presence), createdAt: r.block.createdAt.toISOString() })),
      nextCursor: rows.length > n && last ? encodeCursor([last.block.createdAt.toISOString(), last.user.id]) : null,
    };
  }

  /** `userId` may no longer add the caller to groups. Idempotent. */
  async block(actor: Actor, userId: string): Promise<void> {
    if (userId === actor.user.id) throw badRequest('you cannot block yourself');
    const user = isUuid(userId) ? await this.repos.users.findById(userId) : null;
    if (!user) throw notFound('user');
    await this.repos.addBlocks.insert(actor.user.id, userId);
  }

  /** `userId` may add the caller to groups again. Idempotent. */
  async unblock(actor: Actor, userId: string): Promise<void> {
    if (isUuid(userId)) await this.repos.addBlocks.delete(actor.user.id, userId);
  }
}
