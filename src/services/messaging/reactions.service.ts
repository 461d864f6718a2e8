import { badRequest, conflict } from '../../core/errors.js';
import { validEmoji } from '../../core/emoji.js';
import type { Db } from '../../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../../db/repositories/index.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import type { Actor } from '../identity/identity.js';
import { loadVisibleMessage, requireNotMuted } from '../shared/access.js';
import type { EventPublisher } from '../shared/events.js';

/** Different emoji on one message, and reactions by one user on one message. */
export const MAX_DISTINCT_REACTIONS = 50;
export const MAX_REACTIONS_PER_USER = 20;

export { validEmoji };

export class ReactionsService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages'>,
    private readonly publisher: EventPublisher,
  ) {}

  /** Adds the caller's reaction; putting it twice is one reaction and one event. */
  async add(actor: Actor, messageId: string, emoji: string): Promise<void> {
    await this.change(actor, messageId, emoji, 'reaction.added');
  }

  /** Removes the caller's reaction, if any. */
  async remove(actor: Actor, messageId: string, emoji: string): Promise<void> {
    await this.change(actor, messageId, emoji, 'reaction.removed');
  }

  /** One message takes at most 50 different emoji, and 20 reactions from one user. */
  private async checkRoom(tx: Pick<Repositories, 'conversations' | 'events' | 'messages' | 'reactions'>, messageId: string, emoji: string, userId: string): Promise<void> {
    const { distinct, mine, present, known } = await tx.reactions.counts(messageId, emoji, userId);
    if (known) return;
    if (!present && distinct >= MAX_DISTINCT_REACTIONS) throw conflict(`a message takes at most ${MAX_DISTINCT_REACTIONS} different reactions`);
    if (mine >= MAX_REACTIONS_PER_USER) throw conflict(`one user may add at most ${MAX_REACTIONS_PER_USER} reactions to a message`);
  }

  private async change(actor: Actor, messageId: string, emoji: string, type: 'reaction.added' | 'reaction.removed'): Promise<void> {
    const { row, member } = await loadVisibleMessage(this.repos, actor.user.id, messageId);
    // A muted member may take a reaction back, not add one.
    if (type === 'reaction.added') requireNotMuted(member);
    if (!validEmoji(emoji)) throw badRequest('emoji must be a Unicode emoji or a :short_name:', { emoji });
    // Any well-formed `:short_name:` is taken, known here or not (the contract's rule since the
    // start): clients draw a current custom emoji's image and show any other name as text.
    if (row.deletedAt) {
      if (type === 'reaction.removed') return; // its reactions went with it
      throw conflict('the message was deleted');
    }
    const event = await inTransaction<EventRow, null>(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(row.conversationId);
      if (seq === null) throw new Rollback(null);
      if (type === 'reaction.added') await this.checkRoom(tx, row.id, emoji, actor.user.id);
      const changed =
        type === 'reaction.added'
          ? (await tx.messages.findById(row.id))?.deletedAt === null && (await tx.reactions.add(row.id, emoji, actor.user.id))
          : await tx.reactions.remove(row.id, emoji, actor.user.id);
      // Nothing changed (already so, or deleted meanwhile): give the seq back.
      if (!changed) throw new Rollback(null);
      return tx.events.insert({ conversationId: row.conversationId, seq, type, messageId: row.id, payload: { emoji, userId: actor.user.id } });
    });
    if (!event) return;
    await this.publisher.publishEvents(row.conversationId, [
      { type, conversationId: event.conversationId, seq: event.seq, createdAt: event.createdAt.toISOString(), messageId: row.id, emoji, userId: actor.user.id },
    ]);
  }
}
