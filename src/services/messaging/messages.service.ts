import { AppError, badRequest, conflict, forbidden, notFound } from '../../core/errors.js';
import { clampLimit } from '../../core/cursor.js';
import { isUuid, newId } from '../../core/ids.js';
import { foldUsername } from '../../core/username.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Db } from '../../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../../db/repositories/index.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import type { MessageRow, ThreadSummaryRow } from '../../db/repositories/messages.repository.js';
import type { MessageStoreQueue, QueuedStoreOutcome } from '../../db/repositories/message-store-queue.js';
import type { UploadRow } from '../../db/repositories/uploads.repository.js';
import type { Message, MessageShared } from '../../protocol/entities.js';
import type { ConversationEvent } from '../../protocol/events.js';
import { MESSAGE_BODY_MAX } from '../../protocol/rest.js';
import type { Actor } from '../identity/identity.js';
import { isAdmin, loadMembership, loadVisibleMessage, readFloor, requireNotMuted } from '../shared/access.js';
import { appendEvent, eventsAfter, type EventPublisher } from '../shared/events.js';
import { expandMentionAll, MENTION_ALL_NAMES, mentionAllIn, requireMayMentionAll } from './mention-all.js';
import { presentMessage, presentSharedMessage, presentThreadSummary, type MessagePresenter, type UserView } from '../shared/presenters.js';
import type { MessageCreatedHook } from '../integrations/webhooks.service.js';
import { extractLinks } from './link-preview-fetch.js';
import { MAX_PREVIEW_LINKS, type LinkPreviewHook } from './link-previews.service.js';

/** A message event built from the row just written: no need to read it back. */
function messageEvent(type: 'message.created' | 'message.updated', event: EventRow, message: MessageShared): ConversationEvent {
  return { type, conversationId: event.conversationId, seq: event.seq, createdAt: event.createdAt.toISOString(), message };
}

export interface SendInput {
  body: string;
  clientMsgId?: string | null;
  replyTo?: string | null;
  attachmentIds?: string[];
  /** Reply in the thread of this top-level message of the conversation. */
  threadId?: string | null;
  /** A thread reply also shown in the conversation. */
  alsoInConversation?: boolean;
}

/** Characters as people count them: code points, so an emoji or 𠀀 is one. */
const charCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Trims a body and checks the contract's 1-8000 characters (empty allowed with attachments). */
function cleanBody(body: string, hasAttachments: boolean): string {
  const text = body.trim();
  if (!text && !hasAttachments) throw badRequest('body must not be empty', { field: 'body' });
  if (charCount(text) > MESSAGE_BODY_MAX) {
    throw badRequest(`body is longer than ${MESSAGE_BODY_MAX} characters`, { field: 'body' });
  }
  return text;
}

/** `@username` tokens of a body (not inside an e-mail address or another word), at most 50. */
const MENTION = /(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9_.-]{3,32})/gu;
export function mentionedUsernames(body: string): string[] {
  const names = new Set<string>();
  for (const m of body.matchAll(MENTION)) {
    // A trailing dot ends a sentence, not a username.
    names.add(foldUsername(m[1]!.replace(/\.+$/, '')));
    if (names.size >= 50) break;
  }
  return [...names].filter((n) => n.length >= 3);
}

/** Named mentions, then those @all / @here added, each once. */
function withExpanded(named: string[], expanded: string[]): string[] {
  return expanded.length === 0 ? named : [...new Set([...named, ...expanded])];
}

export class MessagesService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'events' | 'members' | 'messages' | 'threads' | 'uploads' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly presence: UserView,
    private readonly view: MessagePresenter,
    private readonly logger: Logger,
    /** Outgoing webhooks: told of each new message after commit, in the background. */
    private readonly hooks: MessageCreatedHook | undefined,
    /** Group commit of sends without attachments: one per database handle. */
    private readonly storeQueue: Pick<MessageStoreQueue, 'store'>,
    private readonly metrics?: Pick<Metrics, 'messagesStored'>,
    /** Notifications for people who are away: told of each new message after commit, in the background. */
    private readonly notifier?: MessageCreatedHook,
    /** Link previews: told of each new (or edited) message after commit; the fetch happens later, in the background. */
    private readonly previews?: LinkPreviewHook,
  ) {}

  /**
   * Stores a message and its event under the conversation's next seq. A send with neither
   * attachments nor a reply reads nothing first: its body is checked, then it joins the next
   * group commit (MessageStoreQueue), which checks membership and mute under the conversation's
   * lock and lists who gets it live, so the usual send costs a share of one statement. With
   * attachments it is one short transaction. A repeat of (conversation, sender, clientMsgId)
   * returns the stored message and creates nothing.
   */
  async send(actor: Actor, conversationId: string, input: SendInput): Promise<{ message: Message; created: boolean }> {
    if (!isUuid(conversationId)) throw notFound('conversation');
    const clientMsgId = input.clientMsgId ?? null;
    // A repeat is answered with what was stored, even when this attempt would now be refused
    // (its body changed, the sender was muted since): looked up only on those refusals, so
    // the usual send pays no query for it.
    const repeatOr = async (refusal: unknown): Promise<{ message: Message; created: false }> => {
      const stored = clientMsgId === null ? null : await this.repos.messages.findByClientMsgId(conversationId, actor.user.id, clientMsgId);
      if (!stored) throw refusal;
      return { message: await this.view.presentOne(stored, actor.user.id), created: false };
    };
    // Attachments and replies are looked up, so only once the caller is known to be a member:
    // an outsider learns nothing of the conversation's messages or of whether it exists.
    const simple = (input.attachmentIds ?? []).length === 0 && (input.replyTo ?? null) === null && (input.threadId ?? null) === null;
    let prepared: { body: string; replyTo: string | null; threadId: string | null; attachmentIds: string[]; ownUploads: Map<string, UploadRow> };
    let checkedKind: 'group' | 'direct' | null = null;
    try {
      if (!simple) {
        const { conv, member } = await loadMembership(this.repos, conversationId, actor.user.id);
        checkedKind = conv.kind;
        requireNotMuted(member);
      }
      prepared = await this.prepare(actor, conversationId, input);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        // Refusing a bad body must not tell an outsider more than "not found" would.
        if (simple) await loadMembership(this.repos, conversationId, actor.user.id);
        return repeatOr(err);
      }
      throw err;
    }
    const { body, replyTo, threadId, attachmentIds, ownUploads } = prepared;
    // @all / @here (rare) read the sender's role and the members first; other sends do not.
    const everyone = mentionAllIn(body);
    let expanded: string[] = [];
    if (everyone.all || everyone.here) {
      try {
        const { conv, member } = await loadMembership(this.repos, conversationId, actor.user.id);
        requireMayMentionAll(conv, member);
        expanded = await expandMentionAll(this.repos, this.presence, conv, actor.user.id, everyone);
      } catch (err) {
        if (err instanceof AppError && err.status < 500) return repeatOr(err);
        throw err;
      }
    }
    const mentions = withExpanded(await this.resolveMentions(conversationId, body), expanded);
    const row = {
      id: newId(),
      conversationId,
      senderId: actor.user.id,
      clientMsgId,
      body,
      replyToId: replyTo,
      mentions,
      createdAt: new Date(),
      threadId,
      alsoInConversation: threadId !== null && input.alsoInConversation === true,
    };

    type Outcome = Awaited<ReturnType<Repositories['messages']['store']>>;
    const outcome: QueuedStoreOutcome | Outcome =
      attachmentIds.length === 0
        ? await this.storeQueue.store(row)
        : await inTransaction<Outcome, Outcome>(this.db, async (tx) => {
            const stored = await tx.messages.store(row);
            if (!stored.ok) throw new Rollback(stored);
            if (!(await tx.uploads.attach(row.id, attachmentIds))) throw badRequest('an attachment was removed; upload it again');
            return stored;
          });
    if (!outcome.ok) {
      switch (outcome.reason) {
        case 'not_found':
          throw notFound('conversation');
        case 'not_member':
          // Never a member, or removed just before the seq was taken: 403 for a public group, else 404.
          await loadMembership(this.repos, conversationId, actor.user.id);
          throw notFound('conversation');
        case 'muted': {
          const until = outcome.mutedUntil.toISOString();
          return repeatOr(new AppError('muted', `you are muted in this group until ${until}`, { mutedUntil: until }));
        }
        case 'posting_restricted':
          return repeatOr(new AppError('posting_restricted', 'only admins may post in this group'));
        case 'duplicate':
          return repeatOr(conflict('the message was sent concurrently; try again'));
      }
    }
    const stored = (outcome as Extract<Outcome | QueuedStoreOutcome, { ok: true }>).row;
    this.metrics?.messagesStored.inc();
    this.logger.debug({ conversationId, seq: stored.seq, messageId: stored.id }, 'message stored');
    // A new message has no reactions, and its attachments are the uploads just checked: the
    // sender's answer and what every member's event carries (no per-viewer field) are alike.
    const attachments = attachmentIds.map((id) => this.view.upload(ownUploads.get(id)!));
    const message = presentMessage(stored, [], attachments);
    // A reply carries its root's summary after it (read after the commit: the newest there is, so
    // applying the events in seq order always leaves the root's summary current).
    const thread = threadId === null ? undefined : (await this.repos.threads.summaries([threadId])).get(threadId);
    const created: ConversationEvent = {
      type: 'message.created',
      conversationId,
      seq: stored.seq,
      createdAt: stored.createdAt.toISOString(),
      message: presentSharedMessage(stored, [], attachments),
      ...(thread ? { thread: presentThreadSummary(thread) } : {}),
    };
    let kind: 'group' | 'direct';
    if (attachmentIds.length === 0) {
      // Members as they were under the store's lock: exactly those who had joined before this seq.
      const queued = outcome as Extract<QueuedStoreOutcome, { ok: true }>;
      kind = queued.kind;
      this.publisher.publishToMembers(queued.memberIds, [created]);
    } else {
      kind = checkedKind!;
      await this.publisher.publishEvents(conversationId, [created]);
    }
    // Webhooks belong to groups. Returns at once, never throws.
    if (kind === 'group') this.hooks?.onMessageCreated(conversationId, created);
    // Pushes to offline members, in groups and direct conversations alike. Returns at once, never throws.
    this.notifier?.onMessageCreated(conversationId, created);
    // Queues previews of its links (never fetched here: the ack does not wait). Returns at once, never throws.
    this.previews?.onMessageCreated(conversationId, created);
    return { message, created: true };
  }

  /** A send's checks that need no lock: its attachments (the sender's own uploads), body and reply. */
  private async prepare(
    actor: Actor,
    conversationId: string,
    input: SendInput,
  ): Promise<{ body: string; replyTo: string | null; threadId: string | null; attachmentIds: string[]; ownUploads: Map<string, UploadRow> }> {
    const attachmentIds = [...new Set(input.attachmentIds ?? [])];
    const ownUploads = new Map<string, UploadRow>();
    if (attachmentIds.length > 0) {
      const own = await this.repos.uploads.findOwned(actor.user.id, attachmentIds.filter(isUuid));
      for (const u of own) ownUploads.set(u.id, u);
      if (own.length !== attachmentIds.length) {
        const mine = new Set(own.map((u) => u.id));
        throw badRequest('attachmentIds must name your own uploads', { attachmentIds: attachmentIds.filter((id) => !mine.has(id)) });
      }
    }
    const body = cleanBody(input.body, attachmentIds.length > 0);
    const replyTo = input.replyTo ?? null;
    if (replyTo !== null) {
      const original = isUuid(replyTo) ? await this.repos.messages.findById(replyTo) : null;
      if (!original || original.conversationId !== conversationId) {
        throw badRequest('replyTo must be a message of this conversation', { field: 'replyTo' });
      }
    }
    const threadId = input.threadId ?? null;
    if (threadId !== null) {
      // A live top-level message of the conversation (a deleted root's thread stays readable, closed to replies).
      const root = isUuid(threadId) ? await this.repos.messages.findById(threadId) : null;
      if (!root || root.conversationId !== conversationId) throw notFound('message');
      if (root.threadId !== null) throw badRequest('threadId must be a top-level message: threads are one level deep', { field: 'threadId' });
      if (root.deletedAt !== null) throw conflict("the thread's first message was deleted: the thread can be read but not replied to");
    } else if (input.alsoInConversation) {
      throw badRequest('alsoInConversation goes with threadId', { field: 'alsoInConversation' });
    }
    return { body, replyTo, threadId, attachmentIds, ownUploads };
  }

  async history(
    actor: Actor,
    conversationId: string,
    query: { before?: number; after?: number; limit?: number; collapseThreads?: boolean },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    // The page is read beside the membership check (two connections on a server), and shown
    // only once the check has passed.
    const range = { before: query.before, after: query.after };
    if (!isUuid(conversationId)) throw notFound('conversation');
    const scope = { conversationId, collapseThreads: query.collapseThreads === true };
    const [{ conv, member }, first] = await Promise.all([
      loadMembership(this.repos, conversationId, actor.user.id),
      this.repos.messages.history(scope, range, clampLimit(query.limit), actor.user.id),
    ]);
    // A group that shows members only what came after they joined: read again within it (rare,
    // so the common page is still read beside the membership check).
    const from = readFloor(conv, member);
    const page = from > 0 ? await this.repos.messages.history(scope, { ...range, from }, clampLimit(query.limit), actor.user.id) : first;
    return { messages: this.view.presentLoaded(page.rows), hasMore: page.hasMore };
  }

  async get(actor: Actor, messageId: string): Promise<Message> {
    const { row } = await loadVisibleMessage(this.repos, actor.user.id, messageId);
    return (await this.view.present([row], actor.user.id))[0]!;
  }

  /** Members of the conversation named by `@username` in a body. */
  private async resolveMentions(conversationId: string, body: string): Promise<string[]> {
    const names = mentionedUsernames(body).filter((n) => !MENTION_ALL_NAMES.has(n));
    if (names.length === 0) return [];
    const users = await this.repos.users.findByUsernames(names);
    return this.repos.members.filterMembers(conversationId, users.map((u) => u.id));
  }

  async edit(actor: Actor, messageId: string, body: string): Promise<Message> {
    const { row, conv, member } = await loadVisibleMessage(this.repos, actor.user.id, messageId);
    if (row.senderId !== actor.user.id) throw forbidden('only the sender may edit a message');
    requireNotMuted(member);
    if (row.deletedAt) throw conflict('the message was deleted');
    const text = cleanBody(body, false);
    const everyone = mentionAllIn(text);
    if (everyone.all || everyone.here) requireMayMentionAll(conv, member);
    const expanded = await expandMentionAll(this.repos, this.presence, conv, actor.user.id, everyone);
    const mentions = withExpanded(await this.resolveMentions(row.conversationId, text), expanded);
    const result = await inTransaction<{ row: MessageRow; event: EventRow }, null>(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(row.conversationId);
      if (seq === null) throw notFound('message');
      // Previews of links the edit took out go with them.
      const updated = await tx.messages.updateBody(row.id, text, mentions, extractLinks(text, MAX_PREVIEW_LINKS));
      if (!updated) throw new Rollback(null); // deleted meanwhile: give the seq back
      await tx.messages.setMentions(updated, mentions);
      const event = await appendEvent(tx, row.conversationId, 'message.updated', { seq, messageId: row.id });
      return { row: updated, event: event! };
    });
    if (!result) throw conflict('the message was deleted');
    const message = await this.view.presentSharedOne(result.row);
    const [mine] = await this.view.present([result.row], actor.user.id);
    await this.publisher.publishEvents(row.conversationId, [messageEvent('message.updated', result.event, message)]);
    // A message without previews yet gets them for the links the edit brought. Returns at once, never throws.
    if (result.row.previews === null) this.previews?.onMessageEdited(result.row.conversationId, message);
    return mine!;
  }

  /** Deletes as a tombstone: the sender, or an admin of the group. Deleting twice is a no-op. */
  async delete(actor: Actor, messageId: string): Promise<void> {
    const { row, conv, member } = await loadVisibleMessage(this.repos, actor.user.id, messageId);
    if (row.senderId !== actor.user.id && !(conv.kind === 'group' && isAdmin(member))) {
      throw forbidden('only the sender or a group admin may delete a message');
    }
    if (row.deletedAt) return;
    const done = await inTransaction<{ event: EventRow; thread: ThreadSummaryRow | null }, null>(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(row.conversationId);
      if (seq === null) throw notFound('message');
      const gone = await tx.messages.tombstone(row.id);
      if (!gone) throw new Rollback(null);
      await tx.messages.setMentions(row, []);
      await tx.reactions.removeAll(row.id);
      await tx.uploads.detachAll(row.id);
      // Its webhook deliveries still queued must not send the deleted text.
      await tx.webhooks.dropForMessage(row.id);
      // A reply: one fewer in its root's summary (under the conversation's lock, as the send counts it).
      const thread = row.threadId === null ? null : await tx.threads.replyDeleted(row.threadId, row.seq);
      // The event's time is the message's deletedAt: a client that applies it shows what a fetch shows.
      return { event: (await appendEvent(tx, row.conversationId, 'message.deleted', { seq, messageId: row.id, createdAt: gone.deletedAt ?? undefined }))!, thread };
    });
    if (done) {
      const { event, thread } = done;
      await this.publisher.publishEvents(row.conversationId, [
        {
          type: 'message.deleted',
          conversationId: event.conversationId,
          seq: event.seq,
          createdAt: event.createdAt.toISOString(),
          messageId: row.id,
          ...(row.threadId !== null ? { threadId: row.threadId, ...(thread ? { thread: presentThreadSummary(thread) } : {}) } : {}),
        },
      ]);
    }
  }

  /** The catch-up feed: events after a seq, as they are now. */
  async events(
    actor: Actor,
    conversationId: string,
    query: { after?: number; before?: number; types?: string; limit?: number },
  ): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
    // As history: the page is read beside the membership check and shown only once it passed.
    if (!isUuid(conversationId)) throw notFound('conversation');
    const only = { before: query.before, types: query.types?.split(',') };
    const after = query.after ?? 0;
    const [{ conv, member }, first] = await Promise.all([
      loadMembership(this.repos, conversationId, actor.user.id),
      eventsAfter(this.repos, this.presence, this.view, conversationId, after, clampLimit(query.limit), only),
    ]);
    // As history: from the member's own member.joined on in a group that shows no more.
    const from = readFloor(conv, member);
    return from > 0 && after < from - 1 ? eventsAfter(this.repos, this.presence, this.view, conversationId, from - 1, clampLimit(query.limit), only) : first;
  }

  /**
   * Events after a seq, as they are now, with no access check: for the gateway, which checked
   * membership before (sync) or received a live event of the conversation (a gap fill).
   */
  async replay(conversationId: string, after: number, limit: number): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
    return eventsAfter(this.repos, this.presence, this.view, conversationId, after, limit);
  }

  /** Tells the other members that the caller is typing (ephemeral: nothing is stored). */
  async typing(actor: Actor, conversationId: string): Promise<void> {
    const { conv } = await loadMembership(this.repos, conversationId, actor.user.id);
    const others = (await this.repos.members.userIds(conv.id)).filter((id) => id !== actor.user.id);
    this.publisher.ephemeral({ type: 'typing', conversationId: conv.id, userId: actor.user.id }, others);
  }

  /**
   * Moves the caller's read pointer forward and tells their other sockets and, in a direct
   * conversation, the peer (never a whole group). `connectionId`: the socket it came from.
   */
  async markRead(actor: Actor, conversationId: string, seq: number, connectionId?: string): Promise<number> {
    const { conv } = await loadMembership(this.repos, conversationId, actor.user.id);
    const now = await this.repos.members.markRead(conv.id, actor.user.id, seq);
    if (now === null) throw new AppError('not_found', 'conversation not found');
    const audience = [actor.user.id];
    if (conv.kind === 'direct') {
      const peer = (await this.repos.members.userIds(conv.id)).find((id) => id !== actor.user.id);
      if (peer) audience.push(peer);
    }
    this.publisher.ephemeral({ type: 'read', conversationId: conv.id, userId: actor.user.id, lastReadSeq: now }, audience, connectionId);
    return now;
  }
}
