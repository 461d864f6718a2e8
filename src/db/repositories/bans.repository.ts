import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Db } from '../database.js';
import { bans, users } from '../schema.js';
import type { UserRow } from './users.repository.js';

export type BanRow = typeof bans.$inferSelect;

export class BansRepository {
  constructor(private readonly db: Db) {}

  /** Records a ban; false when the user was already banned. */
  async insert(row: typeof bans.$inferInsert): Promise<boolean> {
    const inserted = await this.db.insert(bans).values(row).onConflictDoNothing().returning({ userId: bans.userId });
    return inserted.length > 0;
  }

  async delete(conversationId: string, userId: string): Promise<boolean> {
    const rows = await this.db
      .delete(bans)
      .where(and(eq(bans.conversationId, conversationId), eq(bans.userId, userId)))
      .returning({ userId: bans.userId });
    return rows.length > 0;
  }

  async exists(conversationId: string, userId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ userId: bans.userId })
      .from(bans)
      .where(and(eq(bans.conversationId, conversationId), eq(bans.userId, userId)));
    return row !== undefined;
  }

  /** A group's bans in the order they were made, after a (createdAt, userId) cursor. */
  async list(conversationId: string, after: { at: Date; userId: string } | null, limit: number): Promise<{ ban: BanRow; user: UserRow }[]> {
    const page = after ? or(gt(bans.createdAt, after.at), and(eq(bans.createdAt, after.at), gt(bans.userId, after.userId))) : undefined;
    return this.db
      .select({ ban: bans, user: users })
      .from(bans)
      .innerJoin(users, eq(users.id, bans.userId))
      .where(and(eq(bans.conversationId, conversationId), page))
      .orderBy(asc(bans.createdAt), asc(bans.userId))
      .limit(limit);
  }
}
