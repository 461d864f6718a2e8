/** Wire shapes of the contract's resources. The web client and other apps import these too. */
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
  },
);
export type User = Static<typeof User>;

/** A user as site admins see them in GET /admin/users. */
export const AdminUser = Type.Object({
  user: User,
  deactivatedAt: Nullable(Timestamp),
  /** The owner of a bot account. */
  botOwnerId: Nullable(Id),
});
export type AdminUser = Static<typeof AdminUser>;

/** A long-lived API token as listed (the token itself is shown once, when created). */
export const ApiToken = Type.Object({
  id: Id,
  name: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
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

export const Reaction = Type.Object({ emoji: Type.String(), count: Type.Integer(), me: Type.Boolean() });

export const Message = Type.Object(
  {
    id: Id,
    conversationId: Id,
    seq: Type.Integer(),
    senderId: Id,
    clientMsgId: Nullable(Type.String()),
    body: Type.String(),
    replyTo: Nullable(Id),
    mentions: Type.Array(Id),
    attachments: Type.Array(Upload),
    reactions: Type.Array(Reaction),
    createdAt: Timestamp,
    editedAt: Nullable(Timestamp),
    deletedAt: Nullable(Timestamp),
  },
);
export type Message = Static<typeof Message>;

export const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
export type Role = Static<typeof Role>;

export const Member = Type.Object({
  user: User,
  role: Role,
  joinedAt: Timestamp,
  /** Until when the member may not send, edit or react; null when not muted. */
  mutedUntil: Nullable(Timestamp),
});
export type Member = Static<typeof Member>;

export const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')]);

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
  },
);
export type Conversation = Static<typeof Conversation>;

/** A conversation as events carry it: no per-viewer fields. */
export type ConversationShared = Omit<Conversation, 'unreadCount' | 'mentionCount' | 'lastReadSeq' | 'peer'>;

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
