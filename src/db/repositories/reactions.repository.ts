import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { reactions } from '../schema.js';
import { anyOf } from '../sql.js';

export interface ReactionSummary {
  emoji: string;
  count: number;
  /** Whether the viewer is among those who reacted; absent for a viewer-less summary (events). */
  me?: boolean;
}

export class ReactionsRepository {
  constructor(private readonly db: Db) {}

  /** True when added; false when this user already reacted so. */
  async add(messageId: string, emoji: string, userId: string): Promise<boolean> {
    const rows = await this.db.insert(reactions).values({ messageId, emoji, userId }).onConflictDoNothing().returning({ emoji: reactions.emoji });
    return rows.length > 0;
  }

  async remove(messageId: string, emoji: string, userId: string): Promise<boolean> {
    const rows = await this.db
      .delete(reactions)
      .where(and(eq(reactions.messageId, messageId), eq(reactions.emoji, emoji), eq(reactions.userId, userId)))
      .returning({ emoji: reactions.emoji });
    return rows.length > 0;
  }

  /**
   * Different emoji on a message, this user's reactions on it, whether this emoji is on it, and
   * whether this user already put it there.
   */
  async counts(messageId: string, emoji: string, userId: string): Promise<{ distinct: number; mine: number; present: boolean; known: boolean }> {
    const [row] = await this.db
      .select({
        distinct: sql<number>`count(DISTINCT ${reactions.emoji})::int`,
        mine: sql<number>`count(*) FILTER (WHERE ${reactions.userId} = ${userId}::uuid)::int`,
        present: sql<boolean>`coalesce(bool_or(${reactions.emoji} = ${emoji}), false)`,
        known: sql<boolean>`coalesce(bool_or(${reactions.emoji} = ${emoji} AND ${reactions.userId} = ${userId}::uuid), false)`,
      })
      .from(reactions)
      .where(eq(reactions.messageId, messageId));
    return row ?? { distinct: 0, mine: 0, present: false, known: false };
  }

  async removeAll(messageId: string): Promise<void> {
    await this.db.delete(reactions).where(eq(reactions.messageId, messageId));
  }

  /** Per message, who reacted with each emoji (in the order they did), emoji in the order first used. */
  async reactors(messageIds: readonly string[]): Promise<Map<string, { emoji: string; userIds: string[] }[]>> {
    const out = new Map<string, { emoji: string; userIds: string[] }[]>();
    if (messageIds.length === 0) return out;
    const rows = await this.db
      .select({
        messageId: reactions.messageId,
        emoji: reactions.emoji,
        userIds: sql<string[]>`array_agg(${reactions.userId}::text ORDER BY ${reactions.createdAt}, ${reactions.userId})`,
      })
      .from(reactions)
      .where(anyOf(reactions.messageId, messageIds))
      .groupBy(reactions.messageId, reactions.emoji)
      .orderBy(sql`min(${reactions.createdAt})`, reactions.emoji);
    for (const r of rows) {
      const list = out.get(r.messageId) ?? [];
      list.push({ emoji: r.emoji, userIds: r.userIds });
      out.set(r.messageId, list);
    }
    return out;
  }
}
