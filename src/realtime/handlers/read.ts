import type { ReadFrame } from '../../protocol/frames.js';
import type { FrameHandler } from './context.js';

/** `read` → moves lastReadSeq forward; the reader's other sockets and a direct peer hear of it. */
export const read: FrameHandler<ReadFrame> = async (conn, frame, ctx) => {
  await ctx.services.messages.markRead(conn.actor, frame.conversationId, frame.seq, conn.id);
};
