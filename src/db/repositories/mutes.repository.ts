import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { mutes } from '../schema.js';

export class MutesRepository {
  constructor(private readonly db: Db) {}

  async set(conversationId: string, userId: string, until: Date, mutedBy: string): Promise<void> {
    await this.db
      .insert(mutes)
      .values({ conversationId, userId, until, mutedBy })
      .onConflictDoUpdate({ target: [mutes.conversationId, mutes.userId], set: { until, mutedBy } });
  }

  async clear(conversationId: string, userId: string): Promise<void> {
    await this.db.delete(mutes).where(and(eq(mutes.conversationId, conversationId), eq(mutes.userId, userId)));
  }

  /** Until when a user is muted in a conversation (member or not), or null. */
  async activeUntil(conversationId: string, userId: string): Promise<Date | null> {
    const [row] = await this.db
      .select({ until: mutes.until })
      .from(mutes)
      .where(and(eq(mutes.conversationId, conversationId), eq(mutes.userId, userId), gt(mutes.until, sql`now()`)));
    return row?.until ?? null;
  }
}
