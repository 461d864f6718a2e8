import { enforce } from '../../core/rate-limiter.js';
import { tracer } from '../../core/tracing.js';
import type { MessageSendFrame } from '../../protocol/frames.js';
import type { Connection } from '../connection.js';
import type { FrameHandler, HandlerContext } from './context.js';

/**
 * `message.send` → `ack` once the message is durably stored (a repeat acks the stored one). The
 * clock starts in the tick the frame is read (parsing and dispatch run synchronously up to here).
 * With traces on, the frame's handling is a span: the store and the fan-out are its children.
 */
export const messageSend: FrameHandler<MessageSendFrame> = (conn, frame, ctx) => {
  const t = tracer();
  if (!t) return send(conn, frame, ctx);
  return t.inSpan(
    'ws message.send',
    {
      kind: 'server',
      attributes: {
        'parley.frame.type': 'message.send',
        'parley.conversation.id': frame.conversationId,
        'parley.connection.id': conn.id,
        'user.id': conn.actor.user.id,
      },
    },
    () => send(conn, frame, ctx),
  );
};

async function send(conn: Connection, frame: MessageSendFrame, ctx: HandlerContext): Promise<void> {
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
}
