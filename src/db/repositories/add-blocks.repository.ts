import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Db } from '../database.js';
import { addBlocks, users } from '../schema.js';
import type { UserRow } from './users.repository.js';
import { anyOf } from '../sql.js';

export type AddBlockRow = typeof addBlocks.$inferSelect;

/** Who may not add whom to groups: each row is `userId` refusing adds by `blockedUserId`. */
export class AddBlocksRepository {
  constructor(private readonly db: Db) {}

  /** Records a block; false when it was already there. */
  async insert(userId: string, blockedUserId: string): Promise<boolean> {
    const rows = await this.db.insert(addBlocks).values({ userId, blockedUserId }).onConflictDoNothing().returning({ userId: addBlocks.userId });
    return rows.length > 0;
  }

  async delete(userId: string, blockedUserId: string): Promise<boolean> {
    const rows = await this.db
      .delete(addBlocks)
      .where(and(eq(addBlocks.userId, userId), eq(addBlocks.blockedUserId, blockedUserId)))
      .returning({ userId: addBlocks.userId });
    return rows.length > 0;
  }

  /** Which of `userIds` refuse to be added by `adderId`. */
  async refusing(userIds: readonly string[], adderId: string): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db
      .select({ userId: addBlocks.userId })
      .from(addBlocks)
      .where(and(anyOf(addBlocks.userId, userIds), eq(addBlocks.blockedUserId, adderId)));
    return rows.map((r) => r.userId);
  }

  /** A user's blocks in the order they were made, after a (createdAt, blockedUserId) cursor. */
  async list(userId: string, after: { at: Date; userId: string } | null, limit: number): Promise<{ block: AddBlockRow; user: UserRow }[]> {
    const page = after
      ? or(gt(addBlocks.createdAt, after.at), and(eq(addBlocks.createdAt, after.at), gt(addBlocks.blockedUserId, after.userId)))
      : undefined;
    return this.db
      .select({ block: addBlocks, user: users })
      .from(addBlocks)
      .innerJoin(users, eq(users.id, addBlocks.blockedUserId))
      .where(and(eq(addBlocks.userId, userId), page))
      .orderBy(asc(addBlocks.createdAt), asc(addBlocks.blockedUserId))
      .limit(limit);
  }
}
