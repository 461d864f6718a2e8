/** Read pointers from `read` frames (pure): the reader's own from another device, a peer's in a direct conversation. */
import type { ChatState } from './types.js';

/**
 * Someone read `conversationId` up to `seq`. Another person: how far the peer has read (the
 * ticks of a direct conversation). The reader, on another device: the pointer moves on, and the
 * counts are cleared when all is read; what is left unread otherwise is known exactly only to
 * the server (see readLeavesUnread).
 */
export function applyRead(s: ChatState, conversationId: string, userId: string, seq: number): ChatState {
  if (userId !== s.me.id) return { ...s, peerRead: { ...s.peerRead, [conversationId]: Math.max(s.peerRead[conversationId] ?? 0, seq) } };
  const c = s.conversations[conversationId];
  if (!c || seq <= c.lastReadSeq) return s;
  const fully = seq >= c.lastSeq;
  return { ...s, conversations: { ...s.conversations, [conversationId]: { ...c, lastReadSeq: seq, ...(fully ? { unreadCount: 0, mentionCount: 0 } : {}) } } };
}

/** After the reader's own read up to `seq`, unread messages remain whose count only a fetch can tell. */
export function readLeavesUnread(before: ChatState, conversationId: string, userId: string, seq: number): boolean {
  const c = before.conversations[conversationId];
  return userId === before.me.id && c !== undefined && seq > c.lastReadSeq && seq < c.lastSeq;
}
