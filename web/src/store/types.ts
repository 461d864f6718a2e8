/** The web client's state: what the server told us, plus what is on its way. */
import type { Conversation, ConversationEvent, CustomEmoji, Member, Message, RealtimeState, Thread, Upload, User } from '../../../src/client/index.js';

/** The events drawn as system lines in a timeline ("Alice added Bob", "Carol left", a rename). */
export type SystemEvent = Extract<ConversationEvent, { type: 'member.joined' | 'member.left' | 'member.updated' | 'conversation.updated' }>;
export const SYSTEM_EVENT_TYPES = ['member.joined', 'member.left', 'member.updated', 'conversation.updated'] as const;

export interface Timeline {
  /**
   * Loaded messages, ascending seq: contiguous from the first up to `loadedThrough` (or up to the
   * newest when that is null). Live messages past `loadedThrough` wait here, not shown yet.
   */
  messages: Message[];
  /**
   * Opened at the first unread, far from the newest: the messages after this seq are not all
   * loaded yet (newer pages come on scrolling down). null: loaded through the newest.
   */
  loadedThrough: number | null;
  /** System lines (membership, roles, group settings) seen in or around the loaded pages, ascending seq. */
  notices: SystemEvent[];
  /** Older messages exist before the first loaded one. */
  hasMoreBefore: boolean;
  /** A page is being fetched. */
  loading: boolean;
  /** The newest page has arrived (before that, `messages` holds only live events). */
  loaded: boolean;
}

/** A message typed here and not yet stored: shown at the bottom, greyed, until its ack. */
export interface PendingMessage {
  clientMsgId: string;
  conversationId: string;
  body: string;
  replyTo: string | null;
  /** The thread it replies in (null: top-level), and whether it goes to the conversation too. */
  threadId: string | null;
  alsoInConversation: boolean;
  /** Files still to upload, or already uploaded. */
  files: PendingFile[];
  createdAt: string;
  status: 'uploading' | 'sending' | 'failed';
  error: string | null;
}

export interface PendingFile {
  file: File;
  /** A blob: URL for an image preview. */
  previewUrl: string | null;
  upload: Upload | null;
}

export interface ChatState {
  me: User;
  connection: RealtimeState;
  /** When the next reconnect attempt is due (ms since the epoch), while offline. */
  retryAt: number | null;
  /** Why the last connection went (the realtime client's `disconnected` message), shown while offline. */
  offlineReason: string | null;
  /**
   * Rolling upgrades: `outdated` is the server's message when it no longer speaks this client's
   * protocol (the app must reload); `newerServer` the release of a server newer than this build.
   */
  outdated: string | null;
  newerServer: string | null;
  /** The inbox has been fetched once. */
  inboxLoaded: boolean;
  conversations: Record<string, Conversation>;
  /** Last activity per conversation (ISO), for the inbox order. */
  activity: Record<string, string>;
  timelines: Record<string, Timeline>;
  pending: Record<string, PendingMessage[]>;
  /** Everyone we have seen: members, peers, senders. */
  users: Record<string, User>;
  /** Members of groups whose member list was loaded. */
  members: Record<string, Member[]>;
  /** Who is typing where: conversation id → user id → until (ms). */
  typing: Record<string, Record<string, number>>;
  /** Direct conversations: how far the peer has read. */
  peerRead: Record<string, number>;
  /** Messages fetched one by one (reply quotes of messages not loaded). */
  extra: Record<string, Message>;
  /** Pinned messages of conversations whose pins were loaded, newest pin first (the messages are in timelines or `extra`). */
  pins: Record<string, PinRef[]>;
  /** Groups this user was removed or banned from while the page was open: why they went away. */
  removals: Removal[];
  /** Threads whose viewer state we know (followed ones from GET /threads, and those opened), by root id. */
  threads: Record<string, KnownThread>;
  /** The Threads view's list and the sidebar badge's totals. */
  threadList: ThreadList;
  /** The loaded replies of threads opened in the thread panel, by root id. */
  replies: Record<string, ThreadReplies>;
  /** The site's custom emoji, by name (GET /emoji, then emoji.created / emoji.deleted frames). */
  customEmoji: CustomEmoji[];
  /** The composer's unsent text per conversation (GET /drafts, draft.updated frames, typing here); absent: none. */
  drafts: Record<string, string>;
}

/**
 * A thread as the reader sees it, plus `countedThrough`: the highest reply seq already counted in
 * `unreadCount` (the fetched state's last reply, then each live reply), so a reply event replayed
 * after a fetch is not counted twice.
 */
export type KnownThread = Thread & { countedThrough: number };

export interface ThreadList {
  /** Root ids of followed threads in the server's order (unread first, then by last reply), as fetched. */
  ids: string[];
  loaded: boolean;
  nextCursor: string | null;
  /** Followed threads with unread replies, and unread replies mentioning the reader, over all of them. */
  unreadThreads: number;
  unreadMentions: number;
}

/** A thread's replies in the panel: ascending seq, contiguous up to the newest; older pages come on scrolling up. */
export interface ThreadReplies {
  messages: Message[];
  hasMoreBefore: boolean;
  loading: boolean;
  loaded: boolean;
}

/** Where a message is shown: thread-only replies live in their thread, not in the conversation's timeline. */
export function inTimeline(m: Pick<Message, 'threadId' | 'alsoInConversation'>): boolean {
  return m.threadId === null || m.alsoInConversation;
}

/** "You were removed from X by Alice": kept until the reader dismisses it. */
export interface Removal {
  conversationId: string;
  name: string;
  reason: 'removed' | 'banned';
  /** The admin's user id, when the event said. */
  by: string | null;
}

/** The messages of a timeline that are shown: those loaded contiguously. */
export function shownMessages(t: Timeline): Message[] {
  const through = t.loadedThrough;
  return through === null ? t.messages : t.messages.filter((m) => m.seq <= through);
}

/** A pin: the message itself is looked up by id, so edits and deletes reach it. */
export interface PinRef {
  messageId: string;
  pinnedBy: string | null;
  pinnedAt: string;
}
