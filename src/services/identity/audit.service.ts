import { clampLimit, decodeTimeCursor, encodeCursor } from '../../core/cursor.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { AuditRow } from '../../db/repositories/audit.repository.js';
import type { AuditEntry } from '../../protocol/entities.js';
import type { Actor } from './identity.js';
import { requireSiteAdmin } from './identity.js';

/** What was done, `noun.pastVerb` like events. */
export type AuditAction =
  | 'member.muted'
  | 'member.unmuted'
  | 'member.banned'
  | 'member.unbanned'
  | 'member.removed'
  | 'member.role_changed'
  | 'group.deleted'
  | 'group.exported'
  | 'webhook.created'
  | 'webhook.deleted'
  | 'webhook.disabled'
  | 'incoming_webhook.created'
  | 'incoming_webhook.revoked'
  | 'slash_command.created'
  | 'slash_command.deleted'
  | 'user.deactivated'
  | 'user.reactivated'
  | 'user.site_admin_granted'
  | 'user.site_admin_revoked'
  | 'user.erased'
  | 'user.password_reset'
  /** A person claimed the account an import made for them (docs/admin.md, importing). */
  | 'user.claimed'
  | 'bot.created'
  | 'bot.deleted'
  | 'site.settings_changed'
  | 'emoji.created'
  | 'emoji.deleted'
  | 'invite.created'
  | 'invite.revoked';

export interface AuditInput {
  /** Who acted; null for the system (a webhook disabled after failures, the CLI). */
  actorId: string | null;
  action: AuditAction;
  targetUserId?: string | null;
  conversationId?: string | null;
  details?: Record<string, unknown>;
}

function presentAudit(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    action: row.action,
    actorId: row.actorId,
    targetUserId: row.targetUserId,
    conversationId: row.conversationId,
    details: row.details,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The audit log of moderation and admin actions: written by the services, read by site admins. */
export class AuditService {
  constructor(
    private readonly repos: Pick<Repositories, 'audit'>,
    private readonly logger: Logger,
  ) {}

  /**
   * Records an action. Pass a transaction's repositories to record it atomically with the
   * action; otherwise a failure is logged, never thrown (the action itself has happened).
   */
  async record(entry: AuditInput, repos?: Pick<Repositories, 'audit'>): Promise<void> {
    const row = {
      id: newId(),
      actorId: entry.actorId,
      action: entry.action,
      targetUserId: entry.targetUserId ?? null,
      conversationId: entry.conversationId ?? null,
      details: entry.details ?? {},
    };
    this.logger.info({ audit: { ...row, id: undefined } }, `audit: ${entry.action}`);
    if (repos) return repos.audit.insert(row);
    try {
      await this.repos.audit.insert(row);
    } catch (err) {
      this.logger.error({ err, action: entry.action }, 'writing an audit entry failed');
    }
  }

  async list(actor: Actor, cursor: string | undefined, limit: number | undefined): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    requireSiteAdmin(actor);
    const n = clampLimit(limit);
    const key = cursor ? decodeTimeCursor(cursor) : null;
    const rows = await this.repos.audit.listNewest(key, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      entries: page.map(presentAudit),
      nextCursor: rows.length > n && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }
}
