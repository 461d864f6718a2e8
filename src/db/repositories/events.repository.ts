import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../database.js';
import { conversationEvents } from '../schema.js';

export type EventRow = typeof conversationEvents.$inferSelect;
export type NewEvent = typeof conversationEvents.$inferInsert;

export class EventsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: NewEvent): Promise<EventRow> {
    const [created] = await this.db.insert(conversationEvents).values(row).returning();
    return created!;
  }

  /** Events after a seq, ascending; one more than limit is read to tell whether there is more. */
  async listAfter(conversationId: string, after: number, limit: number): Promise<{ rows: EventRow[]; hasMore: boolean }> {
    const rows = await this.db
      .select()
      .from(conversationEvents)
      .where(and(eq(conversationEvents.conversationId, conversationId), gt(conversationEvents.seq, after)))
      .orderBy(asc(conversationEvents.seq))
      .limit(limit + 1);
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }
}
