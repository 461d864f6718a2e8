import { eq, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { users } from '../schema.js';
import { foldUsername } from '../../core/username.js';
import { queryRows } from '../sql.js';
import type { UserRow } from './users.repository.js';

/** A group membership of a user being erased. */
export interface GroupMembership {
  conversationId: string;
  role: 'owner' | 'admin' | 'member';
  deleted: boolean;
}

/** The SQL of erasing an account: everything personal goes, the row stays as "Deleted user". */
export class ErasureRepository {
  constructor(private readonly db: Db) {}

  /** The user row, locked until the transaction ends (two erasures of one account serialize). */
  async lockUser(id: string): Promise<UserRow | null> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id)).for('update');
    return row ?? null;
  }

  /** The bots a user owns that are not erased yet. */
  async botsOf(ownerId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(this.db, sql`SELECT id FROM users WHERE bot_owner_id = ${ownerId}::uuid AND erased_at IS NULL ORDER BY id`);
    return rows.map((r) => r.id);
  }

  /** Sessions, API tokens, push subscriptions, OIDC identities, reset links, queued notifications, mutes, bans, thread follows and add-blocks (either way) of a user. */
  async deleteCredentialsAndLinks(userId: string): Promise<void> {
    for (const table of ['sessions', 'push_subscriptions', 'user_identities', 'password_resets', 'notification_deliveries', 'mutes', 'bans', 'thread_followers']) {
      await this.db.execute(sql`DELETE FROM ${sql.identifier(table)} WHERE user_id = ${userId}::uuid`);
    }
    await this.db.execute(sql`DELETE FROM add_blocks WHERE user_id = ${userId}::uuid OR blocked_user_id = ${userId}::uuid`);
  }

  /** The user's group memberships, by conversation id (the order their locks are taken in). */
  async groupMemberships(userId: string): Promise<GroupMembership[]> {
    const rows = await queryRows<{ conversation_id: string; role: GroupMembership['role']; deleted: boolean }>(
      this.db,
      sql`SELECT m.conversation_id, m.role, c.deleted_at IS NOT NULL AS deleted
          FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.user_id = ${userId}::uuid AND c.kind = 'group' ORDER BY m.conversation_id`,
    );
    return rows.map((r) => ({ conversationId: r.conversation_id, role: r.role, deleted: r.deleted }));
  }

  /** Who inherits a group: its longest-standing admin, else its longest-standing member (never `exceptId`). */
  async successor(conversationId: string, exceptId: string): Promise<string | null> {
    const rows = await queryRows<{ user_id: string }>(
      this.db,
      sql`SELECT user_id FROM members WHERE conversation_id = ${conversationId}::uuid AND user_id <> ${exceptId}::uuid
          ORDER BY (role = 'admin') DESC, joined_at, user_id LIMIT 1`,
    );
    return rows[0]?.user_id ?? null;
  }

  /** Deletes the user's uploads (their attachments go with them); returns the hashes of their files. */
  async deleteUploads(ownerId: string): Promise<{ sha256s: string[]; count: number }> {
    await this.db.execute(sql`UPDATE users SET avatar_upload_id = NULL WHERE id = ${ownerId}::uuid`);
    const rows = await queryRows<{ sha256: string }>(this.db, sql`DELETE FROM uploads WHERE owner_id = ${ownerId}::uuid RETURNING sha256`);
    return { sha256s: [...new Set(rows.map((r) => r.sha256))], count: rows.length };
  }

  /** True when another account already has this username (case-insensitively). */
  async usernameTaken(username: string, exceptId: string): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      sql`SELECT id FROM users WHERE lower(username) = ${foldUsername(username)} AND id <> ${exceptId}::uuid LIMIT 1`,
    );
    return rows.length > 0;
  }

  /** The row as "Deleted user": no name, password, e-mail, avatar, preferences or admin role; cannot sign in. */
  async anonymize(userId: string, username: string): Promise<UserRow | null> {
    const [row] = await this.db
      .update(users)
      .set({
        username,
        displayName: 'Deleted user',
        passwordHash: null,
        email: null,
        avatarUploadId: null,
        siteAdmin: false,
        notificationPrefs: {},
        lastDigestAt: null,
        erasedAt: sql`now()`,
        deactivatedAt: sql`COALESCE(${users.deactivatedAt}, now())`,
      })
      .where(eq(users.id, userId))
      .returning();
    return row ?? null;
  }
}
