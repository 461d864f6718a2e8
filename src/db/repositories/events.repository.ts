import { and, asc, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../database.js';
import { conversationEvents } from '../schema.js';
import { anyOf } from '../sql.js';

export type EventRow = typeof conversationEvents.$inferSelect;
export type NewEvent = typeof conversationEvents.$inferInsert;

export class EventsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: NewEvent): Promise<EventRow> {
    const [created] = await this.db.insert(conversationEvents).values(row).returning();
    return created!;
  }

  /**
   * Events after a seq (and before one, of some types when asked), ascending; one more than limit
   * is read to tell whether there is more.
   */
  async listAfter(
    conversationId: string,
    after: number,
    limit: number,
    only: { before?: number; types?: readonly string[] } = {},
  ): Promise<{ rows: EventRow[]; hasMore: boolean }> {
    const rows = await this.db
      .select()
      .from(conversationEvents)
      .where(
        and(
          eq(conversationEvents.conversationId, conversationId),
          gt(conversationEvents.seq, after),
          only.before !== undefined ? lt(conversationEvents.seq, only.before) : undefined,
          only.types ? anyOf(conversationEvents.type, only.types) : undefined,
        ),
      )
      .orderBy(asc(conversationEvents.seq))
      .limit(limit + 1);
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }
}
