import { enforce } from '../../core/rate-limiter.js';
import type { MessageSendFrame } from '../../protocol/frames.js';
import type { FrameHandler } from './context.js';

/**
 * `message.send` → `ack` once the message is durably stored (a repeat acks the stored one). The
 * clock starts in the tick the frame is read (parsing and dispatch run synchronously up to here).
 */
export const messageSend: FrameHandler<MessageSendFrame> = async (conn, frame, ctx) => {
  const started = performance.now();
  // The user's send budget, shared with POST /conversations/{id}/messages (RATE_LIMIT_SENDS_PER_USER).
  if (ctx.sendLimiter) await enforce(ctx.sendLimiter, conn.actor.user.id, 'too many messages');
  const { message } = await ctx.services.messages.send(conn.actor, frame.conversationId, {
    body: frame.body,
    clientMsgId: frame.clientMsgId,
    replyTo: frame.replyTo ?? null,
    attachmentIds: frame.attachmentIds,
    threadId: frame.threadId ?? null,
    alsoInConversation: frame.alsoInConversation,
  });
  conn.send({ type: 'ack', id: frame.id, message });
  ctx.metrics.wsSendAckDuration.observe((performance.now() - started) / 1000);
};
