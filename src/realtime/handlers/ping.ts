import type { PingFrame } from '../../protocol/frames.js';
import type { FrameHandler } from './context.js';

export const ping: FrameHandler<PingFrame> = async (conn, frame) => {
  conn.send({ type: 'pong', ...(frame.id === undefined ? {} : { id: frame.id }) });
};
