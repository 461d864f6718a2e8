/** Types of the realtime client: options, state, events, sends, and the WebSocket it needs. */
import type { Message, User } from '../protocol/entities.js';
import type { ConversationEvent } from '../protocol/events.js';
import type { ServerFrame } from '../protocol/frames.js';
import type { ApiError } from './errors.js';

/** A handler type checked bivariantly, so both the DOM's and `ws`'s event types fit it. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/**
 * What ParleyRealtime needs of a WebSocket: the browser's `WebSocket` and the `ws` package's
 * both fit. Text frames must arrive as strings (both do that for text).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `WebSocket` from 'ws' in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * - `connecting`: opening the socket and authenticating;
 * - `syncing`: ready, replaying what was missed (live events flow in order meanwhile);
 * - `online`: caught up;
 * - `offline`: disconnected, waiting to retry (see `retryAt`);
 * - `closed`: not started, stopped, or the token was refused (close code 4401; no retry).
 */
export type RealtimeState = 'connecting' | 'syncing' | 'online' | 'offline' | 'closed';

export interface BackoffOptions {
  /** First retry delay (before jitter). Default 500 ms. */
  minMs?: number;
  /** Longest delay. Default 30 s. */
  maxMs?: number;
  /** Random part of each delay, 0..1: delay × (1 − jitter × random). Default 0.5. */
  jitter?: number;
}

export interface HeartbeatOptions {
  /** Quiet time after which a `ping` frame is sent. Default 25 s. */
  intervalMs?: number;
  /** No frame at all this long after a ping (or while connecting): the socket is dead, reconnect. Default 10 s. */
  timeoutMs?: number;
}

export interface ParleyRealtimeOptions {
  /** The socket URL, e.g. `wss://chat.example.org/api/v1/ws` (see `realtimeUrl()`). */
  url: string;
  /**
   * The bearer token sent in the `auth` frame (`setToken` changes it for the next connection);
   * '' = none: a browser page on the server's own origin is signed in by its session cookie.
   */
  token: string;
  /** Defaults to `globalThis.WebSocket`; Node 20 has none: pass `WebSocket` from 'ws'. */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  heartbeat?: HeartbeatOptions;
  /** Last seq seen per conversation, to resume from (same as calling `follow` for each). */
  cursors?: Record<string, number>;
  /** `message.send` frames awaiting an ack at once; the rest wait their turn. Default 32. */
  maxInFlight?: number;
  /** An unacked send is sent again (same clientMsgId) after this long on the same connection. Default 15 s. */
  ackTimeoutMs?: number;
}

export interface SendOptions {
  replyTo?: string | null;
  attachmentIds?: string[];
  /** Reply in the thread of this top-level message of the conversation. */
  threadId?: string | null;
  /** A thread reply also shown in the conversation. */
  alsoInConversation?: boolean;
  /** The idempotency key (≤ 64 characters); generated when absent. */
  clientMsgId?: string;
}

/** A send not acknowledged yet: for optimistic display. */
export interface PendingSend {
  conversationId: string;
  clientMsgId: string;
  body: string;
  replyTo: string | null;
  attachmentIds: string[];
  /** The thread it replies in (null: top-level). */
  threadId: string | null;
  alsoInConversation: boolean;
  /** When `send` was called (ms since the epoch). */
  createdAt: number;
  /** Times the frame was written to a socket. */
  attempts: number;
  /** The last retryable error, if any (the send is still being retried). */
  lastError: ApiError | null;
}

export interface SendHandle {
  clientMsgId: string;
  /**
   * The stored message, once acked. Rejects with an ApiError for a refusal that retrying cannot
   * fix (validation_failed, forbidden, muted, not_found, payload_too_large, ...), with code
   * `cancelled` after `cancel()`, or `stopped` after `stop()`.
   */
  done: Promise<Message>;
}

export type TypingFrame = Extract<ServerFrame, { type: 'typing' }>;
export type PresenceFrame = Extract<ServerFrame, { type: 'presence' }>;
export type ReadReceiptFrame = Extract<ServerFrame, { type: 'read' }>;

/** Events of ParleyRealtime and their payloads. */
export interface RealtimeEvents {
  /** The state changed. */
  state: { state: RealtimeState; previous: RealtimeState };
  /** A connection was authenticated (`reconnect`: not the first connection of this client). */
  ready: {
    user: User;
    connectionId: string;
    reconnect: boolean;
    /** The server's protocol version and oldest supported one, and its release (absent from servers before 0.2). */
    protocol: number;
    minProtocol: number;
    serverVersion: string | null;
  };
  /**
   * After a reconnect (any ready but the first, also after `stop` and `start`), once ready: the app should refetch GET /conversations to learn of
   * conversations joined, left or deleted meanwhile (CONTRACT.md), and `follow` new ones.
   */
  reconnected: { user: User; connectionId: string };
  /**
   * The sync after a (re)connect finished: everything missed was delivered; state is `online`.
   * `skipped`: followed conversations the server refused to sync (no longer a member); they are unfollowed.
   */
  synced: { reconnect: boolean; skipped: string[] };
  /** A conversation event: per conversation, each once and in seq order with no gap. */
  event: ConversationEvent;
  typing: TypingFrame;
  presence: PresenceFrame;
  /** The caller's read pointer moved on another device, or a direct peer read. */
  read: ReadReceiptFrame;
  /** Retention made the expired messages before `beforeSeq` tombstones (no seq of its own). */
  purged: { type: 'messages.purged'; conversationId: string; beforeSeq: number };
  /** A user's profile changed (name, avatar) or the account was erased: someone sharing a conversation with this user, or the user. */
  userUpdated: Extract<ServerFrame, { type: 'user.updated' }>;
  /** The user's notification level or mute in a conversation changed (on any of the user's devices). */
  notifications: Extract<ServerFrame, { type: 'notifications.updated' }>;
  /** A group was created with this user among its founders: list it (its events follow without a sync). */
  conversationCreated: Extract<ServerFrame, { type: 'conversation.created' }>;
  /** The user's following or read pointer of a thread changed (on any of the user's devices). */
  threadState: Extract<ServerFrame, { type: 'thread.state' }>;
  commandResponse: Extract<ServerFrame, { type: 'command.response' }>;
  /** The user's draft of a conversation changed on another of their connections (an empty body: deleted). */
  draftUpdated: Extract<ServerFrame, { type: 'draft.updated' }>;
  /** A site admin added or deleted a custom emoji (every connection on the site gets it). */
  emojiChanged: Extract<ServerFrame, { type: 'emoji.created' | 'emoji.deleted' }>;
  /** A send was stored and acknowledged (its `done` resolves with the same message). */
  ack: { clientMsgId: string; message: Message };
  /** A send was refused for good (its `done` rejects with the same error). */
  sendFailed: { conversationId: string; clientMsgId: string; error: ApiError };
  /**
   * The connection closed or was given up, and the client will try again at `retryAt` (state
   * `offline`). `message` says why in words an app can show (the server's own explanation when it
   * sent one); `attempt` counts the attempts in a row that made no progress (the backoff grows
   * with it). Close 4008: this client did not keep up; 4429: too many connections for the account.
   */
  disconnected: { code: number; reason: string; message: string; retryAt: number | null; attempt: number };
  /** The token was refused (close 4401): state is `closed`; call `setToken` and `start` again. */
  authFailed: { code: number; reason: string };
  /**
   * The server no longer speaks this client's protocol (close 4426, after a server upgrade): state
   * is `closed` and the client does not retry; the app must reload (a newer client).
   */
  outdated: { code: number; reason: string; message: string | null };
  /** A problem worth reporting that the client handles itself (error frames without an owner, bad frames, a listener that threw). */
  error: Error;
  /** Every frame the server sends, parsed, before any handling (debugging, future frame types). */
  frame: Record<string, unknown>;
}

export type RealtimeEventName = keyof RealtimeEvents;
export type Listener<K extends RealtimeEventName> = (payload: RealtimeEvents[K]) => void;
