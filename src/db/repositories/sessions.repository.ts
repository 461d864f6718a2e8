import { and, asc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { sessions, users } from '../schema.js';
import { anyOf, queryRows } from '../sql.js';
import type { UserRow } from './users.repository.js';

export type SessionRow = typeof sessions.$inferSelect;
export type SessionKind = SessionRow['kind'];

/** Not expired: no expiry, or an expiry still ahead. */
const unexpired = () => or(isNull(sessions.expiresAt), gt(sessions.expiresAt, sql`now()`));

export class SessionsRepository {
  constructor(private readonly db: Db) {}

  async create(row: typeof sessions.$inferInsert): Promise<SessionRow> {
    const [created] = await this.db.insert(sessions).values(row).returning();
    return created!;
  }

  /**
   * The session and its user for a token hash, or null when unknown, revoked, expired, or its
   * account is deactivated.
   */
  async findByTokenHash(tokenHash: string): Promise<{ session: SessionRow; user: UserRow } | null> {
    const [row] = await this.db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, tokenHash), isNull(users.deactivatedAt), unexpired()));
    return row ?? null;
  }

  /** Which of these token hashes still belong to a live (unexpired) session of an active account. */
  async liveTokenHashes(tokenHashes: readonly string[]): Promise<Set<string>> {
    if (tokenHashes.length === 0) return new Set();
    const rows = await this.db
      .select({ tokenHash: sessions.tokenHash })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(anyOf(sessions.tokenHash, tokenHashes), isNull(users.deactivatedAt), unexpired()));
    return new Set(rows.map((r) => r.tokenHash));
  }

  /**
   * Marks a session used now, unless it was marked within the last minute (one write a minute at
   * most). With `slide`, a login session's expiry moves to now + idle seconds, never past
   * created + max seconds (null: no cap). Returns the new expiry when the row was written.
   */
  async touch(id: string, slide?: { idleSeconds: number; maxSeconds: number | null }): Promise<{ expiresAt: Date | null } | null> {
    const next = slide
      ? slide.maxSeconds === null
        ? sql`now() + make_interval(secs => ${slide.idleSeconds})`
        : sql`least(now() + make_interval(secs => ${slide.idleSeconds}), ${sessions.createdAt} + make_interval(secs => ${slide.maxSeconds}))`
      : undefined;
    const [row] = await this.db
      .update(sessions)
      .set({ lastUsedAt: sql`now()`, ...(next ? { expiresAt: sql`${next}` } : {}) })
      .where(and(eq(sessions.id, id), lt(sessions.lastUsedAt, sql`now() - interval '1 minute'`)))
      .returning({ expiresAt: sessions.expiresAt });
    return row ?? null;
  }

  /** Deletes every expired session (the hourly sweep; any node may run it at any time). */
  async deleteExpired(): Promise<number> {
    const rows = await this.db
      .delete(sessions)
      .where(lt(sessions.expiresAt, sql`now()`))
      .returning({ id: sessions.id });
    return rows.length;
  }

  /** Deletes a user's sessions of one kind except one; returns the deleted rows. */
  async deleteOthers(userId: string, kind: SessionKind, exceptId: string): Promise<SessionRow[]> {
    return this.db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), eq(sessions.kind, kind), ne(sessions.id, exceptId)))
      .returning();
  }

  async deleteByTokenHash(tokenHash: string): Promise<boolean> {
    const rows = await this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ id: sessions.id });
    return rows.length > 0;
  }

  /** A user's unexpired sessions of one kind, oldest first. */
  /** The token hashes of every session this one created, and those created them, and so on. */
  async createdBy(id: string): Promise<string[]> {
    const rows = await queryRows<{ token_hash: string }>(
      this.db,
      sql`WITH RECURSIVE made AS (
            SELECT id, token_hash FROM sessions WHERE created_by = ${id}
            UNION
            SELECT s.id, s.token_hash FROM sessions s JOIN made ON s.created_by = made.id
          )
          SELECT token_hash FROM made`,
    );
    return rows.map((r) => r.token_hash);
  }

  async listForUser(userId: string, kind: SessionKind): Promise<SessionRow[]> {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), eq(sessions.kind, kind), unexpired()))
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
