import { and, eq } from 'drizzle-orm';
import type { Db } from '../database.js';
import { userIdentities, users } from '../schema.js';
import { isUniqueViolation } from '../sql.js';
import type { NewUser, UserRow } from './users.repository.js';

/** Accounts signed in through an OpenID Connect provider: (issuer, subject) → user. */
export class IdentitiesRepository {
  constructor(private readonly db: Db) {}

  /** The account linked to a provider's subject, or null. */
  async findUser(issuer: string, subject: string): Promise<UserRow | null> {
    const [row] = await this.db
      .select({ user: users })
      .from(userIdentities)
      .innerJoin(users, eq(users.id, userIdentities.userId))
      .where(and(eq(userIdentities.issuer, issuer), eq(userIdentities.subject, subject)));
    return row?.user ?? null;
  }

  /**
   * Creates an account and links it to (issuer, subject), in one transaction. Null when a unique
   * key was taken meanwhile (the username, the e-mail address, or the identity itself): nothing
   * is written then, and the caller looks again.
   */
  async createUserWithIdentity(user: NewUser, identity: { issuer: string; subject: string }): Promise<UserRow | null> {
    try {
      return await this.db.transaction(async (tx) => {
        const [created] = await tx.insert(users).values(user).returning();
        await tx.insert(userIdentities).values({ ...identity, userId: created!.id });
        return created!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /** Links (issuer, subject) to an existing account; false when that identity is linked already. */
  async link(userId: string, identity: { issuer: string; subject: string }): Promise<boolean> {
    const made = await this.db.insert(userIdentities).values({ ...identity, userId }).onConflictDoNothing().returning({ userId: userIdentities.userId });
    return made.length > 0;
  }
}
