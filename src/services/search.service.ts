import { badRequest } from '../core/errors.js';
import { clampLimit, decodeTimeCursor, encodeCursor } from '../core/cursor.js';
import { cjkRuns, fold, queryTerms } from '../db/search-terms.js';
import type { Repositories } from '../db/repositories/index.js';
import type { Message } from '../protocol/entities.js';
import type { Actor } from './identity.js';
import { loadMembership } from './access.js';
import type { MessagePresenter } from './presenters.js';

/** Terms (words, bigrams) one query may use: each is an index lookup. */
const MAX_TERMS = 32;

export class SearchService {
  constructor(
    private readonly repos: Repositories,
    private readonly view: MessagePresenter,
  ) {}

  /**
   * Messages of the caller's conversations matching every word of q, newest first. Each word of
   * three characters or more matches the words it begins (meet: Meeting, meetings), shorter ones
   * whole words only; Chinese (and Japanese, Korean) runs match as substrings of two characters
   * or more. Case and width are folded. Deleted messages never match.
   */
  async messages(
    actor: Actor,
    query: { q: string; conversationId?: string; cursor?: string; limit?: number },
  ): Promise<{ messages: Message[]; nextCursor: string | null }> {
    const q = query.q.trim();
    if ([...q].length < 2) throw badRequest('q must have at least two characters', { field: 'q' });
    const { all, anyOf, longPrefixes } = queryTerms(q);
    const terms = all.length + anyOf.length;
    if (terms === 0) throw badRequest('q has no letters or digits to search for', { field: 'q' });
    if (terms > MAX_TERMS) throw badRequest(`q is too long: at most ${MAX_TERMS} terms`, { field: 'q' });
    const phrases = cjkRuns(fold(q)).filter((run) => [...run].length > 2);
    if (query.conversationId !== undefined) await loadMembership(this.repos, query.conversationId, actor.user.id);
    const n = clampLimit(query.limit);
    const after = query.cursor ? decodeTimeCursor(query.cursor) : null;
    const rows = await this.repos.messages.search(actor.user.id, { all, anyOf, phrases, longPrefixes, conversationId: query.conversationId }, after, n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      messages: await this.view.present(page, actor.user.id),
      nextCursor: rows.length > n && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }
}
