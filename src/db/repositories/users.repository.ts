import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { users } from '../schema.js';
import { isUniqueViolation, likePrefix } from '../sql.js';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

export class UsersRepository {
  constructor(private readonly db: Db) {}

  /** Inserts a user; null when the username is taken (case-insensitively). */
  async create(row: NewUser): Promise<UserRow | null> {
    try {
      const [created] = await this.db.insert(users).values(row).returning();
      return created ?? null;
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  async findById(id: string): Promise<UserRow | null> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    return row ?? null;
  }

  async findByIds(ids: readonly string[]): Promise<UserRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(users).where(inArray(users.id, [...ids]));
  }

  async findByUsername(username: string): Promise<UserRow | null> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.username}) = lower(${username})`);
    return row ?? null;
  }

  /** Users by usernames, case-insensitively. */
  async findByUsernames(usernames: readonly string[]): Promise<UserRow[]> {
    if (usernames.length === 0) return [];
    const lowered = usernames.map((u) => u.toLowerCase());
    return this.db
      .select()
      .from(users)
      .where(sql`lower(${users.username}) IN (${sql.join(lowered.map((u) => sql`${u}`), sql`, `)})`);
  }

  /** Users whose username or display name starts with q (case-insensitive), by username. */
  async searchByPrefix(q: string, after: string | null, limit: number): Promise<UserRow[]> {
    const pattern = likePrefix(q.toLowerCase());
    const match = q
      ? or(sql`lower(${users.username}) LIKE ${pattern}`, sql`lower(${users.displayName}) LIKE ${pattern}`)
      : undefined;
    const page = after === null ? undefined : gt(sql`lower(${users.username})`, after);
    return this.db
      .select()
      .from(users)
      .where(and(match, page))
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(limit);
  }

  async update(id: string, patch: Partial<Pick<UserRow, 'displayName' | 'avatarUploadId' | 'lastSeenAt'>>): Promise<UserRow | null> {
    const [row] = await this.db.update(users).set(patch).where(eq(users.id, id)).returning();
    return row ?? null;
  }

  async deleteAll(): Promise<void> {
    await this.db.delete(users);
  }
}
