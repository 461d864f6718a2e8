import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Db } from '../database.js';
import { auditLog } from '../schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export class AuditRepository {
  constructor(private readonly db: Db) {}

  async insert(row: NewAuditRow): Promise<void> {
    await this.db.insert(auditLog).values(row);
  }

  /** Entries newest first, before a (createdAt, id) cursor. */
  async listNewest(before: { at: Date; id: string } | null, limit: number): Promise<AuditRow[]> {
    const page = before
      ? or(lt(auditLog.createdAt, before.at), and(eq(auditLog.createdAt, before.at), lt(auditLog.id, before.id)))
      : undefined;
    return this.db.select().from(auditLog).where(page).orderBy(desc(auditLog.createdAt), desc(auditLog.id)).limit(limit);
  }
}
