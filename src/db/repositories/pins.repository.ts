import { and, count, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../database.js';
import { messages, pins } from '../schema.js';
import type { MessageRow } from './messages.repository.js';

export type PinRow = typeof pins.$inferSelect;

/**
 * Pinned messages of a conversation. A pin of a message deleted since stays in the table (it
 * goes with the message row, by cascade, when retention or erasure removes it) but is neither
 * listed nor counted: deleting a message unpins it, live and on replay alike.
 */
export class PinsRepository {
  constructor(private readonly db: Db) {}

  /** Pins a message at `pinnedAt`; false when it already was (nothing changed). */
  async insert(conversationId: string, messageId: string, pinnedBy: string, pinnedAt: Date): Promise<boolean> {
    const rows = await this.db
      .insert(pins)
      .values({ conversationId, messageId, pinnedBy, pinnedAt })
      .onConflictDoNothing()
      .returning({ messageId: pins.messageId });
    return rows.length > 0;
  }

  /** Unpins a message; false when it was not pinned. */
  async delete(conversationId: string, messageId: string): Promise<boolean> {
    const rows = await this.db
      .delete(pins)
      .where(and(eq(pins.conversationId, conversationId), eq(pins.messageId, messageId)))
      .returning({ messageId: pins.messageId });
    return rows.length > 0;
  }

  /** Pins of messages not deleted: what the limit counts. */
  async countLive(conversationId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(pins)
      .innerJoin(messages, eq(messages.id, pins.messageId))
      .where(and(eq(pins.conversationId, conversationId), isNull(messages.deletedAt)));
    return Number(row?.n ?? 0);
  }

  /** Pins of messages not deleted, newest pin first (pins_newest_idx), with their messages. */
  async listLive(conversationId: string, limit: number): Promise<{ pin: PinRow; message: MessageRow }[]> {
    return this.db
      .select({ pin: pins, message: messages })
      .from(pins)
      .innerJoin(messages, eq(messages.id, pins.messageId))
      .where(and(eq(pins.conversationId, conversationId), isNull(messages.deletedAt)))
      .orderBy(desc(pins.pinnedAt), desc(pins.messageId))
      .limit(limit);
  }
}
