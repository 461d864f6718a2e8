import { randomBytes } from 'node:crypto';
import { clampLimit, decodeTimeCursor, encodeCursor } from '../../core/cursor.js';
import { notFound } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { InviteRow } from '../../db/repositories/invites.repository.js';
import type { Invite } from '../../protocol/rest-signup.js';
import { hashToken, type Actor } from './identity.js';
import { type AuditService } from './audit.service.js';
import { requireSiteAdmin } from './identity.js';

export const DEFAULT_INVITE_HOURS = 168;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentInvite(row: InviteRow): Invite {
  return {
    id: row.id,
    expiresAt: iso(row.expiresAt),
    maxUses: row.maxUses,
    uses: row.uses,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    revokedAt: iso(row.revokedAt),
  };
}

/** The link a new user opens: the web client's sign-up form with the code filled in. */
export const inviteUrl = (publicUrl: string, code: string): string => `${publicUrl.replace(/\/+$/, '')}/#/invite/${code}`;

/** Invite links for invite-only sign-up: created, listed and revoked by site admins. */
export class InvitesService {
  constructor(
    private readonly repos: Pick<Repositories, 'invites'>,
    private readonly audit: AuditService,
    private readonly publicUrl: string,
  ) {}

  /** A new invite; its code (192 random bits, stored only as SHA-256) is returned only here. */
  async create(actor: Actor, input: { expiresInHours?: number; maxUses?: number | null }): Promise<Invite & { code: string; url: string }> {
    requireSiteAdmin(actor);
    const code = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + (input.expiresInHours ?? DEFAULT_INVITE_HOURS) * 3_600_000);
    const row = await this.repos.invites.create({
      id: newId(),
      tokenHash: hashToken(code),
      createdBy: actor.user.id,
      expiresAt,
      maxUses: input.maxUses ?? null,
    });
    await this.audit.record({
      actorId: actor.user.id,
      action: 'invite.created',
      details: { inviteId: row.id, expiresAt: expiresAt.toISOString(), maxUses: row.maxUses },
    });
    return { ...presentInvite(row), code, url: inviteUrl(this.publicUrl, code) };
  }

  /** Every invite, newest first (without codes: they are not stored). */
  async list(actor: Actor, cursor: string | undefined, limit: number | undefined): Promise<{ invites: Invite[]; nextCursor: string | null }> {
    requireSiteAdmin(actor);
    const n = clampLimit(limit);
    const rows = await this.repos.invites.listNewest(cursor ? decodeTimeCursor(cursor) : null, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      invites: page.map(presentInvite),
      nextCursor: rows.length > n && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }

  /** Revokes an invite: it admits nobody from now on (idempotent). */
  async revoke(actor: Actor, id: string): Promise<void> {
    requireSiteAdmin(actor);
    const before = isUuid(id) ? await this.repos.invites.revoke(id) : null;
    if (!before) throw notFound('invite');
    await this.audit.record({ actorId: actor.user.id, action: 'invite.revoked', details: { inviteId: id } });
  }

  /** For the public sign-up page: whether a code can still admit someone (404 otherwise). */
  async check(code: string): Promise<{ valid: true; expiresAt: string | null }> {
    const row = await this.repos.invites.findUsable(hashToken(code));
    if (!row) throw notFound('invite');
    return { valid: true, expiresAt: iso(row.expiresAt) };
  }
}
