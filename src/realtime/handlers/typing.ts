import type { TypingFrame } from '../../protocol/frames.js';
import type { FrameHandler } from './context.js';

/** `typing` → a `typing` frame to the other members; lossy and rate-limited per user. */
export const typing: FrameHandler<TypingFrame> = async (conn, frame, ctx) => {
  if (!ctx.typingLimiter.take(`${conn.userId}:${frame.conversationId}`)) return;
  await ctx.services.messages.typing(conn.actor, frame.conversationId);
};
