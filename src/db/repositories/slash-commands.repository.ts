import { and, asc, count, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { slashCommandInvocations, slashCommands, users } from '../schema.js';

export type SlashCommandRow = typeof slashCommands.$inferSelect;
export type SlashCommandInvocationRow = typeof slashCommandInvocations.$inferSelect;

/** Custom slash commands of groups, and their runs' response URLs. */
export class SlashCommandsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: typeof slashCommands.$inferInsert): Promise<SlashCommandRow> {
    const [created] = await this.db.insert(slashCommands).values(row).returning();
    return created!;
  }

  /** A group's commands in trigger order. */
  async list(conversationId: string, limit: number): Promise<SlashCommandRow[]> {
    return this.db
      .select()
      .from(slashCommands)
      .where(eq(slashCommands.conversationId, conversationId))
      .orderBy(asc(slashCommands.trigger))
      .limit(limit);
  }

  async count(conversationId: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(slashCommands).where(eq(slashCommands.conversationId, conversationId));
    return Number(row?.n ?? 0);
  }

  async findByTrigger(conversationId: string, trigger: string): Promise<SlashCommandRow | null> {
    const [row] = await this.db
      .select()
      .from(slashCommands)
      .where(and(eq(slashCommands.conversationId, conversationId), eq(slashCommands.trigger, trigger)));
    return row ?? null;
  }

  /** Deletes a command of the group (its invocations go with it); the row as it was, or null. */
  async delete(conversationId: string, id: string): Promise<SlashCommandRow | null> {
    const [row] = await this.db
      .delete(slashCommands)
      .where(and(eq(slashCommands.conversationId, conversationId), eq(slashCommands.id, id)))
      .returning();
    return row ?? null;
  }

  async insertInvocation(row: typeof slashCommandInvocations.$inferInsert): Promise<void> {
    await this.db.insert(slashCommandInvocations).values(row);
  }

  /** Forgets invocations that expired before `before` (their URLs answer as unknown from then on). */
  async sweepExpired(before: Date): Promise<void> {
    await this.db.delete(slashCommandInvocations).where(lt(slashCommandInvocations.expiresAt, before));
  }

  /**
   * Spends one use of a response URL, in one statement: the invocation, its command and the
   * command's integration user when a use was left and it has not expired; null otherwise.
   */
  async spend(
    keyHash: string,
    maxUses: number,
  ): Promise<{ invocation: SlashCommandInvocationRow; command: SlashCommandRow; bot: typeof users.$inferSelect } | null> {
    const [spent] = await this.db
      .update(slashCommandInvocations)
      .set({ uses: sql`${slashCommandInvocations.uses} + 1` })
      .where(and(eq(slashCommandInvocations.keyHash, keyHash), lt(slashCommandInvocations.uses, maxUses), sql`${slashCommandInvocations.expiresAt} > now()`))
      .returning();
    if (!spent) return null;
    const [row] = await this.db
      .select({ command: slashCommands, bot: users })
      .from(slashCommands)
      .innerJoin(users, eq(users.id, slashCommands.userId))
      .where(eq(slashCommands.id, spent.commandId));
    return row ? { invocation: spent, ...row } : null;
  }

  /** An invocation by its key's hash whatever its state (to say why a spend failed). */
  async findInvocation(keyHash: string): Promise<SlashCommandInvocationRow | null> {
    const [row] = await this.db.select().from(slashCommandInvocations).where(eq(slashCommandInvocations.keyHash, keyHash));
    return row ?? null;
  }
}
