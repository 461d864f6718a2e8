/**
 * What an import reads from an export, in one shape whatever the source (Slack, Mattermost):
 * users, conversations, and each conversation's messages in time order. The sources
 * (slack-source.ts, mattermost-source.ts) parse; import.service.ts writes.
 */
export type ImportSourceKind = 'slack' | 'mattermost';

export interface SourceUser {
  /** The source's own id (Slack `U…`, a Mattermost username): unique in the export. */
  key: string;
  /** The username wanted (cleaned and made unique when the user is created). */
  username: string;
  displayName: string;
  email: string | null;
}

export interface SourceConversation {
  /** Unique in the export (Slack's channel id; Mattermost's team/channel, or its members). */
  key: string;
  kind: 'public' | 'private' | 'direct';
  /** Null for a direct conversation. */
  name: string | null;
  description: string | null;
  createdAt: Date | null;
  /** Becomes the group's owner (else its first member). */
  creatorKey: string | null;
  memberKeys: string[];
}

export interface SourceFile {
  name: string;
  /** Bytes to store (a Mattermost attachment found beside the JSONL); null: metadata only. */
  path: string | null;
  size: number | null;
}

export interface SourceMessage {
  /** Unique within its conversation: a message id is derived from it (a second run finds it). */
  key: string;
  userKey: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** When it was last edited (milliseconds), when the export says. */
  editedAt: number | null;
  /** The source's text; the source renders it (renderText) once users have Parley names. */
  text: string;
  /** Users the text mentions, by key. */
  mentionKeys: string[];
  /** The key of the thread's root (a top-level message of the same conversation), or null. */
  threadKey: string | null;
  /** A reply also shown in the conversation (Slack's "also send to channel"). */
  alsoInConversation: boolean;
  /** By emoji name as the source writes it (`thumbsup`, `+1`, `smile::skin-tone-2`). */
  reactions: { name: string; userKeys: string[] }[];
  files: SourceFile[];
}

/** What the streaming check found: every message counted (for the progress bar). */
export interface SourceCheck {
  users: number;
  conversations: number;
  messages: number;
}

export interface ImportSource {
  readonly kind: ImportSourceKind;
  /** Messages left out so far (system messages, no author, empty): the sources and the writer count them. */
  skipped: number;
  /**
   * Reads the whole export once, writing nothing: throws ImportFormatError naming the file and
   * line that is wrong. `onMessages` is told how many messages were read so far.
   */
  check(onMessages?: (read: number) => void): Promise<SourceCheck>;
  users(): AsyncIterable<SourceUser>;
  conversations(): AsyncIterable<SourceConversation>;
  /** One conversation's messages, oldest first (a reply after its root). */
  messages(conversation: SourceConversation): AsyncIterable<SourceMessage>;
  /** The text as Parley Markdown, each mention `@` the Parley username `nameOf` gives. */
  renderText(text: string, nameOf: (userKey: string) => string | null): string;
  close(): Promise<void>;
}

/** The export is broken: where (file, and line when known) and what. Nothing was written. */
export class ImportFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${reason}`);
  }
}

/** The 1-based line of character `index` in `text`. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The 1-based line where element `index` of the top-level JSON array `text` begins (null if absent). */
export function lineOfElement(text: string, index: number): number | null {
  let depth = 0;
  let inString = false;
  let expecting = false;
  let seen = -1;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (expecting && depth === 1 && !/\s/.test(c) && c !== ']') {
      // The first character of an element of the top-level array.
      expecting = false;
      if (++seen === index) return line;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expecting = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expecting = true;
  }
  return null;
}
