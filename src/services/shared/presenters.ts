/** One function per wire shape: rows in, contract shapes out. */
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import type { MemberRow } from '../../db/repositories/members.repository.js';
import type { AttachmentRow, MessageRow, MessageWithExtras, ThreadSummaryRow } from '../../db/repositories/messages.repository.js';
import type { ReactionSummary } from '../../db/repositories/reactions.repository.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import type { Conversation, ConversationShared, LinkPreview, Me, Member, Message, MessageShared, Theme, ThreadSummary, Upload, User } from '../../protocol/entities.js';
import { dndUntil, storedSchedule } from '../identity/dnd.js';
import { PREVIEW_IMAGE_PATH, PREVIEW_IMAGE_SCOPE, presentPreviews } from '../messaging/link-preview-view.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { UploadRow } from '../../db/repositories/uploads.repository.js';
import { localeOf } from '../notifications/server-text.js';
import type { UrlSigner } from '../files/url-signer.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** What presenting a user needs beyond its row: live presence and a signed avatar URL. */
export interface UserView {
  isOnline(userId: string): boolean;
  avatarUrl(uploadId: string): string;
}

/** Just the live part of it, which the realtime layer supplies. */
export type PresenceSource = Pick<UserView, 'isOnline'>;

export const offlineView: UserView = { isOnline: () => false, avatarUrl: () => '' };

/** A saved theme as the wire has it: anything unknown is the device's ('system'). */
function themeOf(saved: string): Theme {
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

/** The signed-in user as they see themself: with their e-mail address, language and theme (never shown to others). */
export function presentMe(row: UserRow, view: UserView): Me {
  return { ...presentUser(row, view), email: row.email, locale: row.locale === null ? null : localeOf(row.locale), theme: themeOf(row.theme) };
}

export function presentUser(row: UserRow, presence: UserView): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    avatarUrl: row.avatarUploadId ? presence.avatarUrl(row.avatarUploadId) : null,
    createdAt: row.createdAt.toISOString(),
    online: presence.isOnline(row.id),
    lastSeenAt: iso(row.lastSeenAt),
    bot: row.bot,
    siteAdmin: row.siteAdmin,
    ...(row.erasedAt ? { erased: true } : {}),
    ...presentStatus(row),
  };
}

/** A user's status while it lasts, and until when they are not to be disturbed (both absent when none). */
function presentStatus(row: UserRow, now = new Date()): Pick<User, 'status' | 'dndUntil'> {
  const out: Pick<User, 'status' | 'dndUntil'> = {};
  if ((row.statusText || row.statusEmoji) && !(row.statusExpiresAt && row.statusExpiresAt.getTime() <= now.getTime())) {
    out.status = { text: row.statusText, emoji: row.statusEmoji, expiresAt: iso(row.statusExpiresAt) };
  }
  const schedule = (row.notificationPrefs as { dndSchedule?: unknown } | null)?.dndSchedule;
  if (row.dndUntil || schedule) {
    const until = dndUntil(row, storedSchedule(schedule), now);
    if (until) out.dndUntil = until.toISOString();
  }
  return out;
}

/** A message as the wire shows it; a tombstone has no text, mentions, attachments or reactions. */
export function presentUpload(row: AttachmentRow, signer: UrlSigner): Upload {
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    url: signer.url(row.id, 'file'),
    thumbnailUrl: row.hasThumbnail ? signer.url(row.id, 'thumbnail') : null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A thread summary for the wire. */
export function presentThreadSummary(t: ThreadSummaryRow): ThreadSummary {
  return { replyCount: t.replyCount, lastReplyAt: iso(t.lastReplyAt), lastReplySeq: t.lastReplySeq, participantIds: t.participantIds };
}

type Reaction = Message['reactions'][number];
type ReactionShared = MessageShared['reactions'][number];

/** A message's fields with the reactions as given: for a viewer (`me` in each) or for everyone. */
type MessageWith<R> = Omit<Message, 'reactions'> & { reactions: R[] };

function presentMessageWith<R>(row: MessageRow, reactions: R[], attachments: Upload[], previews: LinkPreview[] | null, thread: ThreadSummaryRow | null): MessageWith<R> {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    senderId: row.senderId,
    clientMsgId: row.clientMsgId,
    body: row.deletedAt ? '' : row.body,
    replyTo: row.replyToId,
    threadId: row.threadId,
    alsoInConversation: row.alsoInConversation,
    // A deleted root keeps its thread: the replies stay readable under its tombstone.
    thread: thread && row.threadId === null ? presentThreadSummary(thread) : null,
    mentions: row.deletedAt ? [] : row.mentions,
    attachments: row.deletedAt ? [] : attachments,
    reactions: row.deletedAt ? [] : reactions,
    createdAt: row.createdAt.toISOString(),
    editedAt: iso(row.editedAt),
    deletedAt: iso(row.deletedAt),
    ...(previews && !row.deletedAt ? { previews } : {}),
  };
}

/** Reactions as one viewer sees them: whether they are among those who reacted. */
const viewerReactions = (rs: readonly ReactionSummary[] = []): Reaction[] => rs.map((r) => ({ emoji: r.emoji, count: r.count, me: r.me === true }));
/** Reactions as events carry them: counts only. */
const sharedReactions = (rs: readonly ReactionSummary[] = []): ReactionShared[] => rs.map((r) => ({ emoji: r.emoji, count: r.count }));

/** A message as one viewer reads it (REST answers, their own acks): reactions say `me`. */
export function presentMessage(
  row: MessageRow,
  reactions: readonly ReactionSummary[] = [],
  attachments: Upload[] = [],
  previews: LinkPreview[] | null = null,
  thread: ThreadSummaryRow | null = null,
): Message {
  return presentMessageWith(row, viewerReactions(reactions), attachments, previews, thread);
}

/** A message as conversation events carry it to every member: no per-viewer field. */
export function presentSharedMessage(
  row: MessageRow,
  reactions: readonly ReactionSummary[] = [],
  attachments: Upload[] = [],
  previews: LinkPreview[] | null = null,
  thread: ThreadSummaryRow | null = null,
): MessageShared {
  return presentMessageWith(row, sharedReactions(reactions), attachments, previews, thread);
}

export function presentMember(member: Pick<MemberRow, 'role' | 'joinedAt' | 'mutedUntil' | 'addedBy'>, user: UserRow, presence: UserView): Member {
  return {
    user: presentUser(user, presence),
    role: member.role,
    joinedAt: member.joinedAt.toISOString(),
    // A mute that has run out shows as none.
    mutedUntil: member.mutedUntil && member.mutedUntil.getTime() > Date.now() ? member.mutedUntil.toISOString() : null,
    addedBy: member.addedBy ?? null,
  };
}

/** A conversation as everyone sees it (events carry this). */
export function presentConversationShared<M extends ConversationShared['lastMessage']>(row: ConversationRow, lastMessage: M): Omit<ConversationShared, 'lastMessage'> & { lastMessage: M } {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    description: row.description,
    visibility: row.visibility,
    memberCount: row.memberCount,
    lastSeq: row.lastSeq,
    lastMessage,
    createdAt: row.createdAt.toISOString(),
    postingPolicy: row.kind === 'group' ? row.postingPolicy : null,
    mentionAllPolicy: row.kind === 'group' ? row.mentionAllPolicy : null,
    retentionDays: row.kind === 'group' ? row.retentionDays : null,
    historyVisibility: row.kind === 'group' ? row.historyVisibility : null,
  };
}

export interface ViewerFields {
  unreadCount: number;
  mentionCount: number;
  lastReadSeq: number;
  peer: User | null;
  /** The viewer's notification level and mute: members only (absent for a public group's visitor). */
  notifyLevel?: Conversation['notifyLevel'];
  muted?: boolean;
}

export function presentConversation(row: ConversationRow, lastMessage: Message | null, viewer: ViewerFields): Conversation {
  return { ...presentConversationShared(row, lastMessage), ...viewer };
}

/** Presents messages with their reactions and attachments, read in one statement per page. */
export class MessagePresenter {
  /** Signs the URLs of link preview images. */
  private readonly previewSigner: UrlSigner;

  constructor(
    private readonly repos: Pick<Repositories, 'messages'>,
    private readonly signer: UrlSigner,
  ) {
    this.previewSigner = signer.scoped(PREVIEW_IMAGE_PATH, PREVIEW_IMAGE_SCOPE);
  }

  /** A message's link previews for the wire (null: none). */
  previews(row: MessageRow): LinkPreview[] | null {
    return presentPreviews(row.previews, row.deletedAt !== null, this.previewSigner);
  }

  /** The signer of link preview image URLs (the image route verifies with it). */
  get previewImages(): UrlSigner {
    return this.previewSigner;
  }

  /** Messages as `viewerId` reads them, with their reactions (`me`) and attachments. */
  async present(rows: readonly MessageRow[], viewerId: string): Promise<Message[]> {
    const extras = await this.extras(rows, viewerId);
    return rows.map((r) => {
      const e = extras.get(r.id);
      return presentMessage(r, e?.reactions, (e?.attachments ?? []).map((u) => presentUpload(u, this.signer)), this.previews(r), e?.thread ?? null);
    });
  }

  /** Messages as events carry them (no per-viewer field). */
  async presentShared(rows: readonly MessageRow[]): Promise<MessageShared[]> {
    const extras = await this.extras(rows, null);
    return rows.map((r) => {
      const e = extras.get(r.id);
      return presentSharedMessage(r, e?.reactions, (e?.attachments ?? []).map((u) => presentUpload(u, this.signer)), this.previews(r), e?.thread ?? null);
    });
  }

  private extras(rows: readonly MessageRow[], viewerId: string | null) {
    // A tombstone shows no reactions nor attachments, but a deleted root still shows its thread.
    return this.repos.messages.extras(
      rows.filter((r) => !r.deletedAt || r.threadId === null).map((r) => r.id),
      viewerId,
    );
  }

  /** Messages read with their extras for a viewer (MessagesRepository.history): nothing more to read. */
  presentLoaded(rows: readonly MessageWithExtras[]): Message[] {
    return rows.map((r) => presentMessage(r.row, r.reactions, r.attachments.map((u) => presentUpload(u, this.signer)), this.previews(r.row), r.thread));
  }

  /** Messages read with their extras and no viewer, as events carry them. */
  presentLoadedShared(rows: readonly MessageWithExtras[]): MessageShared[] {
    return rows.map((r) => presentSharedMessage(r.row, r.reactions, r.attachments.map((u) => presentUpload(u, this.signer)), this.previews(r.row), r.thread));
  }

  async presentOne(row: MessageRow, viewerId: string): Promise<Message> {
    return (await this.present([row], viewerId))[0]!;
  }

  async presentSharedOne(row: MessageRow): Promise<MessageShared> {
    return (await this.presentShared([row]))[0]!;
  }

  upload(row: UploadRow): Upload {
    return presentUpload(row, this.signer);
  }
}
