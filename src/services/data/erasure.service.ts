/**
 * Account erasure (the right to be forgotten): by the user (DELETE /users/me) or a site admin.
 * One transaction removes every credential, link and file row and anonymizes the user row, so
 * a crash leaves the account either whole or erased; files and (on request) the user's
 * messages go after it, each step safe to run again.
 */
import { verify } from '@node-rs/argon2';
import { AppError, badRequest, conflict, forbidden, notFound } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { sameUsername } from '../../core/username.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import { ErasureRepository } from '../../db/repositories/erasure.repository.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import { RetentionRepository } from '../../db/repositories/retention.repository.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { Actor } from '../identity/identity.js';
import { type AuditService } from '../identity/audit.service.js';
import { requireSiteAdmin } from '../identity/identity.js';
import { removeUnusedBlobs } from '../files/blob-cleanup.js';
import { appendEvent, memberPayload, type EventPublisher } from '../shared/events.js';
import type { UserView } from '../shared/presenters.js';
import { announceUser } from '../identity/user-updates.js';

/** Messages tombstoned per transaction with `deleteMessages`. */
const MESSAGE_BATCH = 200;

export interface EraseOptions {
  /** Also turn every message the user sent into a tombstone (with message.deleted events). */
  deleteMessages?: boolean;
}

/** "deleted-" and a part of the id: unique, and frees the old username. */
export function erasedUsername(userId: string, long = false): string {
  const hex = userId.replace(/-/g, '');
  return `deleted-${long ? hex.slice(8) : hex.slice(-12)}`;
}

export class ErasureService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'audit' | 'events' | 'members' | 'messages' | 'threads' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    /** Presents the erased account in the user.updated frame. */
    private readonly view: UserView,
  ) {}

  /**
   * The caller erases their own account: confirmed with their password, or (an account without
   * one) with their username in `confirm`. 403 when it does not match.
   */
  async eraseSelf(actor: Actor, input: { password?: string; confirm?: string } & EraseOptions): Promise<void> {
    const user = actor.user;
    if (user.passwordHash) {
      if (input.password === undefined) throw badRequest('password is required to delete your account', { field: 'password' });
      if (!(await verify(user.passwordHash, input.password))) throw new AppError('wrong_password', 'the password is wrong');
    } else {
      if (input.confirm === undefined) throw badRequest('confirm with your username to delete your account', { field: 'confirm' });
      if (!sameUsername(input.confirm, user.username)) throw forbidden('confirm does not match your username');
    }
    await this.erase(user.id, actor.user.id, 'self', input);
  }

  /** A site admin erases an account (audited `user.erased`); the bots it owns are erased with it. */
  async eraseByAdmin(actor: Actor, userId: string, options: EraseOptions): Promise<void> {
    requireSiteAdmin(actor);
    if (!isUuid(userId)) throw notFound('user');
    await this.erase(userId, actor.user.id, 'admin', options);
  }

  private async erase(userId: string, actorId: string, by: 'self' | 'admin', options: EraseOptions): Promise<void> {
    const outcome = await inTransaction(this.db, async (repos, tx) => {
      const er = new ErasureRepository(tx);
      const user = await er.lockUser(userId);
      if (!user) throw notFound('user');
      // Erased already: nothing more to do (but finish deleting its messages if asked).
      if (user.erasedAt) {
        return { user, erasedIds: [] as string[], events: new Map<string, EventRow[]>(), audiences: new Map<string, string[]>(), sha256s: [] as string[], already: true };
      }
      if (user.siteAdmin && (await repos.users.countOtherActiveAdmins(user.id)) === 0) {
        throw conflict(by === 'self' ? 'the last site admin cannot delete their account' : 'the last site admin cannot be erased');
      }
      const bots = await er.botsOf(user.id);
      // Who knows these accounts, before they leave their groups: told of the erasure after commit.
      const audiences = new Map<string, string[]>();
      for (const id of [...bots, user.id]) audiences.set(id, await repos.members.coMembers(id));
      const events = new Map<string, EventRow[]>();
      const sha256s: string[] = [];
      // Bots first: they leave their groups before their owner, who then never hands a group to one.
      for (const id of [...bots, user.id]) {
        await er.deleteCredentialsAndLinks(id);
        await this.leaveGroups(repos, er, id, actorId, events);
        sha256s.push(...(await er.deleteUploads(id)).sha256s);
        const taken = await er.usernameTaken(erasedUsername(id), id);
        await er.anonymize(id, erasedUsername(id, taken));
      }
      await this.audit.record(
        { actorId, action: 'user.erased', targetUserId: user.id, details: { by, bots, deleteMessages: options.deleteMessages === true } },
        repos,
      );
      return { user, erasedIds: [...bots, user.id], events, audiences, sha256s, already: false };
    });
    // Every node closes the sockets (their tokens are gone already).
    for (const id of outcome.erasedIds) this.publisher.revokeUser(id);
    for (const rows of outcome.events.values()) await this.publisher.publish(rows);
    for (const [id, audience] of outcome.audiences) {
      const row = await this.repos.users.findById(id);
      if (row) await announceUser({ repos: this.repos, publisher: this.publisher, view: this.view, logger: this.logger }, row, audience);
    }
    if (!outcome.already) this.logger.info({ userId, by, bots: outcome.erasedIds.length - 1 }, 'account erased');
    const files = await removeUnusedBlobs(this.db, this.blobs, outcome.sha256s, this.logger);
    if (options.deleteMessages) {
      const ids = outcome.already ? [userId] : outcome.erasedIds;
      let messages = 0;
      for (const id of ids) messages += await this.deleteMessagesOf(id);
      this.logger.info({ userId, messages }, 'erased account: messages deleted');
    }
    if (files > 0) this.logger.info({ userId, files }, 'erased account: files removed');
  }

  /**
   * Leaves every group (member.left, reason "erased"): an owner first hands the group to its
   * longest-standing admin, else member; a group left empty is deleted.
   */
  private async leaveGroups(repos: Pick<Repositories, 'audit' | 'conversations' | 'events' | 'members' | 'messages' | 'mutes' | 'threads' | 'users' | 'webhooks'>, er: ErasureRepository, userId: string, actorId: string, events: Map<string, EventRow[]>): Promise<void> {
    for (const m of await er.groupMemberships(userId)) {
      const out = events.get(m.conversationId) ?? [];
      const seq = m.deleted ? null : await repos.conversations.takeSeq(m.conversationId);
      if (seq === null) {
        // A deleted group: nobody hears of it any more; the row just goes.
        if (await repos.members.delete(m.conversationId, userId)) await repos.conversations.addMemberCount(m.conversationId, -1);
        continue;
      }
      const heir = m.role === 'owner' ? await er.successor(m.conversationId, userId) : null;
      if (heir) {
        // The owner cannot be muted: inheriting the group lifts a mute, as a handover does.
        await repos.mutes.clear(m.conversationId, heir);
        await repos.members.setMute(m.conversationId, heir, null);
        const promoted = (await repos.members.setRole(m.conversationId, heir, 'owner'))!;
        out.push((await appendEvent(repos, m.conversationId, 'member.updated', { seq, payload: memberPayload(promoted) }))!);
      }
      const removed = (await repos.members.delete(m.conversationId, userId))!;
      await repos.conversations.addMemberCount(m.conversationId, -1);
      out.push((await appendEvent(repos, m.conversationId, 'member.left', { seq: heir ? undefined : seq, payload: memberPayload(removed, 'erased') }))!);
      if (m.role === 'owner' && !heir) {
        out.push((await appendEvent(repos, m.conversationId, 'conversation.deleted', {}))!);
        await repos.conversations.markDeleted(m.conversationId);
        await repos.webhooks.deleteForConversation(m.conversationId);
        await this.audit.record({ actorId, action: 'group.deleted', conversationId: m.conversationId, details: { reason: 'owner erased' } }, repos);
      }
      events.set(m.conversationId, out);
    }
  }

  /** Tombstones every message a user sent, a batch per transaction, with message.deleted events. */
  private async deleteMessagesOf(senderId: string): Promise<number> {
    let after: { conversationId: string; seq: number } | null = null;
    let total = 0;
    for (;;) {
      const batch = await new RetentionRepository(this.db).sentBy(senderId, after, MESSAGE_BATCH);
      if (batch.length === 0) return total;
      const last = batch[batch.length - 1]!;
      after = { conversationId: last.conversationId, seq: last.seq };
      const byConversation = new Map<string, string[]>();
      for (const m of batch) byConversation.set(m.conversationId, [...(byConversation.get(m.conversationId) ?? []), m.id]);
      const published = await inTransaction(this.db, async (repos, tx) => {
        const retention = new RetentionRepository(tx);
        const out: EventRow[][] = [];
        const sha256s: string[] = [];
        for (const [conversationId, ids] of [...byConversation].sort(([a], [b]) => a.localeCompare(b))) {
          // The conversation's lock first, as every seq-taking write takes it: no deadlock with a delete.
          const live = await repos.conversations.lock(conversationId);
          const done = await retention.tombstone(ids);
          sha256s.push(...done.sha256s);
          total += done.ids.length;
          if (!live) continue;
          const rows: EventRow[] = [];
          for (const messageId of done.ids) rows.push((await appendEvent(repos, conversationId, 'message.deleted', { messageId }))!);
          if (rows.length) out.push(rows);
        }
        return { out, sha256s };
      });
      for (const rows of published.out) await this.publisher.publish(rows);
      await removeUnusedBlobs(this.db, this.blobs, published.sha256s, this.logger);
      if (batch.length < MESSAGE_BATCH) return total;
    }
  }
}

