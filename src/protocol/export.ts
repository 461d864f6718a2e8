/** The document GET /groups/{id}/export streams: a group, its members and its whole history. */
import { Type, type Static } from 'typebox';
import { Id, Nullable, Role, Timestamp, Visibility } from './entities.js';

export const ExportedMember = Type.Object({
  userId: Id,
  username: Type.String(),
  displayName: Type.String(),
  role: Role,
  joinedAt: Timestamp,
});
export type ExportedMember = Static<typeof ExportedMember>;

/** A message's link preview in an export: what the linked page said (its image is not exported). */
export const ExportedLinkPreview = Type.Object({
  url: Type.String(),
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  siteName: Nullable(Type.String()),
});

export const ExportedMessage = Type.Object({
  id: Id,
  seq: Type.Integer(),
  senderId: Id,
  senderUsername: Nullable(Type.String()),
  body: Type.String({ description: '"" for a deleted message (a tombstone)' }),
  replyTo: Nullable(Id),
  threadId: Nullable(Id),
  alsoInConversation: Type.Boolean(),
  mentions: Type.Array(Id),
  attachments: Type.Array(Type.Object({ id: Id, filename: Type.String(), contentType: Type.String(), size: Type.Integer() })),
  reactions: Type.Array(Type.Object({ emoji: Type.String(), userIds: Type.Array(Id) })),
  createdAt: Timestamp,
  editedAt: Nullable(Timestamp),
  deletedAt: Nullable(Timestamp),
  /** The message's link previews; absent when it has none. */
  previews: Type.Optional(Type.Array(ExportedLinkPreview)),
});
export type ExportedMessage = Static<typeof ExportedMessage>;

export const ExportedGroup = Type.Object({
  id: Id,
  name: Type.String(),
  description: Nullable(Type.String()),
  visibility: Visibility,
  createdAt: Timestamp,
});
export type ExportedGroup = Static<typeof ExportedGroup>;

/** Documentation of the streamed body (it is written incrementally, never serialized whole). */
export const GroupExport = Type.Object(
  {
    exportedAt: Timestamp,
    group: ExportedGroup,
    members: Type.Array(ExportedMember),
    messages: Type.Array(ExportedMessage, { description: 'every message in seq order, up to the last seq when the export began' }),
  },
  { description: 'A JSON file (content-disposition: attachment), streamed' },
);
export type GroupExport = Static<typeof GroupExport>;
