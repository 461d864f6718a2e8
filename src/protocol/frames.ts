/** WebSocket frames of CONTRACT.md: what clients send and what the server sends back. */
import { Type, type Static } from 'typebox';
import type { CustomEmoji } from './custom-emoji.js';
import type { Conversation, Message, User } from './entities.js';
import { MAX_ATTACHMENTS, MAX_SYNC_CURSORS, MESSAGE_BODY_MAX } from './limits.js';
import { ClientMsgId } from './rest.js';

export { MAX_FRAME_BYTES, MAX_SYNC_CURSORS, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './limits.js';

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

/** Frames without a seq, for some users only. */
export type EphemeralFrame =
  | { type: 'typing'; conversationId: string; userId: string }
  | { type: 'presence'; userId: string; online: boolean; lastSeenAt: string | null }
  | { type: 'read'; conversationId: string; userId: string; lastReadSeq: number }
  /** Retention turned the expired messages before `beforeSeq` into tombstones (to the members). */
  | { type: 'messages.purged'; conversationId: string; beforeSeq: number }
  /** The user's notification level or mute in a conversation changed (to that user's own connections, every device). */
  /** A user's profile changed, or the account was erased (to everyone sharing a conversation with them, and their own connections). */
  | { type: 'user.updated'; user: User }
  | { type: 'notifications.updated'; conversationId: string; level: 'default' | 'all' | 'mentions' | 'none'; muted: boolean }
  /**
   * A group was created with this user among its founders (to every founder's connections, the
   * creator's included): list it now. Creating a group writes no event (its first is seq 1), so
   * without this the founders would learn of it only from its first message. The conversation is
   * as each founder sees it: nothing unread, notifications at their default.
   */
  | { type: 'conversation.created'; conversation: Conversation }
  /** The user's following or reading of a thread changed (to that user's own connections, every device). */
  | { type: 'thread.state'; conversationId: string; rootId: string; following: boolean; lastReadSeq: number }
  /**
   * A custom slash command's integration answered the user who ran it, later, through the run's
   * response_url (to that user's own connections, every device; shown once, never stored).
   */
  | { type: 'command.response'; conversationId: string; command: string; text: string }
  /** The user's draft of a conversation changed (to that user's other connections; an empty body: deleted). */
  | { type: 'draft.updated'; conversationId: string; body: string; updatedAt: string }
  /** A site admin added a custom emoji (to every connection on the site). */
  | { type: 'emoji.created'; emoji: CustomEmoji }
  /** A site admin deleted a custom emoji (to every connection on the site): `:name:` shows as text again. */
  | { type: 'emoji.deleted'; name: string };

export type ServerFrame =
  | EphemeralFrame
  | { type: 'ready'; user: User; connectionId: string; protocol: number; minProtocol: number; serverVersion: string }
  | { type: 'ack'; id?: string | number; message: Message }
  | { type: 'error'; id?: string | number; error: { code: string; message: string; details?: unknown } }
  | { type: 'sync.done'; id?: string | number; hasMore: boolean; skipped?: string[] }
  | { type: 'pong'; id?: string | number };
