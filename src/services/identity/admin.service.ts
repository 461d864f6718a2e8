import { clampLimit, decodeCursor, encodeCursor } from '../../core/cursor.js';
import { badRequest, conflict, notFound } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { sameUsername } from '../../core/username.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import type { AdminUser } from '../../protocol/entities.js';
import type { Actor } from './identity.js';
import { type AuditService } from './audit.service.js';
import { requireSiteAdmin } from './identity.js';
import type { EventPublisher } from '../shared/events.js';
import { presentUser, type UserView } from '../shared/presenters.js';

/** The settings row that records who became the first site admin (claimed once, atomically). */
const FIRST_ADMIN_KEY = 'first_site_admin';

export interface AdminOptions {
  /** ADMIN_USERNAME: the user made site admin; null = the first person to register. */
  adminUsername: string | null;
}

/** Site administration: who is a site admin, deactivating accounts, the list of every user. */
export class AdminService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'uploads' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly presence: UserView,
    private readonly options: AdminOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Run once at start: makes ADMIN_USERNAME a site admin if that user exists; without it, a
   * server that has users but no site admin (one from before site admins) gets its first person.
   */
  async ensureSiteAdmin(): Promise<void> {
    const name = this.options.adminUsername;
    if (name) {
      const user = await this.repos.users.findByUsername(name);
      // Only a person: a bot (anyone may name one) never becomes a site admin this way.
      if (user && !user.siteAdmin && !user.bot && !user.deactivatedAt) await this.grant(user, 'ADMIN_USERNAME');
      return;
    }
    if (await this.repos.users.anySiteAdmin()) return;
    const first = await this.repos.users.oldestPerson();
    if (first && (await this.claimFirst(first.id))) await this.grant(first, 'first user');
  }

  /** After a sign-up: the user named by ADMIN_USERNAME, or else the very first, becomes site admin. */
  async onRegistered(user: UserRow): Promise<UserRow | null> {
    const name = this.options.adminUsername;
    const chosen = name ? sameUsername(user.username, name) : await this.claimFirst(user.id);
    return chosen ? this.grant(user, name ? 'ADMIN_USERNAME' : 'first user') : null;
  }

  async listUsers(
    actor: Actor,
    query: { q?: string; deactivated?: boolean; siteAdmin?: boolean; cursor?: string; limit?: number },
  ): Promise<{ users: AdminUser[]; nextCursor: string | null }> {
    requireSiteAdmin(actor);
    const n = clampLimit(query.limit);
    const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
    const rows = await this.repos.users.listForAdmin(
      { q: (query.q ?? '').trim(), deactivated: query.deactivated, siteAdmin: query.siteAdmin },
      after,
      n + 1,
    );
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      users: page.map((r) => this.present(r)),
      nextCursor: rows.length > n && last ? encodeCursor([last.username.toLowerCase()]) : null,
    };
  }

  /**
   * Deactivates an account: it cannot sign in, every token of it (API tokens included) is
   * revoked and its sockets are closed on every node; bots it owns are deactivated with it.
   */
  async deactivate(actor: Actor, userId: string): Promise<void> {
    requireSiteAdmin(actor);
    const user = await this.target(userId);
    if (user.id === actor.user.id) throw conflict('you cannot deactivate your own account');
    if (user.deactivatedAt) return;
    if (user.siteAdmin && (await this.repos.users.countOtherActiveAdmins(user.id)) === 0) {
      throw conflict('the last site admin cannot be deactivated');
    }
    // All or nothing: a failure half-way must not leave bots or tokens working.
    const bots = await inTransaction(this.db, async (tx) => {
      await tx.users.setAdminState(user.id, { deactivatedAt: new Date() });
      // An imported account a site admin shut is no longer the owner's to claim.
      await tx.imports.forgetClaim(user.id);
      const botIds = await tx.users.deactivateBotsOf(user.id);
      for (const id of [user.id, ...botIds]) await tx.sessions.deleteAllForUser(id);
      await this.audit.record({ actorId: actor.user.id, action: 'user.deactivated', targetUserId: user.id, details: { bots: botIds } }, tx);
      return botIds;
    });
    for (const id of [user.id, ...bots]) this.publisher.revokeUser(id);
  }

  /** Lets a deactivated account sign in again (with a new login: its old tokens stay revoked). */
  async reactivate(actor: Actor, userId: string): Promise<void> {
    requireSiteAdmin(actor);
    const user = await this.target(userId);
    if (!user.deactivatedAt) return;
    await inTransaction(this.db, async (tx) => {
      await tx.users.setAdminState(user.id, { deactivatedAt: null });
      // A session opened while the deactivation ran must not come back to life.
      await tx.sessions.deleteAllForUser(user.id);
      await this.audit.record({ actorId: actor.user.id, action: 'user.reactivated', targetUserId: user.id }, tx);
    });
  }

  /** Grants or takes back the site admin role; the last active site admin keeps it. */
  async setSiteAdmin(actor: Actor, userId: string, siteAdmin: boolean): Promise<AdminUser> {
    requireSiteAdmin(actor);
    const user = await this.target(userId);
    if (user.siteAdmin === siteAdmin) return this.present(user);
    if (siteAdmin && (user.bot || user.deactivatedAt)) throw badRequest('only an active person can be a site admin');
    if (!siteAdmin && (await this.repos.users.countOtherActiveAdmins(user.id)) === 0) {
      throw conflict('the last site admin cannot step down');
    }
    const row = (await this.repos.users.setAdminState(user.id, { siteAdmin }))!;
    await this.audit.record({
      actorId: actor.user.id,
      action: siteAdmin ? 'user.site_admin_granted' : 'user.site_admin_revoked',
      targetUserId: user.id,
    });
    return this.present(row);
  }

  present(row: UserRow): AdminUser {
    return {
      user: presentUser(row, this.presence),
      deactivatedAt: row.deactivatedAt?.toISOString() ?? null,
      botOwnerId: row.botOwnerId,
      email: row.email,
    };
  }

  private async target(userId: string): Promise<UserRow> {
    const user = isUuid(userId) ? await this.repos.users.findById(userId) : null;
    if (!user) throw notFound('user');
    return user;
  }

  /** True for the one caller that records itself as the first site admin. */
  private async claimFirst(userId: string): Promise<boolean> {
    return (await this.repos.uploads.setting(FIRST_ADMIN_KEY, () => userId)) === userId;
  }

  private async grant(user: UserRow, via: string): Promise<UserRow> {
    const row = (await this.repos.users.setAdminState(user.id, { siteAdmin: true })) ?? user;
    this.logger.info({ userId: user.id, via }, 'site admin granted');
    await this.audit.record({ actorId: null, action: 'user.site_admin_granted', targetUserId: user.id, details: { via } });
    return row;
  }
}
