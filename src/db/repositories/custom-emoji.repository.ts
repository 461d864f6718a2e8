import { asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { customEmoji, users } from '../schema.js';

export type CustomEmojiRow = typeof customEmoji.$inferSelect;

/** A custom emoji with what is shown of its creator (null once that account is gone). */
export interface CustomEmojiWithCreator extends CustomEmojiRow {
  creator: { id: string; username: string; displayName: string } | null;
}

/** The site's custom emoji, by name. */
export class CustomEmojiRepository {
  constructor(private readonly db: Db) {}

  /** Every custom emoji, by name, with its creator. */
  async list(): Promise<CustomEmojiWithCreator[]> {
    const rows = await this.db
      .select({ emoji: customEmoji, creatorUsername: users.username, creatorDisplayName: users.displayName })
      .from(customEmoji)
      .leftJoin(users, eq(users.id, customEmoji.creatorId))
      .orderBy(asc(customEmoji.name));
    return rows.map((r) => ({
      ...r.emoji,
      creator: r.emoji.creatorId && r.creatorUsername !== null ? { id: r.emoji.creatorId, username: r.creatorUsername, displayName: r.creatorDisplayName ?? r.creatorUsername } : null,
    }));
  }

  async find(name: string): Promise<CustomEmojiRow | null> {
    const [row] = await this.db.select().from(customEmoji).where(eq(customEmoji.name, name));
    return row ?? null;
  }

  async exists(name: string): Promise<boolean> {
    const [row] = await this.db.select({ name: customEmoji.name }).from(customEmoji).where(eq(customEmoji.name, name)).limit(1);
    return row !== undefined;
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(customEmoji);
    return row?.n ?? 0;
  }

  /** Adds one; false when the name is taken. */
  async insert(row: { name: string; sha256: string; creatorId: string }): Promise<boolean> {
    const rows = await this.db.insert(customEmoji).values(row).onConflictDoNothing().returning({ name: customEmoji.name });
    return rows.length > 0;
  }

  /** Removes one; its row, or null when there was none. */
  async delete(name: string): Promise<CustomEmojiRow | null> {
    const [row] = await this.db.delete(customEmoji).where(eq(customEmoji.name, name)).returning();
    return row ?? null;
  }

  /** Does another name still use this image? */
  async imageInUse(sha256: string): Promise<boolean> {
    const [row] = await this.db.select({ name: customEmoji.name }).from(customEmoji).where(eq(customEmoji.sha256, sha256)).limit(1);
    return row !== undefined;
  }

  /** Serializes storing and removing one image (its blob), until the transaction ends. */
  async lockImage(sha256: string): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`custom-emoji-image:${sha256}`}))`);
  }

  /** Custom emoji are added one at a time, until the transaction ends: two at once cannot both take the last place. */
  async lockAdding(): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext('custom-emoji:add'))`);
  }
}
