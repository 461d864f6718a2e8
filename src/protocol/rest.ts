/** REST request and response bodies of CONTRACT.md. */
import { Type, type Static } from 'typebox';
import { Conversation, HistoryVisibility, Id, Locale, Member, Theme, MentionAllPolicy, Message, Nullable, PostingPolicy, Role, Thread, Timestamp, User, Visibility } from './entities.js';
import { ConversationEventSchema } from './events.js';
import { SessionMode } from './rest-sessions.js';
import { MAX_ATTACHMENTS, MAX_INITIAL_MEMBERS, MESSAGE_BODY_MAX } from './limits.js';

const strict = { additionalProperties: false } as const;

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{3,32}$';
export const Username = Type.String({ pattern: USERNAME_PATTERN, minLength: 3, maxLength: 32 });
export const DisplayName = Type.String({ minLength: 1, maxLength: 64 });
export const Password = Type.String({ minLength: 8, maxLength: 256 });
export const ClientMsgId = Type.String({ minLength: 1, maxLength: 64 });
export { MAX_ATTACHMENTS, MAX_INITIAL_MEMBERS, MESSAGE_BODY_MAX } from './limits.js';

export const RegisterBody = Type.Object(
  {
    username: Username,
    password: Password,
    displayName: Type.Optional(DisplayName),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, description: 'Required when sign-up is limited to e-mail domains' })),
    inviteCode: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Required when sign-up is invite-only' })),
    session: Type.Optional(SessionMode),
  },
  strict,
);
export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 256 }), session: Type.Optional(SessionMode) },
  strict,
);
export const AuthResult = Type.Object({ user: User, token: Type.String() });

export const PatchMeBody = Type.Object(
  { displayName: Type.Optional(DisplayName), avatarUploadId: Type.Optional(Nullable(Id)), locale: Type.Optional(Locale), theme: Type.Optional(Theme) },
  strict,
);

/** PUT /users/me/status: a text and/or an emoji, until `expiresAt` (absent or null: until cleared). */
export const SetStatusBody = Type.Object(
  {
    text: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'at most 100 characters once cleaned' }))),
    emoji: Type.Optional(Nullable(Type.String({ maxLength: 64, description: 'a Unicode emoji or a :short_name:' }))),
    expiresAt: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'when the status goes away by itself (in the future, within a year)' }))),
  },
  strict,
);
/** PUT /users/me/dnd: do not disturb until then. */
export const SetDndBody = Type.Object(
  { until: Type.String({ format: 'date-time', description: 'the end of do not disturb (in the future, within a year)' }) },
  strict,
);

const Limit = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const ListQuery = { cursor: Type.Optional(Type.String({ maxLength: 512 })), limit: Type.Optional(Limit) };
export const UserSearchQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 64 })), ...ListQuery }, strict);
export const UserList = Type.Object({ users: Type.Array(User), nextCursor: Nullable(Type.String()) });

export const GroupName = Type.String({ minLength: 1, maxLength: 100 });
export const GroupDescription = Type.String({ maxLength: 1000 });
export const CreateGroupBody = Type.Object(
  {
    name: GroupName,
    description: Type.Optional(Nullable(GroupDescription)),
    visibility: Type.Optional(Visibility),
    memberIds: Type.Optional(Type.Array(Id, { maxItems: MAX_INITIAL_MEMBERS })),
    postingPolicy: Type.Optional(PostingPolicy),
    mentionAllPolicy: Type.Optional(MentionAllPolicy),
    /** `all` (the default): members read the whole history; `joined`: from their own member.joined on. */
    historyVisibility: Type.Optional(HistoryVisibility),
  },
  strict,
);
export const PatchGroupBody = Type.Object(
  {
    name: Type.Optional(GroupName),
    description: Type.Optional(Nullable(GroupDescription)),
    visibility: Type.Optional(Visibility),
    postingPolicy: Type.Optional(PostingPolicy),
    mentionAllPolicy: Type.Optional(MentionAllPolicy),
    /** Messages older than this many days are deleted with their files; null: the site's setting. */
    retentionDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 36_500 }))),
    /** `all`: members read the whole history; `joined`: from their own member.joined on (applies at once to every member). */
    historyVisibility: Type.Optional(HistoryVisibility),
  },
  strict,
);
export const GroupListQuery = Type.Object(
  {
    scope: Type.Optional(
      Type.Union([Type.Literal('mine'), Type.Literal('public'), Type.Literal('all')], { description: '`all`: every group (site admins only)' }),
    ),
    q: Type.Optional(Type.String({ maxLength: 100 })),
    ...ListQuery,
  },
  strict,
);
export const GroupList = Type.Object({ groups: Type.Array(Conversation), nextCursor: Nullable(Type.String()) });
export const MemberList = Type.Object({ members: Type.Array(Member), nextCursor: Nullable(Type.String()) });
export const AddMemberBody = Type.Object({ userId: Id }, strict);
export const PatchMemberBody = Type.Object({ role: Role }, strict);

export const CursorQuery = Type.Object(ListQuery, strict);
export const ConversationList = Type.Object({
  conversations: Type.Array(Conversation),
  nextCursor: Nullable(Type.String()),
});
export const DirectBody = Type.Object({ userId: Id }, strict);

const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const HistoryQuery = Type.Object(
  {
    before: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'the page just before this seq (older messages)' })),
    after: Type.Optional(
      Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'the page just after this seq (newer messages; `after=lastReadSeq` opens at the first unread)' }),
    ),
    limit: Type.Optional(Limit),
    collapseThreads: Type.Optional(
      Type.Boolean({ description: 'true: leave out thread replies not also sent to the conversation (roots carry their `thread` summary)' }),
    ),
  },
  strict,
);
/** A thread's replies, paged like history. */
export const ThreadRepliesQuery = Type.Object(
  {
    before: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'the page just before this seq (older replies)' })),
    after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'the page just after this seq (newer replies)' })),
    limit: Type.Optional(Limit),
  },
  strict,
);
export const MessagePage = Type.Object({ messages: Type.Array(Message), hasMore: Type.Boolean() });
export const SendMessageBody = Type.Object(
  {
    body: Type.String({ maxLength: MESSAGE_BODY_MAX * 2 }),
    clientMsgId: Type.Optional(Nullable(ClientMsgId)),
    replyTo: Type.Optional(Nullable(Id)),
    attachmentIds: Type.Optional(Type.Array(Id, { maxItems: MAX_ATTACHMENTS })),
    threadId: Type.Optional(Nullable(Type.String({ maxLength: 64, description: 'reply in the thread of this top-level message of the conversation' }))),
    alsoInConversation: Type.Optional(Type.Boolean({ description: 'a thread reply also shown in the conversation (only with threadId)' })),
  },
  strict,
);
export type SendMessageBody = Static<typeof SendMessageBody>;
export const EditMessageBody = Type.Object({ body: Type.String({ maxLength: MESSAGE_BODY_MAX * 2 }) }, strict);
export const EventsQuery = Type.Object(
  {
    after: Type.Optional(Seq),
    before: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'only events with a smaller seq' })),
    types: Type.Optional(
      Type.String({
        maxLength: 400,
        pattern: '^[a-z]+\\.[a-z]+(,[a-z]+\\.[a-z]+)*$',
        description: 'only these event types, comma-separated (e.g. `member.joined,member.left,member.updated,conversation.updated` for the timeline\'s system lines)',
      }),
    ),
    limit: Type.Optional(Limit),
  },
  strict,
);
export const EventPage = Type.Object({ events: Type.Array(ConversationEventSchema), hasMore: Type.Boolean() });
export const ReadBody = Type.Object({ seq: Seq }, strict);

export const ThreadList = Type.Object({
  threads: Type.Array(Thread),
  nextCursor: Nullable(Type.String()),
  /** Followed threads with unread replies (all of them, not only this page's). */
  unreadThreads: Type.Integer(),
  /** Unread replies that mention the caller, over all followed threads. */
  unreadMentions: Type.Integer(),
});
export type ThreadList = Static<typeof ThreadList>;

export const IdParams = Type.Object({ id: Type.String() });
export const MemberParams = Type.Object({ id: Type.String(), userId: Type.String() });

/** Outgoing webhooks of a group (only message.created is sent). */
export const WEBHOOK_URL_MAX_LENGTH = 2048;
export const CreateWebhookBody = Type.Object(
  { url: Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX_LENGTH, description: 'http or https; no credentials' }) },
  strict,
);
export const CreatedWebhook = Type.Object({
  id: Id,
  url: Type.String(),
  secret: Type.String({ description: 'HMAC-SHA256 key of X-Parley-Signature; shown only here' }),
});
export const Webhook = Type.Object({
  id: Id,
  url: Type.String(),
  createdAt: Timestamp,
  disabledAt: Nullable(Timestamp),
  lastError: Nullable(Type.String()),
  lastDeliveredAt: Nullable(Timestamp),
});
export const WebhookList = Type.Object({ webhooks: Type.Array(Webhook) });
export const WebhookParams = Type.Object({ id: Type.String(), hookId: Type.String() });
