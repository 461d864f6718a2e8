import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { incomingWebhooks, users } from '../schema.js';

export type IncomingWebhookRow = typeof incomingWebhooks.$inferSelect;

const live = isNull(incomingWebhooks.revokedAt);

/** Incoming webhooks of groups: made, listed, found by their key's hash, revoked. */
export class IncomingWebhooksRepository {
  constructor(private readonly db: Db) {}

  async insert(row: typeof incomingWebhooks.$inferInsert): Promise<IncomingWebhookRow> {
    const [created] = await this.db.insert(incomingWebhooks).values(row).returning();
    return created!;
  }

  /** A live hook by its key's hash, with its integration user (one statement: a post's only read before the send). */
  async findLiveWithUser(keyHash: string): Promise<{ hook: IncomingWebhookRow; user: typeof users.$inferSelect } | null> {
    const [row] = await this.db
      .select({ hook: incomingWebhooks, user: users })
      .from(incomingWebhooks)
      .innerJoin(users, eq(users.id, incomingWebhooks.userId))
      // A deactivated (or erased) integration user posts nothing: a site admin's deactivation stops the hook too.
      .where(and(eq(incomingWebhooks.keyHash, keyHash), live, isNull(users.deactivatedAt), isNull(users.erasedAt)));
    return row ?? null;
  }

  async findLive(conversationId: string, id: string): Promise<IncomingWebhookRow | null> {
    const [row] = await this.db
      .select()
      .from(incomingWebhooks)
      .where(and(eq(incomingWebhooks.conversationId, conversationId), eq(incomingWebhooks.id, id), live));
    return row ?? null;
  }

  /** A group's live hooks, oldest first. */
  async listLive(conversationId: string, limit: number): Promise<IncomingWebhookRow[]> {
    return this.db
      .select()
      .from(incomingWebhooks)
      .where(and(eq(incomingWebhooks.conversationId, conversationId), live))
      .orderBy(asc(incomingWebhooks.createdAt), asc(incomingWebhooks.id))
      .limit(limit);
  }

  async countLive(conversationId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(incomingWebhooks)
      .where(and(eq(incomingWebhooks.conversationId, conversationId), live));
    return Number(row?.n ?? 0);
  }

  /** Revokes a live hook; the row as it was, or null when there was none. */
  async revoke(id: string): Promise<IncomingWebhookRow | null> {
    const [row] = await this.db
      .update(incomingWebhooks)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(incomingWebhooks.id, id), live))
      .returning();
    return row ?? null;
  }

  /** Notes a post (at most once a minute per hook: a busy hook does not rewrite its row on every post). */
  async touch(id: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE incoming_webhooks SET last_used_at = now()
           WHERE id = ${id}::uuid AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    );
  }
}
