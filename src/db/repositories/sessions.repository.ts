import { eq } from 'drizzle-orm';
import type { Db } from '../database.js';
import { sessions, users } from '../schema.js';
import type { UserRow } from './users.repository.js';

export class SessionsRepository {
  constructor(private readonly db: Db) {}

  async create(row: typeof sessions.$inferInsert): Promise<void> {
    await this.db.insert(sessions).values(row);
  }

  /** The session and its user for a token hash, or null when unknown or revoked. */
  async findByTokenHash(tokenHash: string): Promise<{ sessionId: string; user: UserRow } | null> {
    const [row] = await this.db
      .select({ sessionId: sessions.id, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.tokenHash, tokenHash));
    return row ?? null;
  }

  async deleteByTokenHash(tokenHash: string): Promise<boolean> {
    const rows = await this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ id: sessions.id });
    return rows.length > 0;
  }
}
