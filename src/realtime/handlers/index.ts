import type { ClientFrameType } from '../../protocol/frames.js';
import type { FrameHandler } from './context.js';
import { messageSend } from './message-send.js';
import { ping } from './ping.js';
import { read } from './read.js';
import { sync } from './sync.js';
import { typing } from './typing.js';

/** One handler per client frame type. */
export const HANDLERS: { [K in ClientFrameType]: FrameHandler<never> } = {
  'message.send': messageSend as FrameHandler<never>,
  typing: typing as FrameHandler<never>,
  read: read as FrameHandler<never>,
  sync: sync as FrameHandler<never>,
  ping: ping as FrameHandler<never>,
};
