/** Writing conversation events (in a transaction) and rendering them as they are now. */
import type { Logger } from '../../core/logger.js';
import { tracer } from '../../core/tracing.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import type { EventType } from '../../protocol/events.js';
import type { Bus } from '../../events/bus.js';
import type { ConversationChanges, ConversationEvent } from '../../protocol/events.js';
import type { EphemeralFrame } from '../../protocol/frames.js';
import type { MessageShared, Role } from '../../protocol/entities.js';
import type { MemberRow } from '../../db/repositories/members.repository.js';
import { presentConversationShared, presentMember, presentThreadSummary, type MessagePresenter, type UserView } from './presenters.js';

/** What a member event keeps, since the membership row may be gone when it is replayed. */
export interface MemberPayload {
  userId: string;
  role: Role;
  joinedAt: string;
  mutedUntil?: string | null;
  /** Who added the member; absent in events written before it was recorded. */
  addedBy?: string | null;
  /** Why a member left: absent when they left themselves; `erased`: their account was erased. */
  reason?: 'removed' | 'banned' | 'erased';
  /** Who removed, banned or changed the member (for the timeline's system lines). */
  by?: string;
  /** The role before a role change. */
  previousRole?: Role;
}

/** What a conversation.updated keeps: who made it and what it set, for the timeline's system lines. */
export interface ConversationUpdatePayload {
  by?: string;
  changes?: ConversationChanges;
}

/** What each event type stores in its row's payload (the rest is read back as it is now). */
export interface StoredPayloads {
  'message.created': Record<never, never>;
  'message.pinned': { pinnedBy?: string | null };
  'message.unpinned': Record<never, never>;
  'message.updated': Record<never, never>;
  'message.deleted': Record<never, never>;
  'reaction.added': { emoji: string; userId: string };
  'reaction.removed': { emoji: string; userId: string };
  'member.joined': MemberPayload;
  'member.left': MemberPayload;
  'member.updated': MemberPayload;
  'conversation.updated': ConversationUpdatePayload;
  'conversation.deleted': Record<never, never>;
}

/**
 * The stored payload of an event row, typed by its type. The one place a row's jsonb is read as
 * its type's shape: appendEvent (typed by StoredPayloads) is the only writer of event payloads
 * besides reactions' insert, which writes the same shape.
 */
export function storedPayload<K extends EventType>(row: Pick<EventRow, 'payload'> & { type: K }): StoredPayloads[K] {
  const payload: object = row.payload;
  return payload as StoredPayloads[K];
}

/** The payload of a member event, from the membership row (and why a member left). */
export const memberPayload = (
  m: MemberRow,
  reason?: MemberPayload['reason'],
  extra: Pick<MemberPayload, 'by' | 'previousRole'> = {},
): MemberPayload =>
  ({
    userId: m.userId,
    role: m.role,
    joinedAt: m.joinedAt.toISOString(),
    mutedUntil: m.mutedUntil?.toISOString() ?? null,
    addedBy: m.addedBy ?? null,
    ...(reason ? { reason } : {}),
    ...(extra.by ? { by: extra.by } : {}),
    ...(extra.previousRole && extra.previousRole !== m.role ? { previousRole: extra.previousRole } : {}),
  }) satisfies MemberPayload;

/**
 * Takes the conversation's next seq and writes an event with it. Call inside a transaction:
 * the first seq taken locks the conversation row until commit, so seqs are gap-free.
 */
export async function appendEvent<K extends EventType>(
  repos: Pick<Repositories, 'conversations' | 'events' | 'messages' | 'threads' | 'users'>,
  conversationId: string,
  type: K,
  data: { messageId?: string; payload?: StoredPayloads[K]; activity?: boolean; seq?: number; createdAt?: Date },
): Promise<EventRow | null> {
  const seq = data.seq ?? (await repos.conversations.takeSeq(conversationId, { activity: data.activity }));
  if (seq === null) return null;
  return repos.events.insert({
    conversationId,
    seq,
    type,
    messageId: data.messageId ?? null,
    payload: data.payload ?? {},
    ...(data.createdAt ? { createdAt: data.createdAt } : {}),
  });
}

const MEMBER_EVENTS = new Set<EventType>(['member.joined', 'member.left', 'member.updated']);
const isMemberEvent = (r: EventRow): r is EventRow & { type: 'member.joined' | 'member.left' | 'member.updated' } => MEMBER_EVENTS.has(r.type);

/** Events after a seq, as they are now (the catch-up feed and WebSocket sync share it). */
export async function eventsAfter(
  repos: Pick<Repositories, 'conversations' | 'events' | 'messages' | 'threads' | 'users'>,
  presence: UserView,
  messages: MessagePresenter,
  conversationId: string,
  after: number,
  limit: number,
  only: { before?: number; types?: readonly string[] } = {},
): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
  const { rows, hasMore } = await repos.events.listAfter(conversationId, after, limit, only);
  return { events: await renderEvents(repos, presence, messages, rows), hasMore };
}

/** Renders event rows to the wire, showing messages, users and the conversation as they are now. */
export async function renderEvents(
  repos: Pick<Repositories, 'conversations' | 'events' | 'messages' | 'threads' | 'users'>,
  presence: UserView,
  messages: MessagePresenter,
  rows: readonly EventRow[],
): Promise<ConversationEvent[]> {
  if (rows.length === 0) return [];
  const messageIds = [...new Set(rows.flatMap((r) => (r.messageId ? [r.messageId] : [])))];
  const userIds = [
    ...new Set(rows.flatMap((r) => (isMemberEvent(r) ? [storedPayload({ type: r.type, payload: r.payload }).userId] : []))),
  ];
  const needConversation = rows.some((r) => r.type === 'conversation.updated');
  const [loaded, users, conv] = await Promise.all([
    repos.messages.findByIdsWithExtras(messageIds, null),
    repos.users.findByIds(userIds),
    // Deleted or not: a replay of a group deleted since still shows its renames.
    needConversation ? repos.conversations.findByIdIncludingDeleted(rows[0]!.conversationId) : Promise.resolve(null),
  ]);
  const lastMessageId = conv ? (await repos.conversations.lastMessageIds([conv.id])).get(conv.id) : undefined;
  const lastRow = lastMessageId ? await repos.messages.findById(lastMessageId) : null;
  const lastMessage = lastRow ? await messages.presentSharedOne(lastRow) : null;
  const shown = messages.presentLoadedShared(loaded);
  const msgById = new Map(shown.map((m) => [m.id, m]));
  // Replies' events carry their root's summary as it is now.
  const rootIds = [...new Set(loaded.flatMap((l) => (l.row.threadId !== null ? [l.row.threadId] : [])))];
  const summaries = await repos.threads.summaries(rootIds);
  const threadOf = (m: MessageShared | undefined) => {
    if (!m?.threadId) return {};
    const t = summaries.get(m.threadId);
    return t ? { thread: presentThreadSummary(t) } : {};
  };
  const userById = new Map(users.map((u) => [u.id, u]));

  const out: ConversationEvent[] = [];
  for (const r of rows) {
    const head = { conversationId: r.conversationId, seq: r.seq, createdAt: r.createdAt.toISOString() };
    switch (r.type) {
      case 'message.created':
      case 'message.updated': {
        const m = r.messageId ? msgById.get(r.messageId) : undefined;
        if (m && r.type === 'message.created') out.push({ type: r.type, ...head, message: m, ...threadOf(m) });
        else if (m) out.push({ type: r.type, ...head, message: m });
        break;
      }
      case 'message.deleted': {
        const m = r.messageId ? msgById.get(r.messageId) : undefined;
        out.push({ type: r.type, ...head, messageId: r.messageId ?? '', ...(m?.threadId ? { threadId: m.threadId, ...threadOf(m) } : {}) });
        break;
      }
      case 'message.pinned':
        out.push({ type: r.type, ...head, messageId: r.messageId ?? '', pinnedBy: storedPayload({ type: r.type, payload: r.payload }).pinnedBy ?? null });
        break;
      case 'message.unpinned':
        out.push({ type: r.type, ...head, messageId: r.messageId ?? '' });
        break;
      case 'reaction.added':
      case 'reaction.removed': {
        const p = storedPayload({ type: r.type, payload: r.payload });
        out.push({ type: r.type, ...head, messageId: r.messageId ?? '', emoji: p.emoji, userId: p.userId });
        break;
      }
      case 'member.joined':
      case 'member.left':
      case 'member.updated': {
        const p = storedPayload({ type: r.type, payload: r.payload });
        const user = userById.get(p.userId);
        if (!user) break;
        const member = presentMember({ role: p.role, joinedAt: new Date(p.joinedAt), mutedUntil: p.mutedUntil ? new Date(p.mutedUntil) : null, addedBy: p.addedBy ?? null }, user, presence);
        const by = p.by ? { by: p.by } : {};
        if (r.type === 'member.left') out.push({ type: r.type, ...head, member, ...(p.reason ? { reason: p.reason } : {}), ...by });
        else if (r.type === 'member.updated') out.push({ type: r.type, ...head, member, ...by, ...(p.previousRole ? { previousRole: p.previousRole } : {}) });
        else out.push({ type: r.type, ...head, member });
        break;
      }
      case 'conversation.updated': {
        const p = storedPayload({ type: r.type, payload: r.payload });
        if (conv) out.push({ type: r.type, ...head, conversation: presentConversationShared(conv, lastMessage), ...(p.by ? { by: p.by } : {}), ...(p.changes ? { changes: p.changes } : {}) });
        break;
      }
      case 'conversation.deleted':
        out.push({ type: r.type, ...head });
        break;
    }
  }
  return out;
}

/** Publishes committed events and ephemeral frames to the bus, each with who it concerns. */
export class EventPublisher {
  constructor(
    private readonly repos: Pick<Repositories, 'conversations' | 'events' | 'members' | 'messages' | 'threads' | 'users'>,
    private readonly bus: Bus,
    private readonly presence: UserView,
    private readonly messages: MessagePresenter,
    private readonly logger: Logger,
  ) {}

  /** Renders committed event rows as they are now and publishes them. Never throws. */
  async publish(rows: readonly EventRow[], alsoNotify: readonly string[] = []): Promise<void> {
    if (rows.length === 0 || !this.bus.active) return;
    try {
      await this.publishEvents(rows[0]!.conversationId, await renderEvents(this.repos, this.presence, this.messages, rows), alsoNotify);
    } catch (err) {
      // The events are committed; a client that misses them catches up through sync.
      this.logger.warn({ err, conversationId: rows[0]!.conversationId }, 'publishing events failed');
    }
  }

  /**
   * Publishes already rendered events of one conversation to its members (read after commit, so
   * a member who just joined is included) and to `alsoNotify` (a member who just left). Never throws.
   */
  async publishEvents(conversationId: string, events: readonly ConversationEvent[], alsoNotify: readonly string[] = []): Promise<void> {
    if (events.length === 0 || !this.bus.active) return;
    try {
      const memberIds = await this.repos.members.userIds(conversationId);
      const scope = alsoNotify.length ? [...new Set([...memberIds, ...alsoNotify])] : memberIds;
      const trace = tracer()?.traceparent();
      this.bus.publishAll(events.map((event) => ({ kind: 'event', event, memberIds: scope, ...(trace ? { trace } : {}) })));
    } catch (err) {
      this.logger.warn({ err, conversationId }, 'publishing events failed');
    }
  }

  /** Publishes rendered events to members already known (a send's, listed under its lock). Never throws. */
  publishToMembers(memberIds: readonly string[], events: readonly ConversationEvent[]): void {
    if (events.length === 0 || !this.bus.active) return;
    try {
      const trace = tracer()?.traceparent();
      this.bus.publishAll(events.map((event) => ({ kind: 'event', event, memberIds, ...(trace ? { trace } : {}) })));
    } catch (err) {
      this.logger.warn({ err, conversationId: events[0]!.conversationId }, 'publishing events failed');
    }
  }

  /** A frame without seq for some users (minus one connection: the one it came from). */
  ephemeral(frame: EphemeralFrame, userIds: readonly string[], exceptConnectionId?: string): void {
    if (userIds.length === 0 || !this.bus.active) return;
    this.bus.publish({ kind: 'ephemeral', frame, userIds, exceptConnectionId });
  }

  /** A frame for every connection on every node (site-wide changes). */
  broadcast(frame: EphemeralFrame): void {
    if (this.bus.active) this.bus.publish({ kind: 'broadcast', frame });
  }

  /** Closes the sockets of a revoked token, on every node. */
  revoke(tokenHash: string): void {
    if (this.bus.active) this.bus.publish({ kind: 'revoke', tokenHash });
  }

  /** Closes every socket of a user (a deactivated account), on every node. */
  revokeUser(userId: string): void {
    if (this.bus.active) this.bus.publish({ kind: 'revoke-user', userId });
  }
}
