import { and, asc, eq, gt, isNotNull, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { users } from '../schema.js';
import { usernameKey } from '../../core/username.js';
import { anyOf, isUniqueViolation, likePrefix } from '../sql.js';

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
    return this.db.select().from(users).where(anyOf(users.id, ids));
  }

  /** The user with this username, compared as src/core/username.ts says (ASCII case folding). */
  async findByUsername(username: string): Promise<UserRow | null> {
    const key = usernameKey(username);
    if (key === null) return null;
    const [row] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.username}) = ${key}`);
    return row ?? null;
  }

  /** Users by usernames, case-insensitively (src/core/username.ts). */
  async findByUsernames(usernames: readonly string[]): Promise<UserRow[]> {
    const lowered = usernames.map(usernameKey).filter((k) => k !== null);
    if (lowered.length === 0) return [];
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
      // Erased accounts ("Deleted user") are not found by name.
      .where(and(match, page, isNull(users.erasedAt)))
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(limit);
  }

  /** Users for site admins: by username, optionally matching a prefix, only deactivated, only admins. */
  async listForAdmin(
    filter: { q: string; deactivated?: boolean; siteAdmin?: boolean },
    after: string | null,
    limit: number,
  ): Promise<UserRow[]> {
    const pattern = likePrefix(filter.q.toLowerCase());
    return this.db
      .select()
      .from(users)
      .where(
        and(
          filter.q ? or(sql`lower(${users.username}) LIKE ${pattern}`, sql`lower(${users.displayName}) LIKE ${pattern}`) : undefined,
          filter.deactivated === undefined ? undefined : filter.deactivated ? isNotNull(users.deactivatedAt) : isNull(users.deactivatedAt),
          filter.siteAdmin === undefined ? undefined : eq(users.siteAdmin, filter.siteAdmin),
          after === null ? undefined : gt(sql`lower(${users.username})`, after),
        ),
      )
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(limit);
  }

  /** The live (not deactivated) bots a user owns, by username. */
  async liveBotsOf(ownerId: string, limit: number): Promise<UserRow[]> {
    return this.db
      .select()
      .from(users)
      .where(and(eq(users.botOwnerId, ownerId), isNull(users.deactivatedAt)))
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(limit);
  }

  async countLiveBots(ownerId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(users)
      .where(and(eq(users.botOwnerId, ownerId), isNull(users.deactivatedAt)));
    return row?.n ?? 0;
  }

  /** Active site admins other than `exceptId`. */
  async countOtherActiveAdmins(exceptId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(users)
      .where(and(eq(users.siteAdmin, true), isNull(users.deactivatedAt), sql`${users.id} <> ${exceptId}`));
    return row?.n ?? 0;
  }

  /** The first person (not a bot) to have registered, still active. */
  async oldestPerson(): Promise<UserRow | null> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(and(eq(users.bot, false), isNull(users.deactivatedAt)))
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(1);
    return row ?? null;
  }

  async anySiteAdmin(): Promise<boolean> {
    const [row] = await this.db.select({ id: users.id }).from(users).where(eq(users.siteAdmin, true)).limit(1);
    return row !== undefined;
  }

  async setAdminState(
    id: string,
    patch: Partial<Pick<UserRow, 'siteAdmin' | 'deactivatedAt' | 'passwordHash'>>,
  ): Promise<UserRow | null> {
    const [row] = await this.db.update(users).set(patch).where(eq(users.id, id)).returning();
    return row ?? null;
  }

  /** Deactivates a user's bots; returns their ids. */
  async deactivateBotsOf(ownerId: string): Promise<string[]> {
    const rows = await this.db
      .update(users)
      .set({ deactivatedAt: sql`now()` })
      .where(and(eq(users.botOwnerId, ownerId), isNull(users.deactivatedAt)))
      .returning({ id: users.id });
    return rows.map((r) => r.id);
  }

  async update(
    id: string,
    patch: Partial<Pick<UserRow, 'displayName' | 'avatarUploadId' | 'lastSeenAt' | 'statusText' | 'statusEmoji' | 'statusExpiresAt' | 'dndUntil' | 'locale' | 'theme'>>,
  ): Promise<UserRow | null> {
    const [row] = await this.db.update(users).set(patch).where(eq(users.id, id)).returning();
    return row ?? null;
  }

  /** Whether any account exists at all (the very first sign-up is always admitted). */
  async any(): Promise<boolean> {
    const [row] = await this.db.select({ id: users.id }).from(users).limit(1);
    return row !== undefined;
  }

  /** The user with this e-mail address, compared case-insensitively. */
  async findByEmail(email: string): Promise<UserRow | null> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`);
    return row ?? null;
  }

  /** Sets a user's e-mail address (null: none); 'taken' when another account has it. */
  async setEmail(id: string, email: string | null): Promise<UserRow | null | 'taken'> {
    try {
      const [row] = await this.db.update(users).set({ email }).where(eq(users.id, id)).returning();
      return row ?? null;
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
  }

  async deleteAll(): Promise<void> {
    await this.db.delete(users);
  }
}
