/**
 * The typed Parley client: REST (`ParleyApi`) and WebSocket (`ParleyRealtime`), for the web
 * client, bots and other apps. Runs in browsers and in Node 20: nothing here imports Node
 * modules; `fetch` and the WebSocket constructor are options that default to globalThis's
 * (Node has no global WebSocket: pass `WebSocket` from 'ws').
 *
 * ```ts
 * import WebSocket from 'ws'; // Node only; browsers use the global one
 * import { ParleyApi, ParleyRealtime, realtimeUrl } from './client/index.js';
 *
 * const api = new ParleyApi({ baseUrl: 'http://127.0.0.1:3000' }); // '' in the browser: same origin
 * const { user } = await api.login({ username: 'ada', password: '…' }); // the token is kept by `api`
 * const conversations = await api.listAllConversations();
 *
 * const rt = new ParleyRealtime({ url: realtimeUrl(api.baseUrl), token: api.token!, WebSocket });
 * for (const c of conversations) rt.follow(c.id, c.lastSeq); // resume from what the list showed
 * rt.on('event', (ev) => { ... });            // each conversation's events once, in seq order, no gap
 * rt.on('reconnected', () => { ... });         // refetch GET /conversations, follow new ones
 * rt.on('state', ({ state }) => { ... });      // connecting | syncing | online | offline | closed
 * rt.on('authFailed', () => { ... });          // token refused (4401): sign in again
 * rt.start();
 *
 * const { clientMsgId, done } = rt.send(conversationId, 'hello'); // queued offline, retried until acked
 * rt.pending();                                // unacked sends, for optimistic display
 * const message = await done;                  // the stored Message (or an ApiError)
 * ```
 *
 * REST failures reject with `ApiError` { status, code, message, details?, retryAfter? }; a
 * request that got no answer has status 0 and code 'network_error'.
 *
 * ParleyApi methods (all under /api/v1): register, login, logout, me, updateMe, getUser,
 * searchUsers, createGroup, listGroups, getGroup, updateGroup, deleteGroup, listMembers,
 * addMember, setMemberRole, removeMember, leaveGroup, listAddBlocks, blockAdds, unblockAdds,
 * listConversations, listAllConversations, openDirect,
 * getConversation, history, events, markRead, sendMessage, getMessage, editMessage,
 * deleteMessage, addReaction, removeReaction, searchMessages, upload, uploadUrl, resolveUrl,
 * listEmoji (ETag-aware), addEmoji, deleteEmoji,
 * fetchUpload, request (any other path), setToken, token, baseUrl.
 *
 * ParleyRealtime: start, stop, reconnectNow, setToken, state, user, retryAt, on (returns an
 * unsubscribe function), follow, unfollow, cursor, cursors, send, pending, cancel, typing, read.
 * Events (RealtimeEvents): state, ready, reconnected, synced, event, typing, presence, read, ack,
 * sendFailed, disconnected (why, and when it retries), authFailed, error, frame. Use one instance per signed-in user: cursors and
 * pending sends belong to that user.
 */
export { ApiError, NETWORK_ERROR, isRetryableCode, type ApiErrorInit } from './errors.js';
export {
  ParleyApi,
  type AuthResult,
  type ConversationPage,
  type CreateGroupInput,
  type EventPage,
  type EventsQuery,
  type FetchLike,
  type GroupListQuery,
  type GroupPage,
  type HistoryQuery,
  type LoginInput,
  type AddBlockPage,
  type MemberPage,
  type MessagePage,
  type PageQuery,
  type ParleyApiOptions,
  type RegisterInput,
  type SearchMessagesQuery,
  type SetStatusInput,
  type SearchPage,
  type SendMessageInput,
  type CommandInfo,
  type CommandResult,
  type ThreadPage,
  type ThreadRepliesQuery,
  type UpdateGroupInput,
  type Pin,
  type PostingPolicy,
  type MentionAllPolicy,
  type UpdateMeInput,
  type LoginSession,
  type SessionInfo,
  type UploadVariant,
  type UserPage,
  type StorageUsage,
  type ApiTokenInfo,
  type CreateTokenInput,
  type SiteStorage,
  type UserSearchQuery,
  type Visibility,
} from './api.js';
export { ParleyRealtime } from './realtime.js';
export { realtimeUrl } from './link.js';
export { CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_CONNECTIONS, describeClose } from './close-reasons.js';
export { newClientMsgId } from './ids.js';
export type {
  BackoffOptions,
  HeartbeatOptions,
  Listener,
  ParleyRealtimeOptions,
  PendingSend,
  PresenceFrame,
  ReadReceiptFrame,
  RealtimeEventName,
  RealtimeEvents,
  RealtimeState,
  SendHandle,
  SendOptions,
  TypingFrame,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';
// The wire types, so an app needs only this module.
export type { Conversation, ConversationShared, LinkPreview, Locale, Me, Theme, Member, Message, MessageShared, Role, Thread, ThreadSummary, Upload, User } from '../protocol/entities.js';
export type { ConversationEvent, EventPayloads, EventType } from '../protocol/events.js';
export { TOKEN_SCOPES, DEFAULT_TOKEN_SCOPES, type TokenScope } from '../protocol/token-scopes.js';
export type { IncomingWebhook, SlashCommand } from '../protocol/rest-integrations.js';
export type { CustomEmoji } from '../protocol/custom-emoji.js';
export { STANDARD_EMOJI, CUSTOM_EMOJI_NAME, standardEmoji, shortcodeName } from '../protocol/emoji-names.js';
