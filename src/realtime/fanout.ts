import type { BusMessage } from '../events/bus.js';
import type { ConnectionRegistry } from './registry.js';

/** Counters of the gateway, for the metrics to come. */
export interface RealtimeStats {
  /** Bus events received by this node. */
  eventsIn: number;
  /** Event writes to sockets. */
  deliveries: number;
  /** message.send frames acked, and the sum of their receive-to-ack times. */
  acks: number;
  ackLatencyMsSum: number;
}

/**
 * Delivers bus messages to this node's sockets: each message is serialized once, then written
 * to the sockets of the users it concerns (each socket corks its writes of a tick).
 */
export function createFanout(
  registry: ConnectionRegistry,
  stats: RealtimeStats,
  /** The bus may have lost messages: catch every connection up from the database. */
  onReset: () => void,
): (msg: BusMessage) => void {
  return (msg) => {
    switch (msg.kind) {
      case 'event': {
        stats.eventsIn++;
        const { event } = msg;
        const data = JSON.stringify(event);
        const leaving = event.type === 'member.left' ? event.member.user.id : null;
        for (const userId of msg.memberIds) {
          const conns = registry.forUser(userId);
          if (!conns) continue;
          for (const conn of conns) {
            conn.deliver(event.conversationId, event.seq, data);
            stats.deliveries++;
            if (userId === leaving || event.type === 'conversation.deleted') conn.forget(event.conversationId, event.seq);
          }
        }
        return;
      }
      case 'ephemeral': {
        const data = JSON.stringify(msg.frame);
        for (const userId of msg.userIds) {
          const conns = registry.forUser(userId);
          if (!conns) continue;
          for (const conn of conns) if (conn.id !== msg.exceptConnectionId) conn.write(data);
        }
        return;
      }
      case 'revoke': {
        for (const conn of registry.all()) {
          if (conn.actor.tokenHash === msg.tokenHash) conn.close(4401, 'token revoked');
        }
        return;
      }
      case 'reset':
        onReset();
        return;
      case 'presence':
        // For the presence caches; nothing to write to sockets.
        return;
    }
  };
}
