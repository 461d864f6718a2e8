/** What an import did, counted as it goes (printed by the CLI at the end). */
export interface ImportSummary {
  usersMatched: number;
  usersCreated: number;
  /** Users an earlier run of this import already brought. */
  usersKnown: number;
  conversationsCreated: number;
  /** Conversations an earlier run created, checked for messages it did not bring. */
  conversationsContinued: number;
  /** Left alone, with why (a direct conversation that already exists in Parley…). */
  conversationsSkipped: { key: string; reason: string }[];
  messages: number;
  /** Messages an earlier run already brought. */
  messagesKnown: number;
  /** System messages (joins, topic changes), messages without an author, empty ones. */
  messagesSkipped: number;
  /** Bodies longer than Parley's 8,000 characters, cut. */
  messagesTruncated: number;
  threads: number;
  reactions: number;
  /** Emoji names that cannot be a reaction. */
  reactionsSkipped: number;
  filesStored: number;
  /** Files whose bytes are not in the export: a note in the message names them. */
  filesSkipped: number;
}


export function emptySummary(): ImportSummary {
  return {
    usersMatched: 0,
    usersCreated: 0,
    usersKnown: 0,
    conversationsCreated: 0,
    conversationsContinued: 0,
    conversationsSkipped: [],
    messages: 0,
    messagesKnown: 0,
    messagesSkipped: 0,
    messagesTruncated: 0,
    threads: 0,
    reactions: 0,
    reactionsSkipped: 0,
    filesStored: 0,
    filesSkipped: 0,
  };
}
