import { and, asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { sessions, users } from '../schema.js';
import type { UserRow } from './users.repository.js';

export type SessionRow = typeof sessions.$inferSelect;
export type SessionKind = SessionRow['kind'];

export class SessionsRepository {
  constructor(private readonly db: Db) {}

  async create(row: typeof sessions.$inferInsert): Promise<SessionRow> {
    const [created] = await this.db.insert(sessions).values(row).returning();
    return created!;
  }

  /**
   * The session and its user for a token hash, or null when unknown, revoked, or its account
   * is deactivated.
   */
  async findByTokenHash(tokenHash: string): Promise<{ session: SessionRow; user: UserRow } | null> {
    const [row] = await this.db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, tokenHash), isNull(users.deactivatedAt)));
    return row ?? null;
  }

  /** Which of these token hashes still belong to a live session of an active account. */
  async liveTokenHashes(tokenHashes: readonly string[]): Promise<Set<string>> {
    if (tokenHashes.length === 0) return new Set();
    const rows = await this.db
      .select({ tokenHash: sessions.tokenHash })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(inArray(sessions.tokenHash, [...tokenHashes]), isNull(users.deactivatedAt)));
    return new Set(rows.map((r) => r.tokenHash));
  }

  /** Marks a session used now, unless it was marked within the last minute (one write a minute at most). */
  async touch(id: string): Promise<void> {
    await this.db
      .update(sessions)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(sessions.id, id), lt(sessions.lastUsedAt, sql`now() - interval '1 minute'`)));
  }

  async deleteByTokenHash(tokenHash: string): Promise<boolean> {
    const rows = await this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ id: sessions.id });
    return rows.length > 0;
  }

  /** A user's sessions of one kind, oldest first. */
  async listForUser(userId: string, kind: SessionKind): Promise<SessionRow[]> {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), eq(sessions.kind, kind)))
      .orderBy(asc(sessions.createdAt), asc(sessions.id));
  }

  async countForUser(userId: string, kind: SessionKind): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), eq(sessions.kind, kind)));
    return row?.n ?? 0;
  }

  /** Deletes one session of a user; returns it, or null when the user has no such session. */
  async deleteOne(userId: string, id: string, kind: SessionKind): Promise<SessionRow | null> {
    const [row] = await this.db
      .delete(sessions)
      .where(and(eq(sessions.id, id), eq(sessions.userId, userId), eq(sessions.kind, kind)))
      .returning();
    return row ?? null;
  }

  /** Deletes every session of a user (of one kind, or all); returns how many. */
  async deleteAllForUser(userId: string, kind?: SessionKind): Promise<number> {
    const rows = await this.db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), kind ? eq(sessions.kind, kind) : undefined))
      .returning({ id: sessions.id });
    return rows.length;
  }
}
