/** Pinned messages: who may pin (group admins; either member of a direct conversation), the limit, their events. */
import { AppError, conflict, forbidden, notFound } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { Db } from '../../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../../db/repositories/index.js';
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import type { MemberRow } from '../../db/repositories/members.repository.js';
import type { ConversationEvent } from '../../protocol/events.js';
import type { Pin } from '../../protocol/pins.js';
import { MAX_PINS } from '../../protocol/limits.js';
import type { Actor } from '../identity/identity.js';
import { isAdmin, loadMembership, readFloor } from '../shared/access.js';
import { appendEvent, type EventPublisher } from '../shared/events.js';
import type { MessagePresenter } from '../shared/presenters.js';

function requireMayPin(conv: ConversationRow, member: MemberRow): void {
  if (conv.kind === 'group' && !isAdmin(member)) throw forbidden('only a group admin or the owner may pin messages');
}

export class PinsService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'pins'>,
    private readonly publisher: EventPublisher,
    private readonly view: MessagePresenter,
  ) {}

  /** Pins a message of the conversation (idempotent): message.pinned, unless it already was. */
  async pin(actor: Actor, conversationId: string, messageId: string): Promise<void> {
    await this.change(actor, conversationId, messageId, async (tx, conv, seq) => {
      const message = await tx.messages.findById(messageId);
      if (!message || message.conversationId !== conv.id) throw notFound('message');
      if (message.deletedAt) throw conflict('the message was deleted');
      // The pin and its event share one time: a client that keeps pins from events shows what the list says.
      const pinnedAt = new Date();
      if (!(await tx.pins.insert(conv.id, messageId, actor.user.id, pinnedAt))) return null; // already pinned
      // Counted with the new pin: throwing undoes it (an already pinned message stays a success at the limit).
      if ((await tx.pins.countLive(conv.id)) > MAX_PINS) {
        throw new AppError('pin_limit_reached', `a conversation may have at most ${MAX_PINS} pinned messages; unpin one first`, { max: MAX_PINS });
      }
      const row = (await appendEvent(tx, conv.id, 'message.pinned', { seq, messageId, payload: { pinnedBy: actor.user.id }, createdAt: pinnedAt }))!;
      return { type: 'message.pinned', conversationId: conv.id, seq: row.seq, createdAt: row.createdAt.toISOString(), messageId, pinnedBy: actor.user.id };
    });
  }

  /** Unpins a message (idempotent): message.unpinned, unless it was not pinned. */
  async unpin(actor: Actor, conversationId: string, messageId: string): Promise<void> {
    await this.change(actor, conversationId, messageId, async (tx, conv, seq) => {
      if (!(await tx.pins.delete(conv.id, messageId))) return null; // was not pinned
      const row = (await appendEvent(tx, conv.id, 'message.unpinned', { seq, messageId }))!;
      return { type: 'message.unpinned', conversationId: conv.id, seq: row.seq, createdAt: row.createdAt.toISOString(), messageId };
    });
  }

  /**
   * A pin or an unpin: the caller may pin here (checked before, and again under the conversation's
   * lock), the message is this conversation's, and `apply` runs with a fresh seq. It returns the
   * event to publish, or null when nothing changed (the seq is then given back).
   */
  private async change(
    actor: Actor,
    conversationId: string,
    messageId: string,
    apply: (tx: Pick<Repositories, 'conversations' | 'events' | 'members' | 'messages' | 'pins' | 'threads' | 'users'>, conv: ConversationRow, seq: number) => Promise<ConversationEvent | null>,
  ): Promise<void> {
    const { conv, member } = await loadMembership(this.repos, conversationId, actor.user.id);
    requireMayPin(conv, member);
    await this.requireMessageOf(conv.id, messageId, readFloor(conv, member));
    const event = await inTransaction<ConversationEvent, null>(this.db, async (tx) => {
      // The seq first: it locks the conversation, so a demotion, a delete or another pin that
      // committed before is seen below, and two pins cannot both pass the limit.
      const seq = await tx.conversations.takeSeq(conv.id);
      if (seq === null) throw notFound('conversation');
      const now = await tx.members.find(conv.id, actor.user.id);
      if (!now) throw notFound('conversation');
      requireMayPin(conv, now);
      const done = await apply(tx, conv, seq);
      if (!done) throw new Rollback(null);
      return done;
    });
    if (event) await this.publisher.publishEvents(conv.id, [event]);
  }

  /** The conversation's pins, newest first; messages deleted since are left out. */
  async list(actor: Actor, conversationId: string): Promise<{ pins: Pin[] }> {
    const { conv, member } = await loadMembership(this.repos, conversationId, actor.user.id);
    // Pins of messages from before the caller joined a group that shows members no more are left out.
    const floor = readFloor(conv, member);
    const rows = (await this.repos.pins.listLive(conv.id, MAX_PINS)).filter((r) => r.message.seq >= floor);
    const messages = await this.view.present(
      rows.map((r) => r.message),
      actor.user.id,
    );
    return {
      pins: rows.map((r, i) => ({ message: messages[i]!, pinnedBy: r.pin.pinnedBy, pinnedAt: r.pin.pinnedAt.toISOString() })),
    };
  }

  /** A message of this conversation the caller may read (at or above `floor`), else 404 (a message of another conversation included). */
  private async requireMessageOf(conversationId: string, messageId: string, floor: number): Promise<void> {
    const row = isUuid(messageId) ? await this.repos.messages.findById(messageId) : null;
    if (!row || row.conversationId !== conversationId || row.seq < floor) throw notFound('message');
  }
}
