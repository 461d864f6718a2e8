import { AppError, badRequest, conflict, forbidden, notFound } from '../../core/errors.js';
import { cleanDisplayText } from '../../core/display-text.js';
import { clampLimit, decodeNameCursor, decodeTimeCursor, encodeCursor } from '../../core/cursor.js';
import { isUuid, newId } from '../../core/ids.js';
import { DEFAULT_CAPS } from '../../core/config.js';
import type { Db } from '../../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../../db/repositories/index.js';
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import type { MemberRow, Position, Role } from '../../db/repositories/members.repository.js';
import type { Conversation, Member } from '../../protocol/entities.js';
import type { Actor } from '../identity/identity.js';
import { isVisibleToAll, loadConversation, requireAdmin, requireMember, requireOwner } from '../shared/access.js';
import { refuseBlockedAdds } from './add-blocks.service.js';
import { requireSiteAdmin } from '../identity/identity.js';
import { appendEvent, memberPayload, type ConversationUpdatePayload, type EventPublisher } from '../shared/events.js';
import type { AuditService } from '../identity/audit.service.js';
import { presentConversation, presentMember, presentUser, type MessagePresenter, type UserView } from '../shared/presenters.js';


/**
 * Whether the caller may give `target` this role: only the owner may, the target must be a
 * member, and the owner cannot step down except by handing ownership over.
 */
function checkRoleChange(
  conv: ConversationRow,
  actorId: string,
  mine: MemberRow | null,
  target: MemberRow | null,
  role: Role,
): 'change' | 'unchanged' {
  requireOwner(requireMember(conv, mine));
  if (!target) throw notFound('member');
  if (target.userId === actorId) {
    if (role === 'owner') return 'unchanged';
    throw conflict('the owner must hand ownership to another member first');
  }
  return target.role === role ? 'unchanged' : 'change';
}

/** Whether the caller may remove `target`: themself (not the owner), or an admin a plain member, or the owner an admin. */
function checkRemoval(conv: ConversationRow, actorId: string, mine: MemberRow | null, target: MemberRow | null): void {
  const me = requireMember(conv, mine);
  if (target?.userId === actorId) {
    if (me.role === 'owner') throw conflict('the owner must hand ownership to another member before leaving');
    return;
  }
  requireAdmin(me);
  if (!target) throw notFound('member');
  if (target.role === 'owner' || (target.role === 'admin' && me.role !== 'owner')) {
    throw forbidden('only the owner may remove an admin');
  }
}

/** Groups, direct conversations, the inbox and membership. */
/** A group description's length in characters (code points, as GroupDescription's maxLength counts them). */
const GROUP_DESCRIPTION_MAX = 1000;

export class ConversationsService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'addBlocks' | 'bans' | 'conversations' | 'members' | 'messages' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly presence: UserView,
    private readonly messages: MessagePresenter,
    private readonly audit: AuditService,
    /** MAX_GROUPS_PER_OWNER: live groups one account may own. */
    private readonly maxGroupsPerOwner: number = DEFAULT_CAPS.MAX_GROUPS_PER_OWNER,
  ) {}

  /** Conversations as the viewer sees them (unread counts, read pointer, peer), in input order. */
  async view(viewerId: string, rows: readonly ConversationRow[]): Promise<Conversation[]> {
    const ids = rows.map((r) => r.id);
    const directIds = rows.filter((r) => r.kind === 'direct').map((r) => r.id);
    const [stats, peers] = await Promise.all([this.repos.conversations.viewerStats(viewerId, ids), this.repos.members.peers(viewerId, directIds)]);
    // A non-member (a public group's visitor) sees no message: history is members-only too.
    const lastIds = [...stats.values()].flatMap((s) => (s.lastMessageId ? [s.lastMessageId] : []));
    const lastRows = await this.repos.messages.findByIds(lastIds);
    const lastShown = await this.messages.present(lastRows, viewerId);
    const lastById = new Map(lastRows.map((m, i) => [m.id, lastShown[i]!]));
    return rows.map((row) => {
      const s = stats.get(row.id);
      const lastId = s?.lastMessageId;
      const peer = peers.get(row.id);
      return presentConversation(row, (lastId && lastById.get(lastId)) || null, {
        unreadCount: s?.unreadCount ?? 0,
        mentionCount: s?.mentionCount ?? 0,
        lastReadSeq: s?.lastReadSeq ?? 0,
        peer: peer ? presentUser(peer, this.presence) : null,
        // A non-member (a public group's visitor) sees what joining would give: the defaults.
        notifyLevel: s?.notifyLevel ?? 'default',
        muted: s?.notifyMuted ?? false,
      });
    });
  }

  private async viewOne(viewerId: string, row: ConversationRow): Promise<Conversation> {
    const [view] = await this.view(viewerId, [row]);
    return view!;
  }

  /**
   * Which of these conversations the caller is a member of (deleted ones included: they replay
   * their end), each with the first seq they may read (access.readFloor).
   */
  async readFloors(actor: Actor, conversationIds: readonly string[]): Promise<Map<string, number>> {
    return this.repos.members.readFloors(actor.user.id, conversationIds.filter(isUuid));
  }

  /** The last seq of each conversation the caller belongs to (a connection's starting point). */
  async positions(actor: Actor): Promise<Map<string, Position>> {
    return this.repos.members.positions(actor.user.id);
  }

  /** The user ids of a conversation's members now (a node routing events that came without their list). */
  async memberIds(conversationId: string): Promise<string[]> {
    return isUuid(conversationId) ? this.repos.members.userIds(conversationId) : [];
  }

  /** Where the user's membership of a conversation began: its member.joined seq, 0 for a founder, null for none. */
  async joinedSeq(actor: Actor, conversationId: string): Promise<number | null> {
    return isUuid(conversationId) ? this.repos.members.joinedSeq(conversationId, actor.user.id) : null;
  }

  async createGroup(
    actor: Actor,
    input: {
      name: string;
      description?: string | null;
      visibility?: 'public' | 'private';
      memberIds?: string[];
      postingPolicy?: ConversationRow['postingPolicy'];
      mentionAllPolicy?: ConversationRow['mentionAllPolicy'];
      historyVisibility?: ConversationRow['historyVisibility'];
    },
  ): Promise<Conversation> {
    const name = cleanDisplayText(input.name);
    if (!name) throw badRequest('name must not be blank');
    const others = [...new Set(input.memberIds ?? [])].filter((id) => id !== actor.user.id);
    const bad = others.filter((id) => !isUuid(id));
    const found = await this.repos.users.findByIds(others.filter(isUuid));
    if (bad.length || found.length !== others.length) {
      const known = new Set(found.map((u) => u.id));
      throw badRequest('memberIds names unknown users', { unknownUserIds: others.filter((id) => !known.has(id)) });
    }
    await refuseBlockedAdds(this.repos, others, actor.user.id);
    const id = newId();
    const row = await inTransaction(this.db, async (tx) => {
      await tx.members.lockOwner(actor.user.id);
      if ((await tx.members.countOwnedGroups(actor.user.id)) >= this.maxGroupsPerOwner) {
        throw new AppError('group_limit_reached', `one account may own at most ${this.maxGroupsPerOwner} groups; delete one or hand one over first`, {
          max: this.maxGroupsPerOwner,
        });
      }
      const conv = await tx.conversations.insert({
        id,
        kind: 'group',
        name,
        description: input.description?.trim() || null,
        visibility: input.visibility ?? 'private',
        memberCount: 1 + others.length,
        ...(input.postingPolicy ? { postingPolicy: input.postingPolicy } : {}),
        ...(input.mentionAllPolicy ? { mentionAllPolicy: input.mentionAllPolicy } : {}),
        ...(input.historyVisibility ? { historyVisibility: input.historyVisibility } : {}),
      });
      await tx.members.insertMany([
        { conversationId: id, userId: actor.user.id, role: 'owner' },
        ...others.map((userId) => ({ conversationId: id, userId, role: 'member' as const, addedBy: actor.user.id })),
      ]);
      return conv;
    });
    const view = await this.viewOne(actor.user.id, row);
    // A new group has no event yet: its founders' open clients learn of it from this frame.
    this.publisher.ephemeral({ type: 'conversation.created', conversation: view }, [actor.user.id, ...others]);
    return view;
  }

  async getGroup(actor: Actor, id: string): Promise<Conversation> {
    const conv = await loadConversation(this.repos, id, 'group');
    if (!isVisibleToAll(conv) && !actor.user.siteAdmin && !(await this.repos.members.find(conv.id, actor.user.id))) {
      throw notFound('conversation');
    }
    return this.viewOne(actor.user.id, conv);
  }

  async getConversation(actor: Actor, id: string): Promise<Conversation> {
    const conv = await loadConversation(this.repos, id);
    requireMember(conv, await this.repos.members.find(conv.id, actor.user.id));
    return this.viewOne(actor.user.id, conv);
  }

  async listGroups(
    actor: Actor,
    query: { scope?: 'mine' | 'public' | 'all'; q?: string; cursor?: string; limit?: number },
  ): Promise<{ groups: Conversation[]; nextCursor: string | null }> {
    const n = clampLimit(query.limit);
    const after = query.cursor ? decodeNameCursor(query.cursor) : null;
    if (query.scope === 'all') requireSiteAdmin(actor);
    const rows = await this.repos.conversations.listGroups(
      query.scope === 'public' || query.scope === 'all' ? query.scope : { mine: actor.user.id },
      (query.q ?? '').trim(),
      after,
      n + 1,
    );
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      groups: await this.view(actor.user.id, page),
      nextCursor: rows.length > n && last ? encodeCursor([(last.name ?? '').toLowerCase(), last.id]) : null,
    };
  }

  async patchGroup(
    actor: Actor,
    id: string,
    patch: {
      name?: string;
      description?: string | null;
      visibility?: 'public' | 'private';
      postingPolicy?: ConversationRow['postingPolicy'];
      mentionAllPolicy?: ConversationRow['mentionAllPolicy'];
      retentionDays?: number | null;
      historyVisibility?: ConversationRow['historyVisibility'];
    },
  ): Promise<Conversation> {
    const conv = await loadConversation(this.repos, id, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    const changes: Partial<Pick<ConversationRow, 'name' | 'description' | 'visibility' | 'postingPolicy' | 'mentionAllPolicy' | 'retentionDays' | 'historyVisibility'>> = {};
    if (patch.name !== undefined) {
      const name = cleanDisplayText(patch.name);
      if (!name) throw badRequest('name must not be blank');
      if (name !== conv.name) changes.name = name;
    }
    if (patch.description !== undefined) {
      const description = patch.description?.trim() || null;
      // Also for callers that skip the route's schema (the /topic command).
      if (description !== null && [...description].length > GROUP_DESCRIPTION_MAX) {
        throw badRequest(`description is longer than ${GROUP_DESCRIPTION_MAX} characters`, { field: 'description' });
      }
      if (description !== conv.description) changes.description = description;
    }
    if (patch.visibility !== undefined && patch.visibility !== conv.visibility) changes.visibility = patch.visibility;
    if (patch.postingPolicy !== undefined && patch.postingPolicy !== conv.postingPolicy) changes.postingPolicy = patch.postingPolicy;
    if (patch.mentionAllPolicy !== undefined && patch.mentionAllPolicy !== conv.mentionAllPolicy) changes.mentionAllPolicy = patch.mentionAllPolicy;
    if (patch.retentionDays !== undefined && patch.retentionDays !== conv.retentionDays) changes.retentionDays = patch.retentionDays;
    if (patch.historyVisibility !== undefined && patch.historyVisibility !== conv.historyVisibility) changes.historyVisibility = patch.historyVisibility;
    if (Object.keys(changes).length === 0) return this.viewOne(actor.user.id, conv);
    const event = await inTransaction(this.db, async (tx) => {
      // Who and what, kept for the timeline's system lines ("Alice renamed the group to …");
      // retention is left out: it is shown in the settings, not announced.
      const { retentionDays: _retention, ...announced } = changes;
      const ev = await appendEvent(tx, conv.id, 'conversation.updated', { payload: { by: actor.user.id, changes: announced } satisfies ConversationUpdatePayload });
      if (!ev) throw notFound('group');
      requireAdmin(requireMember(conv, await tx.members.find(conv.id, actor.user.id)));
      await tx.conversations.update(conv.id, changes);
      return ev;
    });
    await this.publisher.publish([event]);
    return this.viewOne(actor.user.id, (await this.repos.conversations.findById(conv.id)) ?? conv);
  }

  /** The owner deletes the group; so may a site admin, any group, member or not (the contract's decision of 2026-12-04). */
  async deleteGroup(actor: Actor, id: string): Promise<void> {
    const conv = await loadConversation(this.repos, id, 'group');
    const siteAdmin = actor.user.siteAdmin;
    if (!siteAdmin) requireOwner(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    const event = await inTransaction(this.db, async (tx) => {
      const ev = await appendEvent(tx, conv.id, 'conversation.deleted', {});
      if (!ev) throw notFound('group');
      if (!siteAdmin) requireOwner(requireMember(conv, await tx.members.find(conv.id, actor.user.id)));
      await tx.conversations.markDeleted(conv.id);
      // Its webhooks go (their queued deliveries with them): nothing more leaves a deleted group.
      await tx.webhooks.deleteForConversation(conv.id);
      await this.audit.record({ actorId: actor.user.id, action: 'group.deleted', conversationId: conv.id, details: { name: conv.name } }, tx);
      return ev;
    });
    // Member rows outlive the soft delete, so the members hear of it.
    await this.publisher.publish([event]);
  }

  async listMembers(actor: Actor, id: string, cursor: string | undefined, limit: number | undefined): Promise<{ members: Member[]; nextCursor: string | null }> {
    const conv = await loadConversation(this.repos, id, 'group');
    // Site admins see every group's members.
    if (!actor.user.siteAdmin) requireMember(conv, await this.repos.members.find(conv.id, actor.user.id));
    const n = clampLimit(limit);
    const key = cursor ? decodeTimeCursor(cursor) : null;
    const after = key ? { at: key.at, userId: key.id } : null;
    const rows = await this.repos.members.list(conv.id, after, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      members: page.map((r) => presentMember(r.member, r.user, this.presence)),
      nextCursor: rows.length > n && last ? encodeCursor([last.member.joinedAt.toISOString(), last.user.id]) : null,
    };
  }

  /** Adds a member (an admin adding anyone, or a user joining a public group). */
  async addMember(actor: Actor, id: string, userId: string): Promise<{ member: Member; created: boolean }> {
    const conv = await loadConversation(this.repos, id, 'group');
    const self = userId === actor.user.id;
    const mine = await this.repos.members.find(conv.id, actor.user.id);
    if (!self) requireAdmin(requireMember(conv, mine));
    else if (!mine && !isVisibleToAll(conv)) throw notFound('conversation');
    const user = isUuid(userId) ? await this.repos.users.findById(userId) : null;
    if (!user) throw notFound('user');
    const existing = await this.repos.members.find(conv.id, userId);
    if (existing) return { member: presentMember(existing, user, this.presence), created: false };
    await this.refuseBanned(conv.id, userId, self);
    if (!self) await refuseBlockedAdds(this.repos, [userId], actor.user.id);

    const result = await inTransaction<{ row: MemberRow; event: EventRow }, null>(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(conv.id);
      if (seq === null) throw notFound('group');
      // A ban takes the conversation's lock too: one made meanwhile has committed by now.
      await this.refuseBanned(conv.id, userId, self, tx);
      if (!self) await refuseBlockedAdds(tx, [userId], actor.user.id);
      // A mute outlives leaving: rejoining does not lift it.
      const mutedUntil = await tx.mutes.activeUntil(conv.id, userId);
      const addedBy = self ? null : actor.user.id;
      const [row] = await tx.members.insertMany([{ conversationId: conv.id, userId, role: 'member', joinedSeq: seq, mutedUntil, addedBy }]);
      // Joined concurrently: undo the seq taken, so no hole is left.
      if (!row) throw new Rollback(null);
      await tx.conversations.addMemberCount(conv.id, 1);
      const event = await appendEvent(tx, conv.id, 'member.joined', { seq, payload: memberPayload(row) });
      return { row, event: event! };
    });
    if (!result) {
      const now = await this.repos.members.find(conv.id, userId);
      if (!now) throw conflict('membership changed concurrently; try again');
      return { member: presentMember(now, user, this.presence), created: false };
    }
    await this.publisher.publish([result.event]);
    return { member: presentMember(result.row, user, this.presence), created: true };
  }

  /** The owner changes a member's role; "owner" hands ownership over and makes the caller an admin. */
  async setRole(actor: Actor, id: string, userId: string, role: Role): Promise<Member> {
    const conv = await loadConversation(this.repos, id, 'group');
    const mine = await this.repos.members.find(conv.id, actor.user.id);
    const target = isUuid(userId) ? await this.repos.members.findWithUser(conv.id, userId) : null;
    if (checkRoleChange(conv, actor.user.id, mine, target?.member ?? null, role) === 'unchanged') {
      return presentMember(target!.member, target!.user, this.presence);
    }
    const result = await inTransaction<{ events: EventRow[]; member: MemberRow }, { member: MemberRow }>(this.db, async (tx) => {
      // The conversation row first (as every seq-taking transaction does), then the checks again
      // on rows nobody can change under us until commit.
      if (!(await tx.conversations.lock(conv.id))) throw notFound('group');
      const nowTarget = await tx.members.find(conv.id, userId);
      const verdict = checkRoleChange(conv, actor.user.id, await tx.members.find(conv.id, actor.user.id), nowTarget, role);
      if (verdict === 'unchanged') throw new Rollback({ member: nowTarget! });
      const events: EventRow[] = [];
      // The owner cannot be muted: handing ownership to a muted member lifts the mute.
      if (role === 'owner' && nowTarget!.mutedUntil) {
        await tx.mutes.clear(conv.id, userId);
        await tx.members.setMute(conv.id, userId, null);
      }
      const updated = (await tx.members.setRole(conv.id, userId, role))!;
      events.push((await appendEvent(tx, conv.id, 'member.updated', { payload: memberPayload(updated, undefined, { by: actor.user.id, previousRole: nowTarget!.role }) }))!);
      if (role === 'owner') {
        // Only the owner hands ownership over.
        const me = (await tx.members.setRole(conv.id, actor.user.id, 'admin'))!;
        events.push((await appendEvent(tx, conv.id, 'member.updated', { payload: memberPayload(me, undefined, { by: actor.user.id, previousRole: 'owner' }) }))!);
      }
      await this.audit.record(
        { actorId: actor.user.id, action: 'member.role_changed', targetUserId: userId, conversationId: conv.id, details: { from: nowTarget!.role, to: role } },
        tx,
      );
      return { events, member: updated };
    });
    if ('events' in result) await this.publisher.publish(result.events);
    return presentMember(result.member, target!.user, this.presence);
  }

  /**
   * A member leaves, or an admin removes a member (the owner may remove admins too). Leaving with
   * `blockAdder`, the member also refuses further group adds by whoever added them.
   */
  async removeMember(actor: Actor, id: string, userId: string, opts: { blockAdder?: boolean } = {}): Promise<void> {
    if (opts.blockAdder && userId !== actor.user.id) throw badRequest('blockAdder is for leaving yourself');
    const conv = await loadConversation(this.repos, id, 'group');
    const target = isUuid(userId) ? await this.repos.members.find(conv.id, userId) : null;
    checkRemoval(conv, actor.user.id, await this.repos.members.find(conv.id, actor.user.id), target);
    const event = await inTransaction(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(conv.id);
      if (seq === null) throw notFound('group');
      // Checked again under the conversation's lock: roles may have changed since.
      const nowTarget = await tx.members.find(conv.id, userId);
      checkRemoval(conv, actor.user.id, await tx.members.find(conv.id, actor.user.id), nowTarget);
      const removed = (await tx.members.delete(conv.id, userId))!;
      if (opts.blockAdder && removed.addedBy && removed.addedBy !== userId) await tx.addBlocks.insert(userId, removed.addedBy);
      await tx.conversations.addMemberCount(conv.id, -1);
      const byAdmin = userId !== actor.user.id;
      if (byAdmin) await this.audit.record({ actorId: actor.user.id, action: 'member.removed', targetUserId: userId, conversationId: conv.id }, tx);
      return (await appendEvent(tx, conv.id, 'member.left', { seq, payload: byAdmin ? memberPayload(removed, 'removed', { by: actor.user.id }) : memberPayload(removed) }))!;
    });
    await this.publisher.publish([event], [userId]);
  }

  /** A banned user may not join (403) nor be added (409: lift the ban first). */
  private async refuseBanned(conversationId: string, userId: string, self: boolean, repos: Pick<Repositories, 'addBlocks' | 'bans'> = this.repos): Promise<void> {
    if (!(await repos.bans.exists(conversationId, userId))) return;
    if (self) throw forbidden('you are banned from this group');
    throw conflict('this user is banned from the group; lift the ban first');
  }

  /**
   * The one direct conversation of the caller and another user: created when absent.
   * `beforeCreate` runs (and may throw, e.g. a rate limit) only when a new one is about to be made.
   */
  async openDirect(actor: Actor, userId: string, beforeCreate?: () => Promise<void>): Promise<{ conversation: Conversation; created: boolean }> {
    if (userId === actor.user.id) throw badRequest('a direct conversation needs another user');
    const peer = isUuid(userId) ? await this.repos.users.findById(userId) : null;
    if (!peer) throw notFound('user');
    const key = [actor.user.id, userId].sort().join(':');
    let row = await this.repos.conversations.findByDirectKey(key);
    let created = false;
    if (!row) {
      await beforeCreate?.();
      const made = await inTransaction<ConversationRow | null>(this.db, async (tx) => {
        const conv = await tx.conversations.insertDirect({ id: newId(), kind: 'direct', directKey: key, memberCount: 2 });
        if (!conv) return null;
        await tx.members.insertMany([
          { conversationId: conv.id, userId: actor.user.id, role: 'member' },
          { conversationId: conv.id, userId, role: 'member' },
        ]);
        return conv;
      });
      created = made !== null;
      // Created by the other side at the same moment: read theirs, now committed.
      row = made ?? (await this.repos.conversations.findByDirectKey(key));
      if (!row) throw new AppError('conflict', 'the conversation changed concurrently; try again');
    }
    return { conversation: await this.viewOne(actor.user.id, row), created };
  }

  async inbox(actor: Actor, cursor: string | undefined, limit: number | undefined): Promise<{ conversations: Conversation[]; nextCursor: string | null }> {
    const n = clampLimit(limit);
    const after = cursor ? decodeTimeCursor(cursor) : null;
    const rows = await this.repos.conversations.listForUser(actor.user.id, after, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      conversations: await this.view(actor.user.id, page),
      nextCursor: rows.length > n && last ? encodeCursor([last.lastActivityAt.toISOString(), last.id]) : null,
    };
  }
}
