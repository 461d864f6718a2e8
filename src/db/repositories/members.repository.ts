import { and, asc, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { conversations, drafts, members, users } from '../schema.js';
import { anyOf, queryRows } from '../sql.js';
import type { UserRow } from './users.repository.js';

export type MemberRow = typeof members.$inferSelect;
export type Role = MemberRow['role'];
export interface MemberWithUser {
  member: MemberRow;
  user: UserRow;
}

/** A conversation as a member's connection needs it: its last seq, and where the membership began. */
export interface Position {
  lastSeq: number;
  joinedSeq: number;
}

export class MembersRepository {
  constructor(private readonly db: Db) {}

  /** Live groups the user owns (MAX_GROUPS_PER_OWNER counts them). */
  async countOwnedGroups(userId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(members)
      .innerJoin(conversations, eq(conversations.id, members.conversationId))
      .where(and(eq(members.userId, userId), eq(members.role, 'owner'), eq(conversations.kind, 'group'), isNull(conversations.deletedAt)));
    return row?.n ?? 0;
  }

  /** Serializes one user's group creations until the transaction ends (the cap is counted under it). */
  async lockOwner(userId: string): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`groups-owned:${userId}`}))`);
  }

  async find(conversationId: string, userId: string): Promise<MemberRow | null> {
    const [row] = await this.db
      .select()
      .from(members)
      .where(and(eq(members.conversationId, conversationId), eq(members.userId, userId)));
    return row ?? null;
  }

  async findWithUser(conversationId: string, userId: string): Promise<MemberWithUser | null> {
    const [row] = await this.db
      .select({ member: members, user: users })
      .from(members)
      .innerJoin(users, eq(users.id, members.userId))
      .where(and(eq(members.conversationId, conversationId), eq(members.userId, userId)));
    return row ?? null;
  }

  /** Adds members; returns the rows actually inserted (existing members are left alone). */
  async insertMany(rows: (typeof members.$inferInsert)[]): Promise<MemberRow[]> {
    if (rows.length === 0) return [];
    return this.db.insert(members).values(rows).onConflictDoNothing().returning();
  }

  async setRole(conversationId: string, userId: string, role: Role): Promise<MemberRow | null> {
    const [row] = await this.db
      .update(members)
      .set({ role })
      .where(and(eq(members.conversationId, conversationId), eq(members.userId, userId)))
      .returning();
    return row ?? null;
  }

  async setMute(conversationId: string, userId: string, mutedUntil: Date | null): Promise<MemberRow | null> {
    const [row] = await this.db
      .update(members)
      .set({ mutedUntil })
      .where(and(eq(members.conversationId, conversationId), eq(members.userId, userId)))
      .returning();
    return row ?? null;
  }

  async delete(conversationId: string, userId: string): Promise<MemberRow | null> {
    // A member who leaves or is removed keeps no draft there (issue 21): gone with the membership.
    await this.db.delete(drafts).where(and(eq(drafts.conversationId, conversationId), eq(drafts.userId, userId)));
    const [row] = await this.db
      .delete(members)
      .where(and(eq(members.conversationId, conversationId), eq(members.userId, userId)))
      .returning();
    return row ?? null;
  }

  /** Members by join order, after a (joinedAt, userId) cursor. */
  async list(conversationId: string, after: { at: Date; userId: string } | null, limit: number): Promise<MemberWithUser[]> {
    const page = after
      ? or(gt(members.joinedAt, after.at), and(eq(members.joinedAt, after.at), gt(members.userId, after.userId)))
      : undefined;
    return this.db
      .select({ member: members, user: users })
      .from(members)
      .innerJoin(users, eq(users.id, members.userId))
      .where(and(eq(members.conversationId, conversationId), page))
      .orderBy(asc(members.joinedAt), asc(members.userId))
      .limit(limit);
  }

  /** The first `limit` members by join order (who @all reaches in a group larger than its cap). */
  async firstUserIds(conversationId: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .select({ id: members.userId })
      .from(members)
      .where(eq(members.conversationId, conversationId))
      .orderBy(asc(members.joinedAt), asc(members.userId))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  async userIds(conversationId: string): Promise<string[]> {
    const rows = await this.db.select({ id: members.userId }).from(members).where(eq(members.conversationId, conversationId));
    return rows.map((r) => r.id);
  }

  /** The last seq of every conversation the user belongs to. */
  async positions(userId: string): Promise<Map<string, Position>> {
    const rows = await this.db
      .select({ id: members.conversationId, lastSeq: conversations.lastSeq, joinedSeq: members.joinedSeq })
      .from(members)
      .innerJoin(conversations, eq(conversations.id, members.conversationId))
      .where(eq(members.userId, userId));
    return new Map(rows.map((r) => [r.id, { lastSeq: r.lastSeq, joinedSeq: r.joinedSeq }]));
  }

  /** Where the user's membership of a conversation began (null: not a member). */
  async joinedSeq(conversationId: string, userId: string): Promise<number | null> {
    const [row] = await this.db
      .select({ joinedSeq: members.joinedSeq })
      .from(members)
      .where(and(eq(members.conversationId, conversationId), eq(members.userId, userId)));
    return row ? row.joinedSeq : null;
  }

  /** Everyone who shares a live conversation with the user (the audience of their presence). */
  async coMembers(userId: string): Promise<string[]> {
    const rows = await queryRows<{ user_id: string }>(
      this.db,
      sql`SELECT DISTINCT other.user_id
          FROM members mine
          JOIN conversations c ON c.id = mine.conversation_id AND c.deleted_at IS NULL
          JOIN members other ON other.conversation_id = mine.conversation_id
          WHERE mine.user_id = ${userId}::uuid AND other.user_id <> ${userId}::uuid`,
    );
    return rows.map((r) => r.user_id);
  }

  /** The other member of each direct conversation, for a viewer. */
  async peers(viewerId: string, conversationIds: readonly string[]): Promise<Map<string, UserRow>> {
    const out = new Map<string, UserRow>();
    if (conversationIds.length === 0) return out;
    const rows = await this.db
      .select({ cid: members.conversationId, user: users })
      .from(members)
      .innerJoin(users, eq(users.id, members.userId))
      .where(and(anyOf(members.conversationId, conversationIds), ne(members.userId, viewerId)));
    for (const r of rows) out.set(r.cid, r.user);
    return out;
  }

  /** Which of these users are members of the conversation. */
  async filterMembers(conversationId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db
      .select({ id: members.userId })
      .from(members)
      .where(and(eq(members.conversationId, conversationId), anyOf(members.userId, userIds)));
    return rows.map((r) => r.id);
  }

  /**
   * The user's memberships among `conversationIds`, each with the first seq they may read: 0, or
   * their member.joined's seq in a group whose history visibility is `joined` (access.readFloor).
   */
  async readFloors(userId: string, conversationIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (conversationIds.length === 0) return out;
    const rows = await this.db
      .select({
        id: members.conversationId,
        floor: sql<number>`CASE WHEN ${conversations.kind} = 'group' AND ${conversations.historyVisibility} = 'joined' THEN ${members.joinedSeq} ELSE 0 END`,
      })
      .from(members)
      .innerJoin(conversations, eq(conversations.id, members.conversationId))
      .where(and(eq(members.userId, userId), anyOf(members.conversationId, conversationIds)));
    for (const r of rows) out.set(r.id, Number(r.floor));
    return out;
  }

  /** Moves a read pointer forward only, clamped to the conversation's last seq. */
  async markRead(conversationId: string, userId: string, seq: number): Promise<number | null> {
    return (await this.markReadReturning(conversationId, userId, seq))?.lastReadSeq ?? null;
  }

  /** markRead, also returning the member's mute (a send re-checks it under the conversation's lock). */
  async markReadReturning(
    conversationId: string,
    userId: string,
    seq: number,
  ): Promise<{ lastReadSeq: number; mutedUntil: Date | null } | null> {
    const [row] = await this.db
      .update(members)
      .set({
        lastReadSeq: sql`GREATEST(${members.lastReadSeq}, LEAST(${seq}::bigint, (SELECT c.last_seq FROM conversations c WHERE c.id = ${conversationId}::uuid)))`,
      })
      .where(and(eq(members.conversationId, conversationId), eq(members.userId, userId)))
      .returning({ lastReadSeq: members.lastReadSeq, mutedUntil: members.mutedUntil });
    return row ?? null;
  }
}
