/** The web client's state: what the server told us, plus what is on its way. */
import type { Conversation, Member, Message, RealtimeState, Upload, User } from '../../../src/client/index.js';

export interface Timeline {
  /** Loaded messages, ascending seq, contiguous up to the newest. */
  messages: Message[];
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
}

/** A pin: the message itself is looked up by id, so edits and deletes reach it. */
export interface PinRef {
  messageId: string;
  pinnedBy: string | null;
  pinnedAt: string;
}
