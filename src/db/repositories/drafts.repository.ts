import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../database.js';
import { drafts, members } from '../schema.js';

export type DraftRow = typeof drafts.$inferSelect;

/** A user's unsent text per conversation (one row per user and conversation). */
export class DraftsRepository {
  constructor(private readonly db: Db) {}

  /** Writes the draft (insert or replace) and returns it with its new time. */
  async upsert(userId: string, conversationId: string, body: string): Promise<DraftRow> {
    const [row] = await this.db
      .insert(drafts)
      .values({ userId, conversationId, body, updatedAt: new Date() })
      .onConflictDoUpdate({ target: [drafts.userId, drafts.conversationId], set: { body, updatedAt: new Date() } })
      .returning();
    return row!;
  }

  /** Deletes the draft; false when there was none. */
  async delete(userId: string, conversationId: string): Promise<boolean> {
    const rows = await this.db
      .delete(drafts)
      .where(and(eq(drafts.userId, userId), eq(drafts.conversationId, conversationId)))
      .returning({ userId: drafts.userId });
    return rows.length > 0;
  }

  /** The user's drafts in conversations they are still a member of, oldest conversation id first. */
  async listForUser(userId: string, limit: number): Promise<DraftRow[]> {
    return this.db
      .select({ userId: drafts.userId, conversationId: drafts.conversationId, body: drafts.body, updatedAt: drafts.updatedAt })
      .from(drafts)
      .innerJoin(members, and(eq(members.conversationId, drafts.conversationId), eq(members.userId, drafts.userId)))
      .where(eq(drafts.userId, userId))
      .orderBy(asc(drafts.conversationId))
      .limit(limit);
  }
}
