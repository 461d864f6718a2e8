import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { invites } from '../schema.js';

export type InviteRow = typeof invites.$inferSelect;

/** Invite links of invite-only sign-up; codes are kept only as their SHA-256. */
export class InvitesRepository {
  constructor(private readonly db: Db) {}

  async create(row: typeof invites.$inferInsert): Promise<InviteRow> {
    const [created] = await this.db.insert(invites).values(row).returning();
    return created!;
  }

  /** The invite with this code hash if it can still admit someone (not revoked, expired or used up). */
  async findUsable(tokenHash: string): Promise<InviteRow | null> {
    const [row] = await this.db.select().from(invites).where(and(eq(invites.tokenHash, tokenHash), usable()));
    return row ?? null;
  }

  /**
   * Takes one use of a usable invite in one statement: of two sign-ups racing for its last use,
   * exactly one gets the row back. Run it in the sign-up's transaction so a failed sign-up gives
   * the use back.
   */
  async claim(tokenHash: string): Promise<InviteRow | null> {
    const [row] = await this.db
      .update(invites)
      .set({ uses: sql`${invites.uses} + 1` })
      .where(and(eq(invites.tokenHash, tokenHash), usable()))
      .returning();
    return row ?? null;
  }

  /** Newest first, before a (createdAt, id) cursor. */
  async listNewest(before: { at: Date; id: string } | null, limit: number): Promise<InviteRow[]> {
    const page = before ? or(lt(invites.createdAt, before.at), and(eq(invites.createdAt, before.at), lt(invites.id, before.id))) : undefined;
    return this.db.select().from(invites).where(page).orderBy(desc(invites.createdAt), desc(invites.id)).limit(limit);
  }

  /** Revokes an invite (idempotent); null when there is no such invite. */
  async revoke(id: string): Promise<InviteRow | null> {
    const [row] = await this.db
      .update(invites)
      .set({ revokedAt: sql`coalesce(${invites.revokedAt}, now())` })
      .where(eq(invites.id, id))
      .returning();
    return row ?? null;
  }
}

function usable() {
  return and(
    isNull(invites.revokedAt),
    or(isNull(invites.expiresAt), gt(invites.expiresAt, sql`now()`)),
    or(isNull(invites.maxUses), lt(invites.uses, invites.maxUses)),
  );
}
