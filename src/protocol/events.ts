/** Conversation events: the REST events feed and WebSocket frames share these shapes. */
import { Type, type Static } from 'typebox';
import { Id, Member, Message, Timestamp, type ConversationShared, type Role, type ThreadSummary } from './entities.js';

const base = { conversationId: Id, seq: Type.Integer(), createdAt: Timestamp };

/** The payload of each conversation event type, by type name. */
export interface EventPayloads {
  /** `thread`: for a reply in a thread, the root's summary after it (apply it to the root). */
  'message.created': { message: Message; thread?: ThreadSummary };
  'message.updated': { message: Message };
  /** `threadId` and `thread`: for a reply in a thread, its root and the root's summary after the deletion. */
  'message.deleted': { messageId: string; threadId?: string; thread?: ThreadSummary };
  /** `pinnedBy`: who pinned it (null once that account is gone). */
  'message.pinned': { messageId: string; pinnedBy: string | null };
  'message.unpinned': { messageId: string };
  'reaction.added': { messageId: string; emoji: string; userId: string };
  'reaction.removed': { messageId: string; emoji: string; userId: string };
  'member.joined': { member: Member };
  /**
   * `reason`: absent when the member left by themself; "removed" by an admin; "banned"; "erased"
   * (account erased). `by`: the admin who removed or banned them (absent in older events).
   */
  'member.left': { member: Member; reason?: 'removed' | 'banned' | 'erased'; by?: string };
  /** `by`: who changed the member; `previousRole`: present when the role changed (both absent in older events). */
  'member.updated': { member: Member; by?: string; previousRole?: Role };
  /**
   * `conversation` is the group as it is now; `changes` what this update set, with the values it
   * set, and `by` who made it (both absent in older events).
   */
  'conversation.updated': { conversation: ConversationShared; by?: string; changes?: ConversationChanges };
  'conversation.deleted': Record<never, never>;
}
export type EventType = keyof EventPayloads;

/** The group settings a conversation.updated set (only those it changed). */
export interface ConversationChanges {
  name?: string | null;
  description?: string | null;
  visibility?: 'public' | 'private' | null;
  postingPolicy?: 'everyone' | 'admins';
  mentionAllPolicy?: 'admins' | 'everyone' | 'nobody';
  historyVisibility?: 'all' | 'joined';
}

export type ConversationEvent = {
  [K in EventType]: { type: K; conversationId: string; seq: number; createdAt: string } & EventPayloads[K];
}[EventType];

/** A loose schema for documentation; the exact shapes are the TypeScript types above. */
export const ConversationEventSchema = Type.Object(
  {
    type: Type.String(),
    ...base,
    message: Type.Optional(Type.Unknown()),
    messageId: Type.Optional(Id),
    threadId: Type.Optional(Id),
    thread: Type.Optional(Type.Unknown()),
    emoji: Type.Optional(Type.String()),
    userId: Type.Optional(Id),
    pinnedBy: Type.Optional(Type.Union([Id, Type.Null()])),
    member: Type.Optional(Type.Unknown()),
    reason: Type.Optional(Type.String()),
    by: Type.Optional(Id),
    previousRole: Type.Optional(Type.String()),
    conversation: Type.Optional(Type.Unknown()),
    changes: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);
export type ConversationEventWire = Static<typeof ConversationEventSchema>;
