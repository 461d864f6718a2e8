import { badRequest, forbidden, notFound } from '../../core/errors.js';
import { clampLimit, decodeTimeCursor, encodeCursor } from '../../core/cursor.js';
import { isUuid } from '../../core/ids.js';
import type { Db } from '../../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../../db/repositories/index.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import type { MemberRow } from '../../db/repositories/members.repository.js';
import type { Ban } from '../../protocol/entities.js';
import type { Actor } from '../identity/identity.js';
import { loadConversation, requireAdmin, requireMember } from '../shared/access.js';
import type { AuditService } from '../identity/audit.service.js';
import { appendEvent, memberPayload, type EventPublisher } from '../shared/events.js';
import { presentUser, type UserView } from '../shared/presenters.js';

/** The latest a mute may last: what a timestamptz and a JS Date both hold. */
const MAX_MUTE_UNTIL = Date.UTC(9999, 11, 31);

/**
 * Whether an admin may mute or ban `target`: never themself or the owner, and an admin only
 * when the caller is the owner (as with removals).
 */
function checkModeration(actorId: string, me: MemberRow, targetUserId: string, target: MemberRow | null): void {
  requireAdmin(me);
  if (targetUserId === actorId) throw badRequest('you cannot do this to yourself');
  if (target?.role === 'owner') throw forbidden('the owner cannot be muted or banned');
  if (target?.role === 'admin' && me.role !== 'owner') throw forbidden('only the owner may mute or ban an admin');
}

function parseUntil(until: string): Date {
  const at = new Date(until);
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw badRequest('until must be an ISO 8601 date-time with a zone', { field: 'until' });
  if (ms <= Date.now()) throw badRequest('until must be in the future', { field: 'until' });
  if (ms > MAX_MUTE_UNTIL) throw badRequest('until is too far in the future', { field: 'until' });
  return at;
}

/** Group moderation by admins: mutes (no sending for a time) and bans (removed, cannot rejoin). */
export class ModerationService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'bans' | 'conversations' | 'members' | 'messages' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly presence: UserView,
  ) {}

  /** Mutes a member until a time (a member.updated event shows it); muting again moves the time. */
  async mute(actor: Actor, groupId: string, userId: string, until: string): Promise<void> {
    const at = parseUntil(until);
    await this.changeMute(actor, groupId, userId, at);
  }

  /** Lifts a mute; a member not muted is left alone. */
  async unmute(actor: Actor, groupId: string, userId: string): Promise<void> {
    await this.changeMute(actor, groupId, userId, null);
  }

  /**
   * Bans a user from a group: a member is removed (member.left with reason "banned"), and
   * nobody may add them back nor may they rejoin until the ban is lifted. Banning again is a no-op.
   */
  async ban(actor: Actor, groupId: string, userId: string): Promise<void> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    const me = requireMember(conv, await this.repos.members.find(conv.id, actor.user.id));
    const user = isUuid(userId) ? await this.repos.users.findById(userId) : null;
    if (!user) throw notFound('user');
    checkModeration(actor.user.id, me, userId, await this.repos.members.find(conv.id, userId));
    const event = await inTransaction<EventRow | null>(this.db, async (tx) => {
      // The conversation row first, as every seq-taking transaction does; then the checks again
      // on rows nobody can change under us until commit.
      if (!(await tx.conversations.lock(conv.id))) throw notFound('group');
      const target = await tx.members.find(conv.id, userId);
      checkModeration(actor.user.id, requireMember(conv, await tx.members.find(conv.id, actor.user.id)), userId, target);
      const banned = await tx.bans.insert({ conversationId: conv.id, userId, bannedBy: actor.user.id });
      let ev: EventRow | null = null;
      if (target) {
        const removed = (await tx.members.delete(conv.id, userId))!;
        await tx.conversations.addMemberCount(conv.id, -1);
        ev = await appendEvent(tx, conv.id, 'member.left', { payload: memberPayload(removed, 'banned', { by: actor.user.id }) });
      }
      if (banned || ev) {
        await this.audit.record({ actorId: actor.user.id, action: 'member.banned', targetUserId: userId, conversationId: conv.id, details: { wasMember: ev !== null } }, tx);
      }
      return ev;
    });
    if (event) await this.publisher.publish([event], [userId]);
  }

  /** Lifts a ban (the user is not added back: they may join a public group again, or be added). */
  async unban(actor: Actor, groupId: string, userId: string): Promise<void> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    if (!isUuid(userId)) throw notFound('user');
    if (await this.repos.bans.delete(conv.id, userId)) {
      await this.audit.record({ actorId: actor.user.id, action: 'member.unbanned', targetUserId: userId, conversationId: conv.id });
    }
  }

  async listBans(actor: Actor, groupId: string, cursor: string | undefined, limit: number | undefined): Promise<{ bans: Ban[]; nextCursor: string | null }> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    const n = clampLimit(limit);
    const key = cursor ? decodeTimeCursor(cursor) : null;
    const rows = await this.repos.bans.list(conv.id, key ? { at: key.at, userId: key.id } : null, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      bans: page.map((r) => ({ user: presentUser(r.user, this.presence), bannedBy: r.ban.bannedBy, createdAt: r.ban.createdAt.toISOString() })),
      nextCursor: rows.length > n && last ? encodeCursor([last.ban.createdAt.toISOString(), last.user.id]) : null,
    };
  }

  private async changeMute(actor: Actor, groupId: string, userId: string, until: Date | null): Promise<void> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    const me = requireMember(conv, await this.repos.members.find(conv.id, actor.user.id));
    const found = isUuid(userId) ? await this.repos.members.find(conv.id, userId) : null;
    checkModeration(actor.user.id, me, userId, found);
    if (!found) throw notFound('member');
    const isMuted = (m: MemberRow): boolean => m.mutedUntil !== null && m.mutedUntil.getTime() > Date.now();
    if (until === null && !isMuted(found)) return;
    const event = await inTransaction<EventRow, null>(this.db, async (tx) => {
      if (!(await tx.conversations.lock(conv.id))) throw notFound('group');
      const target = await tx.members.find(conv.id, userId);
      checkModeration(actor.user.id, requireMember(conv, await tx.members.find(conv.id, actor.user.id)), userId, target);
      if (!target) throw notFound('member');
      if (until === null && !isMuted(target)) throw new Rollback(null);
      if (until) await tx.mutes.set(conv.id, userId, until, actor.user.id);
      else await tx.mutes.clear(conv.id, userId);
      const updated = (await tx.members.setMute(conv.id, userId, until))!;
      const ev = (await appendEvent(tx, conv.id, 'member.updated', { payload: memberPayload(updated, undefined, { by: actor.user.id }) }))!;
      await this.audit.record(
        {
          actorId: actor.user.id,
          action: until ? 'member.muted' : 'member.unmuted',
          targetUserId: userId,
          conversationId: conv.id,
          details: until ? { until: until.toISOString() } : {},
        },
        tx,
      );
      return ev;
    });
    if (event) await this.publisher.publish([event]);
  }
}
