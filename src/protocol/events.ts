/**
 * Conversation events: the REST events feed and WebSocket frames share these shapes. The schemas
 * are the source: the TypeScript types are derived from them, and /asyncapi.json is generated
 * from them. Events are additive: new optional fields may appear, so clients ignore unknown
 * fields; the server itself sends exactly these (the top level of each event is closed).
 */
import { Type, type Static } from 'typebox';
import { ConversationShared, Id, Member, MessageShared, Role, ThreadSummary, Timestamp, Visibility, PostingPolicy, MentionAllPolicy, HistoryVisibility } from './entities.js';

/** Every conversation event type, in the order the database's enum lists them. */
export const EVENT_TYPES = [
  'message.created',
  'message.pinned',
  'message.unpinned',
  'message.updated',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'member.joined',
  'member.left',
  'member.updated',
  'conversation.updated',
  'conversation.deleted',
] as const;

/** The group settings a conversation.updated set (only those it changed). */
export const ConversationChanges = Type.Object(
  {
    name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
    postingPolicy: Type.Optional(PostingPolicy),
    mentionAllPolicy: Type.Optional(MentionAllPolicy),
    historyVisibility: Type.Optional(HistoryVisibility),
  },
  { additionalProperties: false },
);
export type ConversationChanges = Static<typeof ConversationChanges>;

const event = <K extends (typeof EVENT_TYPES)[number], P extends Parameters<typeof Type.Object>[0]>(type: K, payload: P, description: string) =>
  Type.Object(
    { type: Type.Literal(type), conversationId: Id, seq: Type.Integer({ minimum: 1 }), createdAt: Timestamp, ...payload },
    { additionalProperties: false, description, title: type },
  );

/** One schema per event type. */
export const EVENT_SCHEMAS = {
  'message.created': event('message.created', { message: MessageShared, thread: Type.Optional(ThreadSummary) }, 'A message was sent. `thread`: for a reply in a thread, the root\'s summary after it (apply it to the root).'),
  'message.pinned': event('message.pinned', { messageId: Id, pinnedBy: Type.Union([Id, Type.Null()]) }, 'A message was pinned. `pinnedBy`: who pinned it (null once that account is gone).'),
  'message.unpinned': event('message.unpinned', { messageId: Id }, 'A message was unpinned.'),
  'message.updated': event('message.updated', { message: MessageShared }, 'A message was edited (or its previews changed): the message as it is now.'),
  'message.deleted': event(
    'message.deleted',
    { messageId: Id, threadId: Type.Optional(Id), thread: Type.Optional(ThreadSummary) },
    'A message was deleted. `threadId` and `thread`: for a reply in a thread, its root and the root\'s summary after the deletion.',
  ),
  'reaction.added': event('reaction.added', { messageId: Id, emoji: Type.String(), userId: Id }, 'A reaction was added.'),
  'reaction.removed': event('reaction.removed', { messageId: Id, emoji: Type.String(), userId: Id }, 'A reaction was removed.'),
  'member.joined': event('member.joined', { member: Member }, 'A member joined or was added.'),
  'member.left': event(
    'member.left',
    {
      member: Member,
      reason: Type.Optional(Type.Union([Type.Literal('removed'), Type.Literal('banned'), Type.Literal('erased')])),
      by: Type.Optional(Id),
    },
    '`reason`: absent when the member left by themself; "removed" by an admin; "banned"; "erased" (account erased). `by`: the admin who removed or banned them (absent in older events).',
  ),
  'member.updated': event('member.updated', { member: Member, by: Type.Optional(Id), previousRole: Type.Optional(Role) }, '`by`: who changed the member; `previousRole`: present when the role changed (both absent in older events).'),
  'conversation.updated': event(
    'conversation.updated',
    { conversation: ConversationShared, by: Type.Optional(Id), changes: Type.Optional(ConversationChanges) },
    '`conversation` is the group as it is now; `changes` what this update set, with the values it set, and `by` who made it (both absent in older events).',
  ),
  'conversation.deleted': event('conversation.deleted', {}, 'The group was deleted.'),
} as const;

export type EventType = (typeof EVENT_TYPES)[number];
type EventSchemas = typeof EVENT_SCHEMAS;
/** One conversation event, any type. */
export type ConversationEvent = { [K in EventType]: Static<EventSchemas[K]> }[EventType];
/** The payload of each conversation event type, by type name (the event without its head). */
export type EventPayloads = { [K in EventType]: Omit<Static<EventSchemas[K]>, 'type' | 'conversationId' | 'seq' | 'createdAt'> };

/** The strict schema of any conversation event. */
export const ConversationEventSchema = Type.Union(EVENT_TYPES.map((t) => EVENT_SCHEMAS[t]) as unknown as [EventSchemas[EventType]], {
  description: 'A conversation event (one of the per-type schemas)',
});
export type ConversationEventWire = ConversationEvent;
