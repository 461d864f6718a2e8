/**
 * Threads: a top-level message's replies, who follows them and how far each has read. Replies
 * are sent through MessagesService.send (with `threadId`); this service reads threads and keeps
 * each person's following and read pointer, telling the person's other devices of a change.
 */
import { badRequest, notFound } from '../../core/errors.js';
import { clampLimit, decodeCursor, encodeCursor } from '../../core/cursor.js';
import { isUuid } from '../../core/ids.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { MessageRow } from '../../db/repositories/messages.repository.js';
import type { ThreadListCursor, ThreadViewerRow } from '../../db/repositories/threads.repository.js';
import type { Message, Thread } from '../../protocol/entities.js';
import type { ThreadList } from '../../protocol/rest.js';
import { loadMembership, readFloor } from '../shared/access.js';
import type { EventPublisher } from '../shared/events.js';
import type { Actor } from '../identity/identity.js';
import type { MessagePresenter } from '../shared/presenters.js';

export class ThreadsService {
  constructor(
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'threads'>,
    private readonly publisher: EventPublisher,
    private readonly view: MessagePresenter,
  ) {}

  /**
   * A thread's root, for a member of its conversation (anyone else: 404, as for a private
   * conversation's message; a non-member of a public group: 403). A reply is no root: 404.
   */
  private async loadRoot(actor: Actor, rootId: string): Promise<MessageRow> {
    const row = isUuid(rootId) ? await this.repos.messages.findById(rootId) : null;
    if (!row) throw notFound('thread');
    let floor: number;
    try {
      const { conv, member } = await loadMembership(this.repos, row.conversationId, actor.user.id);
      floor = readFloor(conv, member);
    } catch (err) {
      // Never say whether a message exists in a conversation the caller cannot read.
      if (err instanceof Error && 'status' in err && (err as { status: number }).status === 404) throw notFound('thread');
      throw err;
    }
    // A reply is no root; a root from before the caller joined a group that shows no more is not there for them.
    if (row.threadId !== null || row.seq < floor) throw notFound('thread');
    return row;
  }

  /** A thread as the caller sees it (also a root without replies: replyCount 0, not followed). */
  async get(actor: Actor, rootId: string): Promise<Thread> {
    const row = await this.loadRoot(actor, rootId);
    const [root, state] = await Promise.all([this.view.presentOne(row, actor.user.id), this.repos.threads.viewer(actor.user.id, row.id)]);
    return present(root, state);
  }

  /** A page of a thread's replies, ascending seq (newest page, or before/after a seq). */
  async replies(actor: Actor, rootId: string, query: { before?: number; after?: number; limit?: number }): Promise<{ messages: Message[]; hasMore: boolean }> {
    const row = await this.loadRoot(actor, rootId);
    const page = await this.repos.messages.history({ threadId: row.id }, { before: query.before, after: query.after }, clampLimit(query.limit), actor.user.id);
    return { messages: this.view.presentLoaded(page.rows), hasMore: page.hasMore };
  }

  /** Follows or unfollows; the caller's other devices are told when it changed. */
  async setFollowing(actor: Actor, rootId: string, following: boolean): Promise<Thread> {
    const row = await this.loadRoot(actor, rootId);
    const changed = await this.repos.threads.setFollowing(row.id, row.conversationId, actor.user.id, following);
    const thread = await this.get(actor, row.id);
    if (changed) this.tellDevices(actor.user.id, thread);
    return thread;
  }

  /** Moves the caller's read pointer forward (clamped to the last reply); other devices are told. */
  async markRead(actor: Actor, rootId: string, seq: number): Promise<void> {
    const row = await this.loadRoot(actor, rootId);
    const moved = await this.repos.threads.markRead(row.id, row.conversationId, actor.user.id, seq);
    if (moved === null) return;
    const state = await this.repos.threads.viewer(actor.user.id, row.id);
    this.publisher.ephemeral(
      { type: 'thread.state', conversationId: row.conversationId, rootId: row.id, following: state?.following === true, lastReadSeq: moved },
      [actor.user.id],
    );
  }

  /** The threads the caller follows, unread first, with totals for a badge. */
  async list(actor: Actor, query: { cursor?: string; limit?: number }): Promise<ThreadList> {
    const limit = clampLimit(query.limit);
    const after = query.cursor === undefined ? null : decodeListCursor(query.cursor);
    const page = await this.repos.threads.listFollowed(actor.user.id, after, limit);
    const roots = await this.repos.messages.findByIdsWithExtras(
      page.rows.map((r) => r.rootId),
      actor.user.id,
    );
    const shown = new Map(this.view.presentLoaded(roots).map((m) => [m.id, m]));
    const threads = page.rows.flatMap((r) => {
      const root = shown.get(r.rootId);
      return root ? [present(root, r)] : [];
    });
    const last = page.rows[page.rows.length - 1];
    return {
      threads,
      nextCursor: page.hasMore && last ? encodeCursor([last.hasUnread ? 1 : 0, last.activityAt.toISOString(), last.rootId]) : null,
      unreadThreads: page.unreadThreads,
      unreadMentions: page.unreadMentions,
    };
  }

  private tellDevices(userId: string, thread: Thread): void {
    this.publisher.ephemeral(
      { type: 'thread.state', conversationId: thread.conversationId, rootId: thread.rootId, following: thread.following, lastReadSeq: thread.lastReadSeq },
      [userId],
    );
  }
}

/** A Thread from its root (which carries the summary) and the viewer's state (none: not followed, nothing read). */
function present(root: Message, state: ThreadViewerRow | null): Thread {
  const t = root.thread;
  return {
    rootId: root.id,
    conversationId: root.conversationId,
    root,
    replyCount: t?.replyCount ?? 0,
    lastReplyAt: t?.lastReplyAt ?? null,
    lastReplySeq: t?.lastReplySeq ?? 0,
    participantIds: t?.participantIds ?? [],
    following: state?.following === true,
    lastReadSeq: state?.lastReadSeq ?? 0,
    unreadCount: state?.unreadCount ?? 0,
    mentionCount: state?.mentionCount ?? 0,
  };
}

function decodeListCursor(cursor: string): ThreadListCursor {
  const [unread, at, rootId] = decodeCursor(cursor, 3);
  const date = new Date(typeof at === 'string' ? at : NaN);
  if ((unread !== 0 && unread !== 1) || Number.isNaN(date.getTime()) || typeof rootId !== 'string' || !isUuid(rootId)) {
    throw badRequest('invalid cursor');
  }
  return { unread: unread === 1, at: date, rootId };
}
