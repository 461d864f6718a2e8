import type { Metrics } from '../core/metrics.js';
import type { BusMessage } from '../events/bus.js';
import type { ConnectionRegistry } from './registry.js';

/**
 * Delivers bus messages to this node's sockets: each message is serialized once, then written
 * to the sockets of the users it concerns (each socket corks its writes of a tick).
 */
export function createFanout(
  registry: ConnectionRegistry,
  metrics: Metrics,
  /** The bus may have lost messages: catch every connection up from the database. */
  onReset: () => void,
): (msg: BusMessage) => void {
  return (msg) => {
    switch (msg.kind) {
      case 'event': {
        metrics.busEventsReceived.inc();
        const { event } = msg;
        const data = JSON.stringify(event);
        const leaving = event.type === 'member.left' ? event.member.user.id : null;
        let handed = 0;
        for (const userId of msg.memberIds) {
          const conns = registry.forUser(userId);
          if (!conns) continue;
          for (const conn of conns) {
            conn.deliver(event.conversationId, event.seq, data);
            handed++;
            if (userId === leaving || event.type === 'conversation.deleted') conn.forget(event.conversationId, event.seq);
          }
        }
        // One increment per bus message, not per socket.
        if (handed > 0) metrics.wsEventsFannedOut.inc({ type: event.type }, handed);
        return;
      }
      case 'ephemeral': {
        const data = JSON.stringify(msg.frame);
        let written = 0;
        for (const userId of msg.userIds) {
          const conns = registry.forUser(userId);
          if (!conns) continue;
          for (const conn of conns) if (conn.id !== msg.exceptConnectionId && conn.write(data)) written++;
        }
        if (written > 0) metrics.wsEventsFannedOut.inc({ type: msg.frame.type }, written);
        return;
      }
      case 'revoke': {
        for (const conn of registry.all()) {
          if (conn.actor.tokenHash === msg.tokenHash) conn.close(4401, 'token revoked');
        }
        return;
      }
      case 'revoke-user': {
        const conns = registry.forUser(msg.userId);
        if (conns) for (const conn of [...conns]) conn.close(4401, 'account deactivated');
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
