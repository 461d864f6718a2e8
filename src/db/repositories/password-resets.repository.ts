import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { passwordResets } from '../schema.js';

export type PasswordResetRow = typeof passwordResets.$inferSelect;

/** Password reset codes sent by e-mail: single use, short-lived, kept only as their SHA-256. */
export class PasswordResetsRepository {
  constructor(private readonly db: Db) {}

  async create(row: typeof passwordResets.$inferInsert): Promise<void> {
    await this.db.insert(passwordResets).values(row);
  }

  /** The unused, unexpired code with this hash, or null. */
  async findLive(tokenHash: string): Promise<PasswordResetRow | null> {
    const [row] = await this.db
      .select()
      .from(passwordResets)
      .where(and(eq(passwordResets.tokenHash, tokenHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, sql`now()`)));
    return row ?? null;
  }

  /** Marks a live code used in one statement (of two racing uses, one wins); returns it, or null. */
  async use(tokenHash: string): Promise<PasswordResetRow | null> {
    const [row] = await this.db
      .update(passwordResets)
      .set({ usedAt: sql`now()` })
      .where(and(eq(passwordResets.tokenHash, tokenHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, sql`now()`)))
      .returning();
    return row ?? null;
  }

  /** Invalidates every unused code of a user (a new code was issued, or the password changed). */
  async invalidateForUser(userId: string): Promise<void> {
    await this.db
      .update(passwordResets)
      .set({ usedAt: sql`now()` })
      .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
  }

  /** Deletes codes that expired more than a day ago (they only matter while they could be used). */
  async deleteExpired(): Promise<number> {
    const rows = await this.db
      .delete(passwordResets)
      .where(sql`${passwordResets.expiresAt} < now() - interval '1 day'`)
      .returning({ h: passwordResets.tokenHash });
    return rows.length;
  }
}
