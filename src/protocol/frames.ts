/** WebSocket frames of CONTRACT.md: what clients send and what the server sends back. */
import { Type, type Static } from 'typebox';
import { CustomEmoji } from './custom-emoji.js';
import { Conversation, Id, Message, NotifyLevel, Nullable, Timestamp, User } from './entities.js';
import { MAX_ATTACHMENTS, MAX_SYNC_CURSORS, MESSAGE_BODY_MAX } from './limits.js';
import { ClientMsgId } from './rest.js';

export { MAX_FRAME_BYTES, MAX_SYNC_CURSORS, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './limits.js';

/** The gateway's path: `GET` it with a WebSocket upgrade. */
export const WS_PATH = '/api/v1/ws';

const CorrelationId = Type.Union([Type.String({ maxLength: 128 }), Type.Number()]);
const ConvId = Type.String({ maxLength: 64 });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Cursors = Type.Record(Type.String({ maxLength: 64 }), Seq, { maxProperties: MAX_SYNC_CURSORS });

export const AuthFrame = Type.Object({
  type: Type.Literal('auth'),
  /** A bearer token; absent or null: the web client's session cookie of the upgrade request (same Origin only). */
  token: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])),
  cursors: Type.Optional(Cursors),
  /** The protocol version the client speaks; absent = 1. Older than the server's minimum: close 4426. */
  protocol: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
});
export type AuthFrame = Static<typeof AuthFrame>;

export const MessageSendFrame = Type.Object({
  type: Type.Literal('message.send'),
  id: Type.Optional(CorrelationId),
  conversationId: ConvId,
  body: Type.String({ maxLength: MESSAGE_BODY_MAX * 2 }),
  clientMsgId: ClientMsgId,
  replyTo: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  attachmentIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_ATTACHMENTS })),
  threadId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  alsoInConversation: Type.Optional(Type.Boolean()),
});
export type MessageSendFrame = Static<typeof MessageSendFrame>;

export const TypingFrame = Type.Object({ type: Type.Literal('typing'), id: Type.Optional(CorrelationId), conversationId: ConvId });
export type TypingFrame = Static<typeof TypingFrame>;

export const ReadFrame = Type.Object({ type: Type.Literal('read'), id: Type.Optional(CorrelationId), conversationId: ConvId, seq: Seq });
export type ReadFrame = Static<typeof ReadFrame>;

export const SyncFrame = Type.Object({ type: Type.Literal('sync'), id: Type.Optional(CorrelationId), cursors: Cursors });
export type SyncFrame = Static<typeof SyncFrame>;

export const PingFrame = Type.Object({ type: Type.Literal('ping'), id: Type.Optional(CorrelationId) });
export type PingFrame = Static<typeof PingFrame>;

/** Client frames after `auth`, by type. */
export const CLIENT_FRAMES = {
  'message.send': MessageSendFrame,
  typing: TypingFrame,
  read: ReadFrame,
  sync: SyncFrame,
  ping: PingFrame,
} as const;
export type ClientFrameType = keyof typeof CLIENT_FRAMES;
export type ClientFrame = { [K in ClientFrameType]: Static<(typeof CLIENT_FRAMES)[K]> }[ClientFrameType];

const closed = { additionalProperties: false } as const;
const ReplyId = Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'The `id` of the client frame this answers' }));

/** Frames without a seq, for some users only, by type. */
export const EPHEMERAL_FRAMES = {
  typing: Type.Object({ type: Type.Literal('typing'), conversationId: Id, userId: Id }, closed),
  presence: Type.Object({ type: Type.Literal('presence'), userId: Id, online: Type.Boolean(), lastSeenAt: Nullable(Timestamp) }, closed),
  read: Type.Object({ type: Type.Literal('read'), conversationId: Id, userId: Id, lastReadSeq: Type.Integer() }, closed),
  /** Retention turned the expired messages before `beforeSeq` into tombstones (to the members). */
  'messages.purged': Type.Object({ type: Type.Literal('messages.purged'), conversationId: Id, beforeSeq: Type.Integer() }, closed),
  /** A user's profile changed, or the account was erased (to everyone sharing a conversation with them, and their own connections). */
  'user.updated': Type.Object({ type: Type.Literal('user.updated'), user: User }, closed),
  /** The user's notification level or mute in a conversation changed (to that user's own connections, every device). */
  'notifications.updated': Type.Object({ type: Type.Literal('notifications.updated'), conversationId: Id, level: NotifyLevel, muted: Type.Boolean() }, closed),
  /**
   * A group was created with this user among its founders (to every founder's connections, the
   * creator's included): list it now. Creating a group writes no event (its first is seq 1), so
   * without this the founders would learn of it only from its first message. The conversation is
   * as each founder sees it: nothing unread, notifications at their default.
   */
  'conversation.created': Type.Object({ type: Type.Literal('conversation.created'), conversation: Conversation }, closed),
  /** The user's following or reading of a thread changed (to that user's own connections, every device). */
  'thread.state': Type.Object({ type: Type.Literal('thread.state'), conversationId: Id, rootId: Id, following: Type.Boolean(), lastReadSeq: Type.Integer() }, closed),
  /**
   * A custom slash command's integration answered the user who ran it, later, through the run's
   * response_url (to that user's own connections, every device; shown once, never stored).
   */
  'command.response': Type.Object({ type: Type.Literal('command.response'), conversationId: Id, command: Type.String(), text: Type.String() }, closed),
  /** The user's draft of a conversation changed (to that user's other connections; an empty body: deleted). */
  'draft.updated': Type.Object({ type: Type.Literal('draft.updated'), conversationId: Id, body: Type.String(), updatedAt: Timestamp }, closed),
  /** A site admin added a custom emoji (to every connection on the site). */
  'emoji.created': Type.Object({ type: Type.Literal('emoji.created'), emoji: CustomEmoji }, closed),
  /** A site admin deleted a custom emoji (to every connection on the site): `:name:` shows as text again. */
  'emoji.deleted': Type.Object({ type: Type.Literal('emoji.deleted'), name: Type.String() }, closed),
} as const;
type EphemeralSchemas = typeof EPHEMERAL_FRAMES;
export type EphemeralFrame = { [K in keyof EphemeralSchemas]: Static<EphemeralSchemas[K]> }[keyof EphemeralSchemas];

/** The server's answers and its handshake frame, by type. */
export const REPLY_FRAMES = {
  ready: Type.Object(
    { type: Type.Literal('ready'), user: User, connectionId: Type.String(), protocol: Type.Integer(), minProtocol: Type.Integer(), serverVersion: Type.String() },
    { ...closed, description: 'The answer to a valid `auth`: the connection is open for the other frames' },
  ),
  ack: Type.Object({ type: Type.Literal('ack'), id: ReplyId, message: Message }, { ...closed, description: 'A `message.send` was stored' }),
  error: Type.Object(
    {
      type: Type.Literal('error'),
      id: ReplyId,
      error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }, closed),
    },
    { ...closed, description: 'A client frame was refused; the connection stays open' },
  ),
  'sync.done': Type.Object(
    { type: Type.Literal('sync.done'), id: ReplyId, hasMore: Type.Boolean(), skipped: Type.Optional(Type.Array(Type.String())) },
    { ...closed, description: 'The events a `sync` (or the auth cursors) asked for were all sent' },
  ),
  pong: Type.Object({ type: Type.Literal('pong'), id: ReplyId }, { ...closed, description: 'The answer to a `ping`' }),
} as const;
type ReplySchemas = typeof REPLY_FRAMES;

/** Every frame the server sends that is not a conversation event, by type. */
export const SERVER_FRAMES = { ...EPHEMERAL_FRAMES, ...REPLY_FRAMES } as const;

export type ServerFrame = EphemeralFrame | { [K in keyof ReplySchemas]: Static<ReplySchemas[K]> }[keyof ReplySchemas];
