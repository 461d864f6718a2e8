/** What a jump from search asks the conversation view to show. */
export interface JumpTarget {
  conversationId: string;
  seq: number;
  messageId: string;
  /** A reply in a thread: its root (the thread's panel opens at the reply). */
  threadId?: string | null;
}
