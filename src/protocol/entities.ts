/** Wire shapes of the contract's resources. The web client and other apps import these too. */
import type { TokenScope } from './token-scopes.js';
import { Type, type Static } from 'typebox';

export const Id = Type.String({ description: 'An opaque id' });
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 with a zone' });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const User = Type.Object(
  {
    id: Id,
    username: Type.String(),
    displayName: Type.String(),
    avatarUrl: Nullable(Type.String()),
    createdAt: Timestamp,
    online: Type.Boolean(),
    lastSeenAt: Nullable(Timestamp),
    /** A bot account (signs in with API tokens only). */
    bot: Type.Boolean(),
    /** A site admin of this server. */
    siteAdmin: Type.Boolean(),
    /** Present (true) when the account was erased: the user shows as "Deleted user". */
    erased: Type.Optional(Type.Boolean()),
    /** The status the user set (text and/or emoji), while it lasts; absent when none. */
    status: Type.Optional(Type.Object({ text: Nullable(Type.String()), emoji: Nullable(Type.String()), expiresAt: Nullable(Timestamp) })),
    /** Present while the user does not want to be disturbed (chosen, or their daily schedule): until when. */
    dndUntil: Type.Optional(Timestamp),
  },
);
export type User = Static<typeof User>;

/** A language of the web client, e-mails and pushes: English or Simplified Chinese. */
export const Locale = Type.Union([Type.Literal('en'), Type.Literal('zh-CN')], { description: "English ('en') or Simplified Chinese ('zh-CN')" });
export type Locale = Static<typeof Locale>;

/** The web client's colour theme: the device's ('system'), or always light or dark. */
export const Theme = Type.Union([Type.Literal('system'), Type.Literal('light'), Type.Literal('dark')], {
  description: "The web client's colour theme: 'system' (follows the device), 'light' or 'dark'",
});
export type Theme = Static<typeof Theme>;

/** The signed-in user as they see themself: a User plus their e-mail address, chosen language and theme. */
export const Me = Type.Object({
  ...User.properties,
  email: Nullable(Type.String()),
  locale: Type.Union([Locale, Type.Null()], {
    description: 'The language chosen (PATCH /users/me); null: none chosen (the web client follows the browser; e-mails and pushes are in English)',
  }),
  theme: Theme,
});
export type Me = Static<typeof Me>;

/** A user as site admins see them in GET /admin/users. */
export const AdminUser = Type.Object({
  user: User,
  deactivatedAt: Nullable(Timestamp),
  /** The owner of a bot account. */
  botOwnerId: Nullable(Id),
  /** The account's e-mail address (site admins see it here; other User objects never carry it). */
  email: Nullable(Type.String()),
});
export type AdminUser = Static<typeof AdminUser>;

/** A long-lived API token as listed (the token itself is shown once, when created). */
/** An API token's scope: src/protocol/token-scopes.ts says what each allows. */
// One enum (not a union of literals), so a bad scope is one clear error, not one per scope.
export const TokenScopeSchema = Type.Enum(['read', 'write', 'admin', 'tokens', 'sessions', 'account']);
export type TokenScopeName = Static<typeof TokenScopeSchema>;
// Every scope of the list has its literal here, and no other.
const scopesMatch: [TokenScope, TokenScopeName] extends [TokenScopeName, TokenScope] ? true : never = true;
void scopesMatch;
export const ApiToken = Type.Object({
  id: Id,
  name: Type.String(),
  /** What the token may do (`read` always); a token made before scopes has read, write and admin. */
  scopes: Type.Array(TokenScopeSchema),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  /** Only on a token created with `expiresInDays`: it is refused after this. */
  expiresAt: Type.Optional(Timestamp),
});
export type ApiToken = Static<typeof ApiToken>;

export const Upload = Type.Object(
  {
    id: Id,
    filename: Type.String(),
    contentType: Type.String(),
    size: Type.Integer(),
    url: Type.String(),
    thumbnailUrl: Nullable(Type.String()),
    createdAt: Timestamp,
  },
);
export type Upload = Static<typeof Upload>;

/** A reaction as everyone sees it (events carry this: no per-viewer `me`). */
export const ReactionShared = Type.Object({ emoji: Type.String(), count: Type.Integer() });
/** A reaction as one viewer sees it: `me`, whether the viewer is among those who reacted. */
export const Reaction = Type.Object({ emoji: Type.String(), count: Type.Integer(), me: Type.Boolean() });

/**
 * A link preview the server made for a link in a message (docs/protocol.md, "Link previews"):
 * what the linked page says of itself (OpenGraph, Twitter card, or its title and description).
 * `image.url` points at Parley (a signed URL of a copy the server made), never at the linked site.
 */
export const LinkPreview = Type.Object({
  /** The link as it appears in the message (normalized: no fragment). */
  url: Type.String(),
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  siteName: Nullable(Type.String()),
  image: Nullable(
    Type.Object({
      url: Type.String({ description: 'A signed URL on this server, valid one to two hours like upload URLs' }),
      width: Type.Integer(),
      height: Type.Integer(),
    }),
  ),
});
export type LinkPreview = Static<typeof LinkPreview>;

/**
 * A thread root's summary: live replies, the last reply, and the latest repliers (most recent
 * first, at most 5). Replies' message.created and message.deleted events carry it as `thread`.
 */
export const ThreadSummary = Type.Object({
  replyCount: Type.Integer(),
  lastReplyAt: Nullable(Timestamp),
  lastReplySeq: Type.Integer(),
  participantIds: Type.Array(Id),
});
export type ThreadSummary = Static<typeof ThreadSummary>;

/** A message's fields before and after its reactions, which are per viewer in REST answers and shared in events. */
const messageHead = {
  id: Id,
  conversationId: Id,
  seq: Type.Integer(),
  senderId: Id,
  clientMsgId: Nullable(Type.String()),
  body: Type.String(),
  replyTo: Nullable(Id),
  /** The root message's id when this is a reply in a thread (threads are one level deep). */
  threadId: Nullable(Id),
  /** A thread reply also shown in the conversation; false for every other message. */
  alsoInConversation: Type.Boolean(),
  /** On a root that has had replies: its thread's summary; null otherwise. */
  thread: Nullable(ThreadSummary),
  mentions: Type.Array(Id),
  attachments: Type.Array(Upload),
};
const messageTail = {
  createdAt: Timestamp,
  editedAt: Nullable(Timestamp),
  deletedAt: Nullable(Timestamp),
  /**
   * Previews of the message's first links, added by the server after the send (as a
   * `message.updated` event, which does not set `editedAt`); absent when there are none.
   */
  previews: Type.Optional(Type.Array(LinkPreview)),
};

export const Message = Type.Object({ ...messageHead, reactions: Type.Array(Reaction), ...messageTail });
export type Message = Static<typeof Message>;

/** A message as events carry it (and a conversation's last message in them): reactions without `me`. */
export const MessageShared = Type.Object({ ...messageHead, reactions: Type.Array(ReactionShared), ...messageTail }, { description: 'A message as conversation events carry it: no per-viewer fields' });
export type MessageShared = Static<typeof MessageShared>;

/** A thread as one viewer sees it: the root, its summary, and the viewer's following and reading of it. */
export const Thread = Type.Object({
  rootId: Id,
  conversationId: Id,
  root: Message,
  replyCount: Type.Integer(),
  lastReplyAt: Nullable(Timestamp),
  lastReplySeq: Type.Integer(),
  participantIds: Type.Array(Id),
  following: Type.Boolean(),
  /** Replies up to this seq are read. */
  lastReadSeq: Type.Integer(),
  /** Live replies by others after lastReadSeq (capped at 1000). */
  unreadCount: Type.Integer(),
  /** Of those, the ones that mention the viewer. */
  mentionCount: Type.Integer(),
});
export type Thread = Static<typeof Thread>;

export const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
export type Role = Static<typeof Role>;

export const Member = Type.Object({
  user: User,
  role: Role,
  joinedAt: Timestamp,
  /** Until when the member may not send, edit or react; null when not muted. */
  mutedUntil: Nullable(Timestamp),
  /** Who added this member (with the group or later); null when they joined themselves. */
  addedBy: Nullable(Id),
});
export type Member = Static<typeof Member>;

export const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')]);
/** Who may post in a group: `admins` makes it an announcement group. */
export const PostingPolicy = Type.Union([Type.Literal('everyone'), Type.Literal('admins')]);
/** What a group's members read of the history before they joined: all of it, or from their own member.joined on. */
export const HistoryVisibility = Type.Union([Type.Literal('all'), Type.Literal('joined')]);
/** Who may mention the whole group with @all / @here. */
export const MentionAllPolicy = Type.Union([Type.Literal('admins'), Type.Literal('everyone'), Type.Literal('nobody')]);

/** A member's notification level in one conversation. */
export const NotifyLevel = Type.Union([Type.Literal('default'), Type.Literal('all'), Type.Literal('mentions'), Type.Literal('none')]);
export type NotifyLevel = Static<typeof NotifyLevel>;

export const Conversation = Type.Object(
  {
    id: Id,
    kind: Type.Union([Type.Literal('group'), Type.Literal('direct')]),
    name: Nullable(Type.String()),
    description: Nullable(Type.String()),
    visibility: Nullable(Visibility),
    memberCount: Type.Integer(),
    lastSeq: Type.Integer(),
    lastMessage: Nullable(Message),
    unreadCount: Type.Integer(),
    mentionCount: Type.Integer(),
    lastReadSeq: Type.Integer(),
    createdAt: Timestamp,
    peer: Nullable(User),
    /** Groups only (null for a direct conversation): who may post. */
    postingPolicy: Nullable(PostingPolicy),
    /** Groups only (null for a direct conversation): who may use @all / @here. */
    mentionAllPolicy: Nullable(MentionAllPolicy),
    /** A group's own retention period in days; null: the site's (always null for a direct conversation). */
    retentionDays: Nullable(Type.Integer()),
    /** Groups only (null for a direct conversation): `all` (the default) or `joined` (members read from their own member.joined on). */
    historyVisibility: Nullable(HistoryVisibility),
    /** The viewer's own notification level here (members only; `default`: all in a direct conversation, mentions in a group). */
    notifyLevel: Type.Optional(NotifyLevel),
    /** Muted by the viewer: no notification of any kind (members only). */
    muted: Type.Optional(Type.Boolean()),
  },
);
export type Conversation = Static<typeof Conversation>;

/** A conversation as events carry it: no per-viewer fields (its last message without `reactions[].me`). */
export const ConversationShared = Type.Object(
  {
    id: Conversation.properties.id,
    kind: Conversation.properties.kind,
    name: Conversation.properties.name,
    description: Conversation.properties.description,
    visibility: Conversation.properties.visibility,
    memberCount: Conversation.properties.memberCount,
    lastSeq: Conversation.properties.lastSeq,
    lastMessage: Nullable(MessageShared),
    createdAt: Conversation.properties.createdAt,
    postingPolicy: Conversation.properties.postingPolicy,
    mentionAllPolicy: Conversation.properties.mentionAllPolicy,
    retentionDays: Conversation.properties.retentionDays,
    historyVisibility: Conversation.properties.historyVisibility,
  },
  { description: 'A conversation as conversation events carry it: no per-viewer fields' },
);
export type ConversationShared = Static<typeof ConversationShared>;

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
);

/** An entry of the audit log (site admins only). */
export const AuditEntry = Type.Object({
  id: Id,
  action: Type.String({ description: 'noun.pastVerb, e.g. member.banned, user.deactivated' }),
  actorId: Nullable(Id),
  targetUserId: Nullable(Id),
  conversationId: Nullable(Id),
  details: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Timestamp,
});
export type AuditEntry = Static<typeof AuditEntry>;

/** A ban of a group (admins only). */
export const Ban = Type.Object({ user: User, bannedBy: Nullable(Id), createdAt: Timestamp });
export type Ban = Static<typeof Ban>;
