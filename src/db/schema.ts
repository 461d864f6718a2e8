/**
 * The one definition of Parley's data model. drizzle-kit generates the migrations from it
 * (`npm run db:generate`); repositories query through it.
 */
import { sql } from 'drizzle-orm';
import { EVENT_TYPES } from '../protocol/events.js';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
/**
 * A creation time set by the app, at millisecond precision: such columns are cursor keys, and a
 * cursor round-trips through a JS Date (PostgreSQL's now() has microseconds).
 */
const createdTstz = (name: string) =>
  tstz(name)
    .notNull()
    .defaultNow()
    .$defaultFn(() => new Date());
const seqCol = (name: string) => bigint(name, { mode: 'number' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    /** argon2id; null for a bot, which signs in with API tokens only. */
    passwordHash: text('password_hash'),
    avatarUploadId: uuid('avatar_upload_id'),
    createdAt: createdTstz('created_at'),
    lastSeenAt: tstz('last_seen_at'),
    /** A site admin: deactivates accounts, sees every group, reads the audit log. */
    siteAdmin: boolean('site_admin').notNull().default(false),
    /** A bot account: no password, API tokens only; managed by its owner. */
    bot: boolean('bot').notNull().default(false),
    botOwnerId: uuid('bot_owner_id'),
    /** A deactivated account cannot sign in; its tokens were revoked when it was deactivated. */
    deactivatedAt: tstz('deactivated_at'),
    /** For password resets, invites by domain and the e-mail digest; unique case-insensitively. */
    email: text('email'),
    /** Erased at its owner's request: a "deleted user" tombstone (no name, password, e-mail or files). */
    erasedAt: tstz('erased_at'),
    /** Notification preferences (e-mail digest on/off and delay, push on/off); absent keys take the defaults. */
    notificationPrefs: jsonb('notification_prefs').$type<Record<string, unknown>>().notNull().default({}),
    /** When the last e-mail digest of unread mentions was sent: mentions before it are not sent again. */
    lastDigestAt: tstz('last_digest_at'),
    /** A status shown next to the name (text and/or emoji), until it expires (null: until cleared). */
    statusText: text('status_text'),
    statusEmoji: text('status_emoji'),
    statusExpiresAt: tstz('status_expires_at'),
    /** Do not disturb until then (pushes and e-mail held); a daily schedule lives in notification_prefs.dndSchedule. */
    dndUntil: tstz('dnd_until'),
    /** The language chosen for the web client, e-mails and pushes ('en' | 'zh-CN'); null: none chosen (the browser's, English for mail). */
    locale: text('locale'),
    /** The web client's colour theme ('system' | 'light' | 'dark'); 'system' follows the device. */
    theme: text('theme').default('system').notNull(),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').using('btree', sql`lower(${t.email})`).where(sql`${t.email} IS NOT NULL`),
    // The bots a user owns.
    index('users_bot_owner_idx').on(t.botOwnerId).where(sql`${t.botOwnerId} IS NOT NULL`),
    // Unique case-insensitively; text_pattern_ops serves the prefix search too.
    uniqueIndex('users_username_lower_key').using('btree', sql`lower(${t.username}) text_pattern_ops`),
    index('users_display_name_prefix_idx').using('btree', sql`lower(${t.displayName}) text_pattern_ops`),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the opaque token; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    /** `session`: from a login or sign-up; `api`: a long-lived API token (bots, scripts), named. */
    kind: text('kind', { enum: ['session', 'api'] }).notNull().default('session'),
    name: text('name'),
    createdAt: createdTstz('created_at'),
    lastUsedAt: tstz('last_used_at').notNull().defaultNow(),
    /** After this the token is refused; a login session's moves forward as it is used (sliding). Null: never. */
    expiresAt: tstz('expires_at'),
    /** The device a login came from, as its User-Agent and address said (for the sessions list). */
    userAgent: text('user_agent'),
    ip: text('ip'),
    /** A web client's session carried by the HttpOnly cookie (CSRF-checked), not a bearer token. */
    cookie: boolean('cookie').notNull().default(false),
    /** An API token's scopes (src/protocol/token-scopes.ts); null for a login session, which may do everything. */
    scopes: text('scopes').array(),
    /** The API token that created this one (a token with the `tokens` scope): revoking it revokes this too. */
    createdBy: uuid('created_by').references((): AnyPgColumn => sessions.id, { onDelete: 'cascade' }),
  },
  (t) => [
    uniqueIndex('sessions_token_hash_key').on(t.tokenHash),
    index('sessions_user_idx').on(t.userId, t.kind),
    // What a revoked token created, revoked with it.
    index('sessions_created_by_idx').on(t.createdBy).where(sql`${t.createdBy} IS NOT NULL`),
    // The sweep of expired sessions.
    index('sessions_expires_idx').on(t.expiresAt).where(sql`${t.expiresAt} IS NOT NULL`),
  ],
);

/** Invite links a site admin hands out when sign-up is invite-only. */
export const invites = pgTable(
  'invites',
  {
    id: uuid('id').primaryKey(),
    /** SHA-256 of the invite code; the code itself is shown once. */
    tokenHash: text('token_hash').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** Null: never expires. */
    expiresAt: tstz('expires_at'),
    /** Null: unlimited. */
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    createdAt: createdTstz('created_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [uniqueIndex('invites_token_hash_key').on(t.tokenHash), index('invites_newest_idx').on(t.createdAt, t.id)],
);

/** Password reset links sent by e-mail: single use, short-lived. */
export const passwordResets = pgTable(
  'password_resets',
  {
    /** SHA-256 of the code in the link. */
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: tstz('expires_at').notNull(),
    usedAt: tstz('used_at'),
    createdAt: createdTstz('created_at'),
  },
  (t) => [index('password_resets_user_idx').on(t.userId)],
);

/** Accounts linked to an external identity provider (OpenID Connect): one per (issuer, subject). */
export const userIdentities = pgTable(
  'user_identities',
  {
    /** The provider's issuer URL. */
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdTstz('created_at'),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject], name: 'user_identities_pkey' }), index('user_identities_user_idx').on(t.userId)],
);

/** Web Push subscriptions (one per browser): where to push when the user has no open socket. */
export const pushSubscriptions = pgTable(
  'push_subscriptions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The login session that registered it: logging out removes the subscription. */
    sessionId: uuid('session_id').references(() => sessions.id, { onDelete: 'cascade' }),
    endpoint: text('endpoint').notNull(),
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    userAgent: text('user_agent'),
    createdAt: createdTstz('created_at'),
    lastSuccessAt: tstz('last_success_at'),
    /** Pushes that failed in a row; the push service's 404/410 removes the subscription at once. */
    failures: integer('failures').notNull().default(0),
  },
  (t) => [uniqueIndex('push_subscriptions_endpoint_key').on(t.endpoint), index('push_subscriptions_user_idx').on(t.userId)],
);

/**
 * Notifications waiting to be sent (Web Push, e-mail): a durable queue any node may take from,
 * as webhook_deliveries. A node claims a row by setting `lockedUntil`; success deletes it.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: ['push', 'email'] }).notNull(),
    /** What to send (the push payload, or the e-mail's to/subject/text). */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    lockedUntil: tstz('locked_until'),
    createdAt: createdTstz('created_at'),
  },
  (t) => [index('notification_deliveries_due_idx').on(t.nextAttemptAt), index('notification_deliveries_user_idx').on(t.userId)],
);

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: ['group', 'direct'] }).notNull(),
    name: text('name'),
    description: text('description'),
    visibility: text('visibility', { enum: ['public', 'private'] }),
    /** "smallerUserId:largerUserId" for a direct conversation: one per pair. */
    directKey: text('direct_key'),
    lastSeq: seqCol('last_seq').notNull().default(0),
    memberCount: integer('member_count').notNull().default(0),
    createdAt: createdTstz('created_at'),
    lastActivityAt: createdTstz('last_activity_at'),
    deletedAt: tstz('deleted_at'),
    /** Who may post in a group: `admins` makes it an announcement group. */
    postingPolicy: text('posting_policy', { enum: ['everyone', 'admins'] }).notNull().default('everyone'),
    /** Who may notify the whole group with @all / @here. */
    mentionAllPolicy: text('mention_all_policy', { enum: ['admins', 'everyone', 'nobody'] })
      .notNull()
      .default('admins'),
    /** Messages older than this many days are deleted with their files; null: the site's setting. */
    retentionDays: integer('retention_days'),
    /**
     * Every message at or below this seq is a tombstone (deleted or purged): retention runs start
     * above it instead of walking the purged history again.
     */
    retentionFloorSeq: seqCol('retention_floor_seq').notNull().default(0),
    /**
     * What a group's members read of what came before they joined: `all` (the default, as in Slack
     * and Mattermost), or `joined`: from their own member.joined on.
     */
    historyVisibility: text('history_visibility', { enum: ['all', 'joined'] }).notNull().default('all'),
  },
  (t) => [
    uniqueIndex('conversations_direct_key_key').on(t.directKey),
    // GET /groups?scope=public: live public groups by name.
    index('conversations_public_by_name_idx')
      .using('btree', sql`lower(${t.name})`, t.id)
      .where(sql`${t.kind} = 'group' AND ${t.visibility} = 'public' AND ${t.deletedAt} IS NULL`),
    check('conversations_kind_shape', sql`(${t.kind} = 'group') = (${t.directKey} IS NULL)`),
  ],
);

export const members = pgTable(
  'members',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
    joinedAt: createdTstz('joined_at'),
    lastReadSeq: seqCol('last_read_seq').notNull().default(0),
    /**
     * The seq of the member.joined event that began this membership; 0 for the members a
     * conversation was created with. A connection's stream of the conversation starts there.
     */
    joinedSeq: seqCol('joined_seq').notNull().default(0),
    /** Set by a group admin: the member cannot send, edit or react until then. */
    mutedUntil: tstz('muted_until'),
    /** The member's own notification level here; `default`: all in a direct conversation, mentions in a group. */
    notifyLevel: text('notify_level', { enum: ['default', 'all', 'mentions', 'none'] })
      .notNull()
      .default('default'),
    /** Muted by the member: no notification of any kind, and the client leaves it out of unread badges. */
    notifyMuted: boolean('notify_muted').notNull().default(false),
    /** Who added this member (creating the group with them, or adding them); null when they joined themselves. */
    addedBy: uuid('added_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.userId], name: 'members_pkey' }),
    // The inbox and "my groups": a user's memberships.
    index('members_by_user_idx').on(t.userId, t.conversationId),
    // Member lists page by join order.
    index('members_list_idx').on(t.conversationId, t.joinedAt, t.userId),
  ],
);

/**
 * The inbox's index (issue 18): one row per membership, kept by the database (migration 0029's
 * triggers; the application never writes it). While a conversation has at most 64 members its
 * last_activity_at is copied onto each of its rows, so a user's conversations are read newest
 * first from member_activity_recent_idx instead of sorting every membership; a larger group's
 * rows hold null (a message there would otherwise rewrite a row per member) and are read apart
 * through member_activity_large_idx. Narrow, and apart from members, so that rewriting a copy
 * touches two small indexes and leaves the members rows (read pointers) to HOT updates.
 */
export const memberActivity = pgTable(
  'member_activity',
  {
    conversationId: uuid('conversation_id').notNull(),
    userId: uuid('user_id').notNull(),
    activityAt: tstz('activity_at'),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.userId], name: 'member_activity_pkey' }),
    foreignKey({ columns: [t.conversationId, t.userId], foreignColumns: [members.conversationId, members.userId], name: 'member_activity_member_fk' }).onDelete('cascade'),
    index('member_activity_recent_idx').on(t.userId, t.activityAt.desc(), t.conversationId.desc()).where(sql`activity_at IS NOT NULL`),
    index('member_activity_large_idx').on(t.userId).where(sql`activity_at IS NULL`),
  ],
);

/** A link preview as a message stores it; the image is a blob of the upload store, by key. */
export interface StoredLinkPreview {
  url: string;
  title: string | null;
  description: string | null;
  siteName: string | null;
  image: { key: string; width: number; height: number } | null;
}

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: seqCol('seq').notNull(),
    senderId: uuid('sender_id')
      .notNull()
      .references(() => users.id),
    clientMsgId: text('client_msg_id'),
    body: text('body').notNull(),
    replyToId: uuid('reply_to_id'),
    /** The root message's id when this message is a reply in a thread (threads are one level deep). */
    threadId: uuid('thread_id'),
    /** A thread reply also shown in the conversation (its timeline, unread counts, inbox preview). */
    alsoInConversation: boolean('also_in_conversation').notNull().default(false),
    mentions: uuid('mentions').array().notNull().default(sql`'{}'::uuid[]`),
    /** Search terms of the body: its words and, for Chinese and other CJK text, every bigram. */
    searchTerms: text('search_terms').array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdTstz('created_at'),
    editedAt: tstz('edited_at'),
    deletedAt: tstz('deleted_at'),
    /**
     * Link previews the server made after the send (link-previews.service.ts): null while none
     * were made; `[]` once the sender removed them all (never fetched again).
     */
    previews: jsonb('previews').$type<StoredLinkPreview[]>(),
  },
  (t) => [
    // History by conversation and seq; unread counts are a range of it.
    uniqueIndex('messages_history_key').on(t.conversationId, t.seq),
    // Idempotent sends: (conversation, sender, clientMsgId), for ever.
    // Message search: GIN over the terms (pg_trgm cannot index two-character Chinese words).
    index('messages_search_terms_idx').using('gin', t.searchTerms),
    // Search results come newest first.
    index('messages_created_idx').on(t.createdAt, t.id),
    uniqueIndex('messages_client_msg_id_key')
      .on(t.conversationId, t.senderId, t.clientMsgId)
      .where(sql`${t.clientMsgId} IS NOT NULL`),

    // A person's own messages, by conversation and seq: their data export and account erasure
    // with deleteMessages read them a page at a time from a position.
    index('messages_sender_idx').on(t.senderId, t.conversationId, t.seq),
    // A thread's replies by seq (paging, unread counts, summaries after a deletion).
    index('messages_thread_idx')
      .on(t.threadId, t.seq)
      .where(sql`${t.threadId} IS NOT NULL`),
  ],
);

/**
 * A thread's summary, kept by the send under the conversation's lock (migration 0018): one row
 * per root that has had a reply or a follower.
 */
export const threads = pgTable('threads', {
  rootId: uuid('root_id')
    .primaryKey()
    .references(() => messages.id, { onDelete: 'cascade' }),
  conversationId: uuid('conversation_id')
    .notNull()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  /** Live (not deleted) replies. */
  replyCount: integer('reply_count').notNull().default(0),
  lastReplyAt: tstz('last_reply_at'),
  lastReplySeq: seqCol('last_reply_seq').notNull().default(0),
  /** Repliers, most recent first (at most 10 kept). */
  participantIds: uuid('participant_ids').array().notNull().default(sql`'{}'::uuid[]`),
});

/** Who follows a thread (or chose not to), and how far they have read it. */
export const threadFollowers = pgTable(
  'thread_followers',
  {
    rootId: uuid('root_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /**
     * true: following; false: they unfollowed (a later reply of theirs, or a mention of them,
     * follows again; being the root's author does not); null: no choice yet (a row kept only for
     * the read pointer of someone who read the thread without following it).
     */
    following: boolean('following'),
    lastReadSeq: seqCol('last_read_seq').notNull().default(0),
    updatedAt: createdTstz('updated_at'),
  },
  (t) => [
    primaryKey({ columns: [t.rootId, t.userId], name: 'thread_followers_pkey' }),
    // A user's followed threads (the Threads view).
    index('thread_followers_user_idx')
      .on(t.userId, t.conversationId)
      .where(sql`${t.following}`),
  ],
);

/** The event types are the protocol's: one list (src/protocol/events.ts). */
export { EVENT_TYPES, type EventType } from '../protocol/events.js';

export const conversationEvents = pgTable(
  'conversation_events',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: seqCol('seq').notNull(),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    /** The message an event is about: replayed as it is now, never as it was. */
    messageId: uuid('message_id'),
    /** What cannot be read back later (a member who left, a reaction's emoji). */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdTstz('created_at'),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.seq], name: 'conversation_events_pkey' })],
);

/** Who a message mentions, by seq: unread mention counts are an index range after the read pointer. */
export const messageMentions = pgTable(
  'message_mentions',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: seqCol('seq').notNull(),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    /** The thread of a reply's mention (its root's id); null for a top-level message. */
    threadId: uuid('thread_id'),
    /** The mention is in a thread reply not also shown in the conversation: it counts in the thread, not the conversation. */
    threadOnly: boolean('thread_only').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.conversationId, t.seq], name: 'message_mentions_pkey' }),
    index('message_mentions_message_idx').on(t.messageId),
    // A user's unread mentions in one thread (the Threads view's counts): one range each.
    index('message_mentions_thread_idx')
      .on(t.userId, t.threadId, t.seq)
      .where(sql`${t.threadId} IS NOT NULL`),
  ],
);

export const reactions = pgTable(
  'reactions',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    emoji: text('emoji').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdTstz('created_at'),
  },
  (t) => [
    primaryKey({ columns: [t.messageId, t.emoji, t.userId], name: 'reactions_pkey' }),
    // A person's own reactions, a page at a time: their data export.
    index('reactions_user_idx').on(t.userId, t.messageId, t.emoji),
  ],
);

export const uploads = pgTable(
  'uploads',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The client's file name, cleaned (any script); never used as a path. */
    filename: text('filename').notNull(),
    /** Sniffed from the bytes, never taken from the client. */
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** Content hash: the storage key, shared by identical files. */
    sha256: text('sha256').notNull(),
    hasThumbnail: boolean('has_thumbnail').notNull().default(false),
    createdAt: createdTstz('created_at'),
    /** First attached to a message; uploads never attached are swept after a day. */
    attachedAt: tstz('attached_at'),
  },
  (t) => [
    // A person's own uploads by id, a page at a time: their data export.
    index('uploads_owner_idx').on(t.ownerId, t.id),
    index('uploads_sha256_idx').on(t.sha256),
    index('uploads_unattached_idx').on(t.createdAt).where(sql`${t.attachedAt} IS NULL`),
  ],
);

export const messageAttachments = pgTable(
  'message_attachments',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    uploadId: uuid('upload_id')
      .notNull()
      .references(() => uploads.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.messageId, t.uploadId], name: 'message_attachments_pkey' }),
    // "Is this upload attached somewhere the caller is a member?"
    index('message_attachments_upload_idx').on(t.uploadId),
  ],
);

/** Server-wide settings shared by every node (the URL signing secret). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** Who may not join a group again (until an admin lifts the ban). */
/**
 * A user's refusal to be added to groups by another user: `blockedUserId` may no longer add
 * `userId` to a group nor create a group with them (403 `add_blocked`).
 */
export const addBlocks = pgTable(
  'add_blocks',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    blockedUserId: uuid('blocked_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdTstz('created_at'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.blockedUserId], name: 'add_blocks_pkey' })],
);

export const bans = pgTable(
  'bans',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    bannedBy: uuid('banned_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdTstz('created_at'),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId], name: 'bans_pkey' })],
);

/**
 * Mutes by group admins, kept apart from membership so leaving and rejoining does not lift one;
 * members.muted_until is the copy sends check (set again when a muted user rejoins).
 */
export const mutes = pgTable(
  'mutes',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    until: tstz('until').notNull(),
    mutedBy: uuid('muted_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId], name: 'mutes_pkey' })],
);

/** Moderation and admin actions, newest first for site admins. Rows outlive who they name. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid('id').primaryKey(),
    /** Who acted; null for the system (or a user since erased). */
    actorId: uuid('actor_id'),
    /** `noun.verb` of what was done, e.g. `member.banned`, `user.deactivated`. */
    action: text('action').notNull(),
    targetUserId: uuid('target_user_id'),
    conversationId: uuid('conversation_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdTstz('created_at'),
  },
  // GET /admin/audit pages newest first by (createdAt, id).
  (t) => [index('audit_log_newest_idx').on(t.createdAt, t.id)],
);

/** Outgoing webhooks of a group: message.created is POSTed to `url`, signed with `secret`. */
export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    secret: text('secret').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdTstz('created_at'),
    /** Deliveries that failed in a row (every retry spent); past the limit the hook is disabled. */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    lastError: text('last_error'),
    lastDeliveredAt: tstz('last_delivered_at'),
    disabledAt: tstz('disabled_at'),
  },
  // The live hooks of a conversation, looked up after each message.
  (t) => [index('webhooks_conversation_idx').on(t.conversationId).where(sql`${t.disabledAt} IS NULL`)],
);

/**
 * Incoming webhooks (migration 0019): a secret URL that posts into a group as the hook's own
 * integration user (a bot account nobody signs in as, member of the group while the hook lives).
 * Only the key's SHA-256 is kept: the URL is shown once, when the hook is made.
 */
export const incomingWebhooks = pgTable(
  'incoming_webhooks',
  {
    id: uuid('id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** The integration user its messages come from. */
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdTstz('created_at'),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [
    uniqueIndex('incoming_webhooks_key_hash_key').on(t.keyHash),
    index('incoming_webhooks_conversation_idx').on(t.conversationId).where(sql`${t.revokedAt} IS NULL`),
  ],
);

/**
 * Custom slash commands (migration 0022): a group admin's `/trigger` that POSTs Slack's form to
 * `url`, signed with `secret` (kept as is: every run signs with it; shown once, at creation).
 * Replies "in_channel" post as the command's integration user (a bot account nobody signs in as,
 * member of the group while the command lives). Deleting one deletes the row and its invocations.
 */
export const slashCommands = pgTable(
  'slash_commands',
  {
    id: uuid('id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** The integration user its in-channel replies come from. */
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    trigger: text('trigger').notNull(),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    usage: text('usage').notNull().default(''),
    secret: text('secret').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdTstz('created_at'),
  },
  // One command per trigger in a group; also the group's list, in trigger order.
  (t) => [uniqueIndex('slash_commands_conversation_trigger_key').on(t.conversationId, t.trigger)],
);

/**
 * One run of a custom command: its `response_url` (only the key's SHA-256 kept) takes a few more
 * replies for a while (Slack's rule: 5 within 30 minutes), to the invoker alone or into the group.
 */
export const slashCommandInvocations = pgTable(
  'slash_command_invocations',
  {
    id: uuid('id').primaryKey(),
    commandId: uuid('command_id')
      .notNull()
      .references(() => slashCommands.id, { onDelete: 'cascade' }),
    /** Who ran it: ephemeral replies go to this user alone. */
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    keyHash: text('key_hash').notNull(),
    uses: integer('uses').notNull().default(0),
    createdAt: createdTstz('created_at'),
    expiresAt: tstz('expires_at').notNull(),
  },
  (t) => [
    uniqueIndex('slash_command_invocations_key_hash_key').on(t.keyHash),
    // Expired invocations are swept by age.
    index('slash_command_invocations_expires_idx').on(t.expiresAt),
  ],
);

/**
 * Webhook deliveries waiting or being retried: a durable queue any node may take from, so a
 * restart loses none. A node claims a row by setting `lockedUntil`; success deletes it.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    /** The message it announces: a message deleted before delivery is not sent. */
    messageId: uuid('message_id'),
    /** The exact JSON body POSTed (and signed). */
    body: text('body').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    lockedUntil: tstz('locked_until'),
    createdAt: createdTstz('created_at'),
  },
  // Due deliveries, oldest first.
  (t) => [
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt),
    // A hook's queue (deleted with it, emptied when it is disabled), and a deleted message's deliveries.
    index('webhook_deliveries_webhook_idx').on(t.webhookId),
    index('webhook_deliveries_message_idx').on(t.messageId),
  ],
);

/** Pinned messages of a conversation, newest pin first. */
export const pins = pgTable(
  'pins',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    pinnedBy: uuid('pinned_by').references(() => users.id, { onDelete: 'set null' }),
    pinnedAt: createdTstz('pinned_at'),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.messageId], name: 'pins_pkey' }),
    index('pins_newest_idx').on(t.conversationId, t.pinnedAt),
  ],
);

/**
 * A user's unsent text per conversation, kept across reloads and devices. Goes with the user, the
 * conversation, and (deleted by the service) the user's membership.
 */
export const drafts = pgTable(
  'drafts',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    updatedAt: createdTstz('updated_at'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.conversationId], name: 'drafts_pkey' })],
);

/**
 * Link previews by normalized URL, shared by every node: a page is fetched once however many
 * messages link to it, until `expiresAt`. Failures are kept too (`ok` false), for less long.
 * A node fetching a URL holds it with `lockedUntil`, so others wait for its result.
 */
export const linkPreviews = pgTable(
  'link_previews',
  {
    url: text('url').primaryKey(),
    ok: boolean('ok').notNull().default(false),
    title: text('title'),
    description: text('description'),
    siteName: text('site_name'),
    /** The preview image's blob key (the SHA-256 of the WebP copy the server made). */
    imageKey: text('image_key'),
    imageWidth: integer('image_width'),
    imageHeight: integer('image_height'),
    /** Why there is no preview (for the log and admins; never shown to users). */
    error: text('error'),
    fetchedAt: tstz('fetched_at'),
    expiresAt: tstz('expires_at').notNull().defaultNow(),
    lockedUntil: tstz('locked_until'),
  },
  // The sweep of expired entries.
  (t) => [index('link_previews_expires_idx').on(t.expiresAt)],
);

/**
 * Messages whose links wait for previews: a durable queue any node may take from (as webhook
 * deliveries), deleted with the message.
 */
export const linkPreviewJobs = pgTable(
  'link_preview_jobs',
  {
    messageId: uuid('message_id')
      .primaryKey()
      .references(() => messages.id, { onDelete: 'cascade' }),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    lockedUntil: tstz('locked_until'),
    createdAt: createdTstz('created_at'),
  },
  // Due jobs, oldest first.
  (t) => [index('link_preview_jobs_due_idx').on(t.nextAttemptAt)],
);

/**
 * What `npm run admin -- import` brought in, one row per source object (a user, a channel or a
 * direct conversation): a second run of the same export matches its users and finds its
 * conversations here instead of creating them again, and only a conversation listed here may
 * receive more imported messages. Messages need no row: their ids are derived from their source
 * key (src/services/data/import/ids.ts), so a message already imported is found by its id.
 */
export const importKeys = pgTable(
  'import_keys',
  {
    source: text('source', { enum: ['slack', 'mattermost'] }).notNull(),
    kind: text('kind', { enum: ['user', 'conversation'] }).notNull(),
    externalId: text('external_id').notNull(),
    /** The Parley user or conversation it became (or, for a user matched by e-mail, was already). */
    parleyId: uuid('parley_id').notNull(),
    /**
     * A user the import made (deactivated, without a password) that nobody has claimed yet: its
     * owner claims it by a password reset link sent to its e-mail address, or by signing in
     * through OpenID Connect with that address verified. False for an account matched by e-mail,
     * and once claimed.
     */
    claimable: boolean('claimable').notNull().default(false),
    createdAt: createdTstz('created_at'),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.kind, t.externalId], name: 'import_keys_pkey' }),
    // Is this account one an import made (claimable)?
    index('import_keys_parley_idx').on(t.parleyId),
  ],
);

/**
 * Custom emoji (issue 22): a site admin's image, used as `:name:` in messages and reactions by
 * everyone on the site. The image is stored resized, as WebP, under `<sha256>.emoji.webp` (the
 * hash of those bytes). Deleting one removes the row and, once no other name uses it, the image;
 * messages and reactions keep their `:name:` text.
 */
export const customEmoji = pgTable(
  'custom_emoji',
  {
    /** `[a-z0-9_+-]{1,64}`, never a standard shortcode. */
    name: text('name').primaryKey(),
    /** SHA-256 of the stored (resized) image: its blob key is `<sha256>.emoji.webp`. */
    sha256: text('sha256').notNull(),
    /** The site admin who added it; null once that account is gone. */
    creatorId: uuid('creator_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdTstz('created_at'),
  },
  (t) => [
    // Is this image still used by another name (before its file is removed)?
    index('custom_emoji_sha256_idx').on(t.sha256),
  ],
);
