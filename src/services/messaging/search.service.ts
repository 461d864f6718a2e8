import { badRequest } from '../../core/errors.js';
import { clampLimit, decodeTimeCursor, encodeCursor } from '../../core/cursor.js';
import { cjkRuns, fold, queryTerms } from '../../db/search-terms.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { Message } from '../../protocol/entities.js';
import type { Actor } from '../identity/identity.js';
import { loadMembership } from '../shared/access.js';
import type { MessagePresenter } from '../shared/presenters.js';
import { checkTimeZone } from '../../core/time-zone.js';
import { dateRange, hasFilters, parseSearch, type ParsedSearch } from './search-query.js';
import { foldUsername } from '../../core/username.js';

/** Terms (words, bigrams) one query may use: each is an index lookup. */
const MAX_TERMS = 32;

export class SearchService {
  constructor(
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'users'>,
    private readonly view: MessagePresenter,
  ) {}

  /**
   * Messages of the caller's conversations matching every word of q, newest first. Each word of
   * three characters or more matches the words it begins (meet: Meeting, meetings), shorter ones
   * whole words only; Chinese (and Japanese, Korean) runs match as substrings of two characters
   * or more; a quoted phrase must appear as written. Case and width are folded. Filters
   * (search-query.ts) narrow by sender, conversation, day (in `tz`, default UTC), attachments,
   * links, reactions, pins and threads. Deleted messages never match.
   */
  async messages(
    actor: Actor,
    query: { q: string; conversationId?: string; cursor?: string; limit?: number; tz?: string },
  ): Promise<{ messages: Message[]; nextCursor: string | null }> {
    const parsed = parseSearch(query.q.trim());
    const filtered = hasFilters(parsed);
    const q = parsed.text.trim();
    if (!filtered && [...q].length < 2) throw badRequest('q must have at least two characters', { field: 'q' });
    const { all, anyOf, longPrefixes } = queryTerms(q);
    const terms = all.length + anyOf.length;
    if (terms === 0 && !filtered) throw badRequest('q has no letters or digits to search for', { field: 'q' });
    if (terms > MAX_TERMS) throw badRequest(`q is too long: at most ${MAX_TERMS} terms`, { field: 'q' });
    const folded = fold(q);
    const phrases = [
      ...cjkRuns(folded).filter((run) => [...run].length > 2),
      // A quoted phrase of several words (one word is its own term already).
      ...parsed.phrases.map((p) => fold(p)).filter((p) => /\s/.test(p)),
    ];
    const tz = checkTimeZone(query.tz ?? 'UTC');
    if (query.conversationId !== undefined) await loadMembership(this.repos, query.conversationId, actor.user.id);
    const scope = await this.resolveFilters(actor, parsed);
    const n = clampLimit(query.limit);
    if (scope === null) return { messages: [], nextCursor: null };
    const after = query.cursor ? decodeTimeCursor(query.cursor) : null;
    const { from, until } = dateRange(parsed, tz);
    const rows = await this.repos.messages.search(
      actor.user.id,
      {
        all,
        anyOf,
        phrases,
        longPrefixes,
        conversationId: query.conversationId,
        ...scope,
        from,
        until,
        hasFile: parsed.has.includes('file'),
        hasLink: parsed.has.includes('link'),
        hasReaction: parsed.has.includes('reaction'),
        isPinned: parsed.is.includes('pinned'),
        isThread: parsed.is.includes('thread'),
      },
      after,
      n + 1,
    );
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    return {
      messages: await this.view.present(page, actor.user.id),
      nextCursor: rows.length > n && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }

  /**
   * The senders `from:` names and the conversations `in:` names (among the caller's own); null
   * when a filter names no one or nothing the caller has: nothing can match.
   */
  private async resolveFilters(actor: Actor, parsed: ParsedSearch): Promise<{ senderIds?: string[]; conversationIds?: string[] } | null> {
    const out: { senderIds?: string[]; conversationIds?: string[] } = {};
    if (parsed.from.length > 0) {
      const names = parsed.from.filter((f) => f.toLowerCase() !== 'me').map(foldUsername);
      const found = names.length > 0 ? await this.repos.users.findByUsernames(names) : [];
      out.senderIds = [...(parsed.from.some((f) => f.toLowerCase() === 'me') ? [actor.user.id] : []), ...found.map((u) => u.id)];
      if (out.senderIds.length === 0) return null;
    }
    if (parsed.in.length > 0) {
      const peers = parsed.in.filter((v) => v.startsWith('@')).map((v) => foldUsername(v.slice(1)));
      const groups = parsed.in.filter((v) => !v.startsWith('@'));
      const peerRows = peers.length > 0 ? await this.repos.users.findByUsernames(peers) : [];
      const keys = peerRows.filter((u) => u.id !== actor.user.id).map((u) => [actor.user.id, u.id].sort().join(':'));
      out.conversationIds = await this.repos.conversations.idsForSearch(actor.user.id, groups, keys);
      if (out.conversationIds.length === 0) return null;
    }
    return out;
  }
}
