/** Drafts: a member's unsent text per conversation, kept across reloads and devices, told to the user's other connections. */
import { badRequest } from '../../core/errors.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { Draft } from '../../protocol/drafts.js';
import { MAX_DRAFTS_LISTED } from '../../protocol/drafts.js';
import { MESSAGE_BODY_MAX } from '../../protocol/limits.js';
import type { Actor } from '../identity/identity.js';
import { loadMembership } from '../shared/access.js';
import type { EventPublisher } from '../shared/events.js';

export class DraftsService {
  constructor(
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'drafts'>,
    private readonly publisher: Pick<EventPublisher, 'ephemeral'>,
  ) {}

  /** The caller's drafts in conversations they are still a member of. */
  async list(actor: Actor): Promise<{ drafts: Draft[] }> {
    const rows = await this.repos.drafts.listForUser(actor.user.id, MAX_DRAFTS_LISTED);
    return { drafts: rows.map((r) => ({ conversationId: r.conversationId, body: r.body, updatedAt: r.updatedAt.toISOString() })) };
  }

  /**
   * Saves the caller's draft of a conversation they are a member of (an empty or blank body
   * deletes it) and tells their other connections (`exceptConnectionId`: the one that saved it).
   */
  async put(actor: Actor, conversationId: string, body: string, exceptConnectionId?: string): Promise<Draft> {
    if ([...body].length > MESSAGE_BODY_MAX) throw badRequest(`body is longer than ${MESSAGE_BODY_MAX} characters`, { field: 'body' });
    const { conv } = await loadMembership(this.repos, conversationId, actor.user.id);
    if (body.trim() === '') return this.remove(actor, conv.id, exceptConnectionId);
    const row = await this.repos.drafts.upsert(actor.user.id, conv.id, body);
    const draft = { conversationId: conv.id, body: row.body, updatedAt: row.updatedAt.toISOString() };
    this.publisher.ephemeral({ type: 'draft.updated', ...draft }, [actor.user.id], exceptConnectionId);
    return draft;
  }

  /** Deletes the caller's draft of a conversation they are a member of (idempotent). */
  async remove(actor: Actor, conversationId: string, exceptConnectionId?: string): Promise<Draft> {
    const { conv } = await loadMembership(this.repos, conversationId, actor.user.id);
    const removed = await this.repos.drafts.delete(actor.user.id, conv.id);
    const draft = { conversationId: conv.id, body: '', updatedAt: new Date().toISOString() };
    if (removed) this.publisher.ephemeral({ type: 'draft.updated', ...draft }, [actor.user.id], exceptConnectionId);
    return draft;
  }
}
