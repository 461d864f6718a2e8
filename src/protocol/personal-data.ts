/** REST bodies of personal data: the user's export, account erasure, group retention. */
import { Type, type Static } from 'typebox';
import { Id, Nullable, Timestamp } from './entities.js';
import { ExportedLinkPreview } from './export.js';

const strict = { additionalProperties: false } as const;

/** A retention period in days: 1 to 100 years. */
export const RetentionDays = Type.Integer({ minimum: 1, maximum: 36_500 });

export const EraseMeBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Required when the account has a password' })),
    confirm: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An account without a password: its username' })),
    deleteMessages: Type.Optional(Type.Boolean({ description: 'Also delete every message you sent (tombstones)' })),
  },
  strict,
);
export type EraseMeBody = Static<typeof EraseMeBody>;

export const AdminEraseBody = Type.Object(
  { deleteMessages: Type.Optional(Type.Boolean({ description: 'Also delete every message the user sent (tombstones)' })) },
  strict,
);

const ExportedSession = Type.Object({
  id: Id,
  userAgent: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  expiresAt: Nullable(Timestamp),
});

/** Documentation of the streamed body of GET /users/me/export (written incrementally, never serialized whole). */
export const UserDataExport = Type.Object(
  {
    exportedAt: Timestamp,
    profile: Type.Object({
      id: Id,
      username: Type.String(),
      displayName: Type.String(),
      email: Nullable(Type.String()),
      createdAt: Timestamp,
      lastSeenAt: Nullable(Timestamp),
      bot: Type.Boolean(),
      siteAdmin: Type.Boolean(),
      avatarUploadId: Nullable(Id),
      notificationPrefs: Type.Record(Type.String(), Type.Unknown()),
    }),
    sessions: Type.Array(ExportedSession, { description: 'Login sessions (devices)' }),
    apiTokens: Type.Array(Type.Object({ id: Id, name: Nullable(Type.String()), createdAt: Timestamp, lastUsedAt: Timestamp }), {
      description: 'Names only: never a token or its hash',
    }),
    memberships: Type.Array(
      Type.Object({ conversationId: Id, kind: Type.String(), name: Nullable(Type.String()), role: Type.String(), joinedAt: Timestamp, deleted: Type.Boolean() }),
    ),
    pushSubscriptions: Type.Array(Type.Object({ endpoint: Type.String(), userAgent: Nullable(Type.String()), createdAt: Timestamp })),
    drafts: Type.Array(Type.Object({ conversationId: Id, body: Type.String(), updatedAt: Timestamp }), { description: 'Unsent text per conversation' }),
    uploads: Type.Array(
      Type.Object({ id: Id, filename: Type.String(), contentType: Type.String(), size: Type.Integer(), createdAt: Timestamp, attachedAt: Nullable(Timestamp) }),
    ),
    reactions: Type.Array(Type.Object({ messageId: Id, conversationId: Id, emoji: Type.String(), createdAt: Timestamp })),
    messages: Type.Array(
      Type.Object({
        id: Id,
        conversationId: Id,
        seq: Type.Integer(),
        body: Type.String(),
        replyTo: Nullable(Id),
        threadId: Nullable(Id),
        alsoInConversation: Type.Boolean(),
        mentions: Type.Array(Id),
        attachments: Type.Array(Type.Object({ id: Id, filename: Type.String(), contentType: Type.String(), size: Type.Integer() })),
        createdAt: Timestamp,
        editedAt: Nullable(Timestamp),
        deletedAt: Nullable(Timestamp),
        previews: Type.Optional(Type.Array(ExportedLinkPreview)),
      }),
      { description: 'Every message you sent, by conversation and seq; a deleted one has body ""' },
    ),
  },
  { description: 'A JSON file (content-disposition: attachment), streamed' },
);
export type UserDataExport = Static<typeof UserDataExport>;
