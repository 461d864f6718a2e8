/** ParleyApi: one typed method per REST endpoint of CONTRACT.md, over `fetch`. */
import type { TokenScope } from '../protocol/token-scopes.js';
import type { Conversation, Locale, Me, Theme, Member, Message, Role, Thread, Upload, User } from '../protocol/entities.js';
import type { ConversationEvent } from '../protocol/events.js';
import type { CommandInfo, CommandResult, IncomingWebhook, SlashCommand } from '../protocol/rest-integrations.js';
import type { CustomEmoji } from '../protocol/custom-emoji.js';
import { ApiError, NETWORK_ERROR, codeForStatus } from './errors.js';

/** The `fetch` this client calls: the global one, or any compatible function (tests, proxies). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ParleyApiOptions {
  /** Origin (and optional path prefix) of the server, e.g. `https://chat.example.org`; '' = same origin (browser). */
  baseUrl?: string;
  /** Bearer token (from register/login, or an API token for bots). */
  token?: string | null;
  /** Defaults to `globalThis.fetch`, looked up at each call. */
  fetch?: FetchLike;
  /**
   * `cookie` (a web page on the server's own origin): sign-ins ask for the HttpOnly session
   * cookie instead of a token, and requests that change something carry the session's
   * X-CSRF-Token (learnt from the sign-in or `session()`). Default `bearer`.
   */
  session?: 'bearer' | 'cookie';
  /** The CSRF token of a cookie session already known. */
  csrfToken?: string | null;
}

export interface AuthResult {
  user: User;
  /** The bearer token; '' for a cookie session (the token is in the HttpOnly cookie). */
  token: string;
  /** A cookie session's CSRF token. */
  csrfToken?: string;
}
/** GET /auth/session: who is signed in, and the CSRF token of the session; nulls when nobody is. */
export interface SessionInfo {
  user: Me | null;
  csrfToken: string | null;
}
/** A login session (device) of GET /users/me/sessions. */
export interface LoginSession {
  id: string;
  /** The session of this client. */
  current: boolean;
  kind: 'session';
  /** "Chrome on Linux", "Parley API client"... */
  device: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string | null;
  cookie: boolean;
}
export interface RegisterInput {
  username: string;
  password: string;
  displayName?: string;
  /** Required when sign-up is limited to e-mail domains; used for password resets. */
  email?: string;
  /** Required when sign-up is invite-only. */
  inviteCode?: string;
}
export interface LoginInput {
  username: string;
  password: string;
}
export interface UpdateMeInput {
  displayName?: string;
  /** An upload id to use as avatar, or null to remove it. */
  avatarUploadId?: string | null;
  /** The language of the web client, e-mails and pushes. */
  locale?: Locale;
  /** The web client's colour theme. */
  theme?: Theme;
}
/** `cursor` is a previous page's `nextCursor`; `limit` defaults to 50, at most 100. */
export interface PageQuery {
  cursor?: string;
  limit?: number;
}
export interface UserSearchQuery extends PageQuery {
  q?: string;
}
/** An API token as listed (the secret is shown only when it is created). */
export interface ApiTokenInfo {
  id: string;
  name: string;
  scopes: TokenScope[];
  createdAt: string;
  lastUsedAt: string;
  expiresAt?: string;
}

export interface CreateTokenInput {
  name: string;
  /** Refused after this many days; absent: never expires. */
  expiresInDays?: number;
  /** Absent: read and write. `read` is always included. */
  scopes?: TokenScope[];
}

/** GET /users/me/storage: what your uploads hold against your quota (null: none). */
export interface StorageUsage {
  usedBytes: number;
  files: number;
  quotaBytes: number | null;
}

/** GET /admin/storage (site admins): the site's stored bytes and the heaviest uploaders. */
export interface SiteStorage {
  storedBytes: number;
  quotaBytes: number | null;
  perUserQuotaBytes: number | null;
  users: { user: User; usedBytes: number; files: number }[];
  nextCursor: string | null;
}

export interface UserPage {
  users: User[];
  nextCursor: string | null;
}
export type Visibility = 'public' | 'private';
export interface CreateGroupInput {
  name: string;
  description?: string | null;
  /** Defaults to private. */
  visibility?: Visibility;
  memberIds?: string[];
  /** `admins`: an announcement group. Defaults to `everyone`. */
  postingPolicy?: PostingPolicy;
  /** Who may use @all / @here. Defaults to `admins`. */
  mentionAllPolicy?: MentionAllPolicy;
  /** What members added later read: `all` (the default) or `joined` (from their own member.joined on). */
  historyVisibility?: 'all' | 'joined';
}
export type PostingPolicy = 'everyone' | 'admins';
export type MentionAllPolicy = 'admins' | 'everyone' | 'nobody';
export interface UpdateGroupInput {
  name?: string;
  description?: string | null;
  visibility?: Visibility;
  postingPolicy?: PostingPolicy;
  mentionAllPolicy?: MentionAllPolicy;
  historyVisibility?: 'all' | 'joined';
}
/** A draft (GET /drafts, PUT /conversations/{id}/draft). */
export interface Draft {
  conversationId: string;
  body: string;
  updatedAt: string;
}
/** A pinned message (GET /conversations/{id}/pins). */
export interface Pin {
  message: Message;
  pinnedBy: string | null;
  pinnedAt: string;
}
export interface GroupListQuery extends PageQuery {
  /** `mine` (default): groups the caller belongs to; `public`: public groups. */
  scope?: 'mine' | 'public';
  q?: string;
}
export interface GroupPage {
  groups: Conversation[];
  nextCursor: string | null;
}
export interface MemberPage {
  members: Member[];
  nextCursor: string | null;
}

/** People who may not add the caller to groups (GET /users/me/add-blocks). */
export interface AddBlockPage {
  blocks: { user: User; createdAt: string }[];
  nextCursor: string | null;
}
export interface ConversationPage {
  conversations: Conversation[];
  nextCursor: string | null;
}
/** `before`/`after` are seqs (exclusive); neither = the newest page. */
export interface HistoryQuery {
  before?: number;
  after?: number;
  limit?: number;
  /** Leave out thread replies not also sent to the conversation (roots carry their `thread` summary). */
  collapseThreads?: boolean;
}
/** A thread's replies, paged like history. */
export interface ThreadRepliesQuery {
  before?: number;
  after?: number;
  limit?: number;
}
export interface ThreadPage {
  /** Followed threads, those with unread replies first, then by last reply, newest first. */
  threads: Thread[];
  nextCursor: string | null;
  /** Followed threads with unread replies, over all pages. */
  unreadThreads: number;
  /** Unread replies that mention the caller, over all followed threads. */
  unreadMentions: number;
}
export interface MessagePage {
  /** Ascending seq. */
  messages: Message[];
  hasMore: boolean;
}
export interface EventsQuery {
  after?: number;
  /** Only events with a smaller seq. */
  before?: number;
  /** Only these event types, comma-separated. */
  types?: string;
  limit?: number;
}
export interface EventPage {
  /** Ascending seq. */
  events: ConversationEvent[];
  hasMore: boolean;
}
export interface SendMessageInput {
  body: string;
  /** Idempotency key (≤ 64 chars): a repeat returns the stored message and creates nothing. */
  clientMsgId?: string | null;
  replyTo?: string | null;
  attachmentIds?: string[];
  /** Reply in the thread of this top-level message of the conversation. */
  threadId?: string | null;
  /** A thread reply also shown in the conversation. */
  alsoInConversation?: boolean;
}
/** A slash command the server runs, and what a run gives back. */
export type { CommandInfo, CommandResult };
/** PUT /users/me/status (SetStatusBody): null or absent clears that part. */
export interface SetStatusInput {
  text?: string | null;
  emoji?: string | null;
  /** ISO time when it goes away by itself; null: until cleared. */
  expiresAt?: string | null;
}
export interface SearchMessagesQuery extends PageQuery {
  /** Words, "quoted phrases" and filters: from:, in:, before:, after:, on:, has:, is: (docs/protocol.md#search). */
  q: string;
  conversationId?: string;
  /** IANA time zone of the before:/after:/on: days (default UTC). */
  tz?: string;
}
export interface SearchPage {
  /** Newest first. */
  messages: Message[];
  nextCursor: string | null;
}
export type UploadVariant = 'file' | 'thumbnail';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | undefined>;

const PREFIX = '/api/v1';

/**
 * The REST API of one server. Every method resolves with the contract's response body or rejects
 * with an ApiError (`status` 0 and `code` 'network_error' when no answer came).
 */
export class ParleyApi {
  readonly baseUrl: string;
  private tokenValue: string | null;
  private readonly fetchFn: FetchLike;
  private readonly cookieSession: boolean;
  private csrfValue: string | null;

  constructor(options: ParleyApiOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.tokenValue = options.token ?? null;
    this.cookieSession = options.session === 'cookie';
    this.csrfValue = options.csrfToken ?? null;
    const given = options.fetch;
    // Called as a plain function: browsers refuse `fetch` called on another `this`.
    this.fetchFn = given ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The bearer token sent with each request (null: none). */
  get token(): string | null {
    return this.tokenValue;
  }

  setToken(token: string | null): void {
    this.tokenValue = token;
  }

  /** The CSRF token sent as X-CSRF-Token on POST, PUT, PATCH and DELETE (cookie sessions). */
  get csrfToken(): string | null {
    return this.csrfValue;
  }

  // --- auth ---

  /** Creates an account; the returned token becomes this client's token. 409 `username_taken`. */
  async register(input: RegisterInput): Promise<AuthResult> {
    return this.signIn('/auth/register', input);
  }

  /** Signs in; the returned token becomes this client's token. 401 `invalid_credentials`. */
  async login(input: LoginInput): Promise<AuthResult> {
    return this.signIn('/auth/login', input);
  }

  private async signIn(path: string, input: object): Promise<AuthResult> {
    const body = this.cookieSession ? { ...input, session: 'cookie' } : input;
    const result = await this.request<AuthResult>('POST', path, { body, auth: false });
    this.tokenValue = result.token ?? null;
    this.csrfValue = result.csrfToken ?? null;
    return { ...result, token: result.token ?? '' };
  }

  /** Revokes the token (the server closes its sockets, and clears a session cookie) and forgets it here. */
  async logout(): Promise<void> {
    await this.request<void>('POST', '/auth/logout');
    this.tokenValue = null;
    this.csrfValue = null;
  }

  /** Who is signed in (by token or session cookie), with the session's CSRF token, which this client keeps; `user` null when nobody. */
  async session(): Promise<SessionInfo> {
    const info = await this.request<SessionInfo>('GET', '/auth/session');
    this.csrfValue = info.csrfToken;
    return info;
  }

  // --- sessions (devices) ---

  /** Your login sessions, oldest first (API tokens are not among them). */
  async listSessions(): Promise<LoginSession[]> {
    return (await this.request<{ sessions: LoginSession[] }>('GET', '/users/me/sessions')).sessions;
  }

  /** Signs one of your devices out: its requests get 401 and its sockets close. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.request<void>('DELETE', `/users/me/sessions/${seg(sessionId)}`);
  }

  /** Signs out every other device, keeping this one. */
  async revokeOtherSessions(): Promise<void> {
    await this.request<void>('DELETE', '/users/me/sessions');
  }

  // --- users ---

  /** You, with your e-mail address and chosen language. */
  me(): Promise<Me> {
    return this.request('GET', '/users/me');
  }

  updateMe(input: UpdateMeInput): Promise<Me> {
    return this.request('PATCH', '/users/me', { body: input });
  }

  /** Sets your status (text and/or emoji, until expiresAt or until cleared): PUT /users/me/status. */
  setStatus(input: SetStatusInput): Promise<User> {
    return this.request('PUT', '/users/me/status', { body: input });
  }

  clearStatus(): Promise<User> {
    return this.request('DELETE', '/users/me/status');
  }

  /** Do not disturb until then (an ISO time in the future, within a year): PUT /users/me/dnd. */
  setDnd(until: string): Promise<User> {
    return this.request('PUT', '/users/me/dnd', { body: { until } });
  }

  /** Ends the do not disturb you set (not your daily schedule). */
  clearDnd(): Promise<User> {
    return this.request('DELETE', '/users/me/dnd');
  }

  getUser(userId: string): Promise<User> {
    return this.request('GET', `/users/${seg(userId)}`);
  }

  // --- API tokens ---

  /** Your API tokens (the secrets are not listed). */
  async listTokens(): Promise<ApiTokenInfo[]> {
    return (await this.request<{ tokens: ApiTokenInfo[] }>('GET', '/users/me/tokens')).tokens;
  }

  /** A new API token; `token` is its secret, shown only here. */
  createToken(input: CreateTokenInput): Promise<ApiTokenInfo & { token: string }> {
    return this.request('POST', '/users/me/tokens', { body: input });
  }

  /** Revokes one of your API tokens, and every token it created. */
  async revokeToken(tokenId: string): Promise<void> {
    await this.request<void>('DELETE', `/users/me/tokens/${seg(tokenId)}`);
  }

  /** What your uploads (attached or not) hold, against your storage quota. */
  storageUsage(): Promise<StorageUsage> {
    return this.request('GET', '/users/me/storage');
  }

  /**
   * The site's custom emoji and the list's ETag; with the ETag of a list already held, null while
   * it is unchanged (304).
   */
  async listEmoji(etag?: string | null): Promise<{ emoji: CustomEmoji[]; etag: string | null } | null> {
    const res = await this.send('GET', `${this.baseUrl}${PREFIX}/emoji`, { headers: etag ? { 'if-none-match': etag } : {} });
    if (res.status === 304) return null;
    if (!res.ok) throw await errorOf(res);
    const body = (await res.json()) as { emoji: CustomEmoji[] };
    return { emoji: body.emoji, etag: res.headers.get('etag') };
  }

  /** Site admins: adds a custom emoji (PNG, GIF, JPEG or WebP; the server resizes it). */
  addEmoji(name: string, image: Blob): Promise<CustomEmoji> {
    const form = new FormData();
    // The name first: the server checks it before reading the image.
    form.append('name', name);
    form.append('file', image, 'emoji');
    return this.request('POST', '/emoji', { form });
  }

  /** Site admins: deletes a custom emoji (messages and reactions keep the `:name:` text). */
  async deleteEmoji(name: string): Promise<void> {
    await this.request<void>('DELETE', `/emoji/${seg(name)}`);
  }

  /** Site admins: stored bytes against the site quota, heaviest uploaders first. */
  siteStorage(query: PageQuery = {}): Promise<SiteStorage> {
    return this.request('GET', '/admin/storage', { query: { ...query } });
  }

  /** Users whose username or display name starts with `q`. */
  searchUsers(query: UserSearchQuery = {}): Promise<UserPage> {
    return this.request('GET', '/users', { query: { ...query } });
  }

  // --- groups ---

  /** Creates a group (private by default) with the caller as owner. */
  createGroup(input: CreateGroupInput): Promise<Conversation> {
    return this.request('POST', '/groups', { body: input });
  }

  listGroups(query: GroupListQuery = {}): Promise<GroupPage> {
    return this.request('GET', '/groups', { query: { ...query } });
  }

  getGroup(groupId: string): Promise<Conversation> {
    return this.request('GET', `/groups/${seg(groupId)}`);
  }

  /** Admins only. */
  updateGroup(groupId: string, input: UpdateGroupInput): Promise<Conversation> {
    return this.request('PATCH', `/groups/${seg(groupId)}`, { body: input });
  }

  /** Pinned messages, newest pin first. */
  async listPins(conversationId: string): Promise<Pin[]> {
    return (await this.request<{ pins: Pin[] }>('GET', `/conversations/${seg(conversationId)}/pins`)).pins;
  }

  /** Group admins, or either member of a direct conversation; idempotent. */
  async pin(conversationId: string, messageId: string): Promise<void> {
    await this.request<void>('PUT', `/conversations/${seg(conversationId)}/pins/${seg(messageId)}`);
  }

  /** The caller's drafts, in conversations they are still a member of. */
  async listDrafts(): Promise<Draft[]> {
    return (await this.request<{ drafts: Draft[] }>('GET', '/drafts')).drafts;
  }

  /**
   * Saves a draft (an empty body deletes it). `connectionId`: this client's WebSocket connection
   * (its `ready.connectionId`), not told of its own change; `keepalive` lets a save finish as the page unloads.
   */
  async saveDraft(conversationId: string, body: string, opts: { connectionId?: string; keepalive?: boolean } = {}): Promise<Draft> {
    const headers: Record<string, string> = opts.connectionId ? { 'x-parley-connection': opts.connectionId } : {};
    const res = await this.send('PUT', `${this.baseUrl}${PREFIX}/conversations/${seg(conversationId)}/draft`, { body: { body }, headers, keepalive: opts.keepalive });
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as Draft;
  }

  async unpin(conversationId: string, messageId: string): Promise<void> {
    await this.request<void>('DELETE', `/conversations/${seg(conversationId)}/pins/${seg(messageId)}`);
  }

  /** The owner only. */
  /** A new incoming webhook of a group (admins): its `url` is in this answer only. */
  createIncomingWebhook(groupId: string, name: string): Promise<IncomingWebhook & { url: string }> {
    return this.request('POST', `/groups/${seg(groupId)}/incoming-webhooks`, { body: { name } });
  }

  async listIncomingWebhooks(groupId: string): Promise<IncomingWebhook[]> {
    return (await this.request<{ webhooks: IncomingWebhook[] }>('GET', `/groups/${seg(groupId)}/incoming-webhooks`)).webhooks;
  }

  async revokeIncomingWebhook(groupId: string, hookId: string): Promise<void> {
    await this.request<void>('DELETE', `/groups/${seg(groupId)}/incoming-webhooks/${seg(hookId)}`);
  }

  /** A group's own slash command (admins); its signing secret is in this answer only. */
  createSlashCommand(groupId: string, input: { trigger: string; url: string; description?: string; usage?: string }): Promise<SlashCommand & { signingSecret: string }> {
    return this.request('POST', `/groups/${seg(groupId)}/commands`, { body: input });
  }

  async listSlashCommands(groupId: string): Promise<SlashCommand[]> {
    return (await this.request<{ commands: SlashCommand[] }>('GET', `/groups/${seg(groupId)}/commands`)).commands;
  }

  async deleteSlashCommand(groupId: string, commandId: string): Promise<void> {
    await this.request<void>('DELETE', `/groups/${seg(groupId)}/commands/${seg(commandId)}`);
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.request<void>('DELETE', `/groups/${seg(groupId)}`);
  }

  listMembers(groupId: string, query: PageQuery = {}): Promise<MemberPage> {
    return this.request('GET', `/groups/${seg(groupId)}/members`, { query: { ...query } });
  }

  /** Adds a user (an admin), or joins a public group (the caller's own id). Already a member: the membership. */
  addMember(groupId: string, userId: string): Promise<Member> {
    return this.request('POST', `/groups/${seg(groupId)}/members`, { body: { userId } });
  }

  /** The owner only; `owner` hands over ownership and makes the caller an admin. */
  setMemberRole(groupId: string, userId: string, role: Role): Promise<Member> {
    return this.request('PATCH', `/groups/${seg(groupId)}/members/${seg(userId)}`, { body: { role } });
  }

  /** Leaves (own id) or removes a member (an admin over a plain member). */
  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.request<void>('DELETE', `/groups/${seg(groupId)}/members/${seg(userId)}`);
  }

  /** Leaves a group; `blockAdder`: whoever added the caller (Member.addedBy) may not add them to a group again. */
  async leaveGroup(groupId: string, myId: string, opts: { blockAdder?: boolean } = {}): Promise<void> {
    await this.request<void>('DELETE', `/groups/${seg(groupId)}/members/${seg(myId)}`, opts.blockAdder ? { query: { blockAdder: 'true' } } : {});
  }

  /** People who may not add the caller to groups. */
  listAddBlocks(query: PageQuery = {}): Promise<AddBlockPage> {
    return this.request('GET', '/users/me/add-blocks', { query: { ...query } });
  }

  /** Refuses group adds by this person (their adds get 403 `add_blocked`); idempotent. */
  async blockAdds(userId: string): Promise<void> {
    await this.request<void>('PUT', `/users/me/add-blocks/${seg(userId)}`);
  }

  /** Lets this person add the caller to groups again; idempotent. */
  async unblockAdds(userId: string): Promise<void> {
    await this.request<void>('DELETE', `/users/me/add-blocks/${seg(userId)}`);
  }

  // --- conversations ---

  /** The caller's conversations, newest activity first. */
  listConversations(query: PageQuery = {}): Promise<ConversationPage> {
    return this.request('GET', '/conversations', { query: { ...query } });
  }

  /** Every conversation of the caller, all pages (what a client refetches after a reconnect). */
  async listAllConversations(): Promise<Conversation[]> {
    const out: Conversation[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.listConversations({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      out.push(...page.conversations);
      if (!page.nextCursor) return out;
      cursor = page.nextCursor;
    }
  }

  /** The one direct conversation with a user, created if needed. */
  openDirect(userId: string): Promise<Conversation> {
    return this.request('POST', '/conversations/direct', { body: { userId } });
  }

  getConversation(conversationId: string): Promise<Conversation> {
    return this.request('GET', `/conversations/${seg(conversationId)}`);
  }

  /** A page of messages in ascending seq: the newest page, or before/after a seq. */
  history(conversationId: string, query: HistoryQuery = {}): Promise<MessagePage> {
    const { collapseThreads, ...rest } = query;
    return this.request('GET', `/conversations/${seg(conversationId)}/messages`, { query: { ...rest, ...(collapseThreads ? { collapseThreads: 'true' } : {}) } });
  }

  /** The slash commands of a conversation (for the composer's suggestions). */
  async listCommands(conversationId: string): Promise<CommandInfo[]> {
    return (await this.request<{ commands: CommandInfo[] }>('GET', `/conversations/${seg(conversationId)}/commands`)).commands;
  }

  /** Runs a slash command: the message it sent, and a line for the caller alone (never stored). */
  runCommand(conversationId: string, input: { command: string; text?: string; clientMsgId?: string | null }): Promise<CommandResult> {
    return this.request('POST', `/conversations/${seg(conversationId)}/commands`, { body: input });
  }

  // --- threads ---

  /** Followed threads in the caller's conversations, unread first. */
  listThreads(query: PageQuery = {}): Promise<ThreadPage> {
    return this.request('GET', '/threads', { query: { ...query } });
  }

  /** A thread as the caller sees it (also a root without replies yet). */
  getThread(rootId: string): Promise<Thread> {
    return this.request('GET', `/threads/${seg(rootId)}`);
  }

  /** A page of a thread's replies in ascending seq: the newest page, or before/after a seq. */
  threadReplies(rootId: string, query: ThreadRepliesQuery = {}): Promise<MessagePage> {
    return this.request('GET', `/threads/${seg(rootId)}/messages`, { query: { ...query } });
  }

  followThread(rootId: string): Promise<Thread> {
    return this.request('PUT', `/threads/${seg(rootId)}/follow`);
  }

  unfollowThread(rootId: string): Promise<Thread> {
    return this.request('DELETE', `/threads/${seg(rootId)}/follow`);
  }

  /** Moves the caller's read pointer in a thread forward (never back). */
  async markThreadRead(rootId: string, seq: number): Promise<void> {
    await this.request<void>('POST', `/threads/${seg(rootId)}/read`, { body: { seq } });
  }

  /** The catch-up feed: conversation events after a seq, ascending. */
  events(conversationId: string, query: EventsQuery = {}): Promise<EventPage> {
    return this.request('GET', `/conversations/${seg(conversationId)}/events`, { query: { ...query } });
  }

  /** Moves the caller's read pointer forward (never back; clamped to the last seq). */
  async markRead(conversationId: string, seq: number): Promise<void> {
    await this.request<void>('POST', `/conversations/${seg(conversationId)}/read`, { body: { seq } });
  }

  /** Sends over HTTP (ParleyRealtime.send is the WebSocket way, with retries). A repeated clientMsgId returns the stored message. */
  sendMessage(conversationId: string, input: SendMessageInput): Promise<Message> {
    return this.request('POST', `/conversations/${seg(conversationId)}/messages`, { body: input });
  }

  // --- messages ---

  getMessage(messageId: string): Promise<Message> {
    return this.request('GET', `/messages/${seg(messageId)}`);
  }

  /** The sender only. */
  editMessage(messageId: string, body: string): Promise<Message> {
    return this.request('PATCH', `/messages/${seg(messageId)}`, { body: { body } });
  }

  /** The sender, or an admin of the group. */
  async deleteMessage(messageId: string): Promise<void> {
    await this.request<void>('DELETE', `/messages/${seg(messageId)}`);
  }

  /** The sender removes the preview of `url` from their message, or all its previews without it. */
  async removeLinkPreviews(messageId: string, url?: string): Promise<void> {
    await this.request<void>('DELETE', `/messages/${seg(messageId)}/previews`, url === undefined ? {} : { query: { url } });
  }

  /** Idempotent. */
  async addReaction(messageId: string, emoji: string): Promise<void> {
    await this.request<void>('PUT', `/messages/${seg(messageId)}/reactions/${seg(emoji)}`);
  }

  /** Idempotent. */
  async removeReaction(messageId: string, emoji: string): Promise<void> {
    await this.request<void>('DELETE', `/messages/${seg(messageId)}/reactions/${seg(emoji)}`);
  }

  /** Full-text search over the caller's conversations, newest first. */
  searchMessages(query: SearchMessagesQuery): Promise<SearchPage> {
    return this.request('GET', '/search/messages', { query: { ...query } });
  }

  // --- uploads ---

  /** Uploads a file (multipart field `file`); attach it by id to a message or use it as avatar. */
  upload(file: Blob, filename?: string): Promise<Upload> {
    const form = new FormData();
    const own = (file as unknown as { name?: unknown }).name;
    const name = filename ?? (typeof own === 'string' && own !== '' ? own : 'file');
    form.append('file', file, name);
    return this.request('POST', '/uploads', { form });
  }

  /**
   * An absolute URL for a server path such as `Upload.url` (a signed path that needs no
   * Authorization header): prefixed with `baseUrl` (unchanged when it is already absolute or baseUrl is '').
   */
  resolveUrl(path: string): string {
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return path;
    return `${this.baseUrl}${path}`;
  }

  /**
   * Where an upload's bytes are: the signed URL it carries (usable in `<img src>`), or for a bare
   * id the unsigned path, which needs the Authorization header (fetch it with `fetchUpload`).
   */
  uploadUrl(upload: Upload | string, variant: UploadVariant = 'file'): string {
    if (typeof upload !== 'string') {
      const signed = variant === 'thumbnail' ? (upload.thumbnailUrl ?? upload.url) : upload.url;
      return this.resolveUrl(signed);
    }
    return `${this.baseUrl}${PREFIX}/uploads/${seg(upload)}${variant === 'thumbnail' ? '/thumbnail' : ''}`;
  }

  /** An upload's bytes, with this client's token. */
  async fetchUpload(uploadId: string, variant: UploadVariant = 'file'): Promise<Blob> {
    const res = await this.send('GET', this.uploadUrl(uploadId, variant), {});
    if (!res.ok) throw await errorOf(res);
    return res.blob();
  }

  // --- plumbing ---

  /**
   * A request to any path under /api/v1 (endpoints this class has no method for yet), answering
   * the parsed JSON body, or undefined for 204.
   */
  async request<T>(
    method: Method,
    path: string,
    opts: { body?: unknown; form?: FormData; query?: Query; auth?: boolean; signal?: AbortSignal } = {},
  ): Promise<T> {
    const res = await this.send(method, `${this.baseUrl}${PREFIX}${path}${queryString(opts.query)}`, opts);
    if (!res.ok) throw await errorOf(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(
    method: Method,
    url: string,
    opts: { body?: unknown; form?: FormData; auth?: boolean; signal?: AbortSignal; headers?: Record<string, string>; keepalive?: boolean },
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.auth !== false && this.tokenValue) headers.authorization = `Bearer ${this.tokenValue}`;
    if (this.csrfValue && method !== 'GET') headers['x-csrf-token'] = this.csrfValue;
    let body: string | FormData | undefined;
    if (opts.form) body = opts.form;
    else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    try {
      return await this.fetchFn(url, { method, headers, ...(body === undefined ? {} : { body }), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.keepalive ? { keepalive: true } : {}) });
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err;
      throw new ApiError({ status: 0, code: NETWORK_ERROR, message: `${method} ${url} failed: ${(err as Error).message ?? String(err)}`, cause: err });
    }
  }
}

/** A path segment: ids and emoji are percent-encoded. */
function seg(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The ApiError of a non-2xx answer: the contract's error body when there is one. */
async function errorOf(res: Response): Promise<ApiError> {
  const retryAfterHeader = res.headers.get('retry-after');
  const retryAfter = retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader.trim()) ? Number(retryAfterHeader) : undefined;
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The body is not needed to report the status.
  }
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : codeForStatus(res.status);
  const message = typeof error?.message === 'string' ? error.message : `${res.status} ${res.statusText}`.trim();
  return new ApiError({
    status: res.status,
    code,
    message,
    ...(error?.details === undefined ? {} : { details: error.details }),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}
