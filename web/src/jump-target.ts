/** What a jump from search asks the conversation view to show. */
export interface JumpTarget {
  conversationId: string;
  seq: number;
  messageId: string;
}
