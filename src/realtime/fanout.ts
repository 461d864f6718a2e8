import type { Metrics } from '../core/metrics.js';
import { tracer } from '../core/tracing.js';
import type { BusMessage } from '../events/bus.js';
import type { ConversationEvent } from '../protocol/events.js';
import type { ConnectionRegistry } from './registry.js';
import type { NodeSequencer } from './sequencer.js';

/**
 * Writes a conversation event, in seq order, to the sockets of the users it concerns on this
 * node: serialized and encoded once, each socket corking its writes of a tick.
 */
export function createEventWriter(registry: ConnectionRegistry, metrics: Metrics): (event: ConversationEvent, memberIds: readonly string[]) => void {
  const write = (event: ConversationEvent, memberIds: readonly string[]): number => {
    // Encoded once for every socket (see Frame).
    const data = Buffer.from(JSON.stringify(event));
    const leaving = event.type === 'member.left' ? event.member.user.id : null;
    const ending = event.type === 'conversation.deleted';
    let handed = 0;
    for (const userId of memberIds) {
      const conns = registry.forUser(userId);
      if (!conns) continue;
      for (const conn of conns) {
        conn.deliver(event.conversationId, event.seq, data);
        handed++;
        if (ending || userId === leaving) conn.forget(event.conversationId, event.seq);
      }
    }
    // One increment per event, not per socket.
    if (handed > 0) metrics.wsEventsFannedOut.inc({ type: event.type }, handed);
    return handed;
  };
  return (event, memberIds) => {
    // With traces on, the fan-out of an event is a span of the trace of the request or frame that
    // stored it: on this node, that span is active here; from another node, its traceparent came
    // with the event (createFanout). Outside a sampled trace (an event released later by a gap
    // fill), none: a fan-out alone is no trace worth keeping.
    const t = tracer();
    if (!t?.inSampledTrace()) {
      write(event, memberIds);
      return;
    }
    t.inSpanSync(
      `fanout ${event.type}`,
      { attributes: { 'parley.conversation.id': event.conversationId, 'parley.event.type': event.type, 'parley.event.seq': event.seq, 'parley.fanout.members': memberIds.length } },
      (span) => span.setAttribute('parley.fanout.connections', write(event, memberIds)),
    );
  };
}

/**
 * Delivers bus messages to this node's sockets. Conversation events go through the node's
 * sequencer first, which puts each conversation's events in seq order (filling a gap once for the
 * node), then to the event writer; ephemeral frames are written at once.
 */
export function createFanout(
  registry: ConnectionRegistry,
  metrics: Metrics,
  sequencer: NodeSequencer,
  /** The bus may have lost messages: catch every connection up from the database. */
  onReset: () => void,
): (msg: BusMessage) => void {
  return (msg) => {
    switch (msg.kind) {
      case 'event': {
        metrics.busEventsReceived.inc();
        // From another node, with traces on: its fan-out here joins the sender's trace.
        const t = msg.trace === undefined ? null : tracer();
        if (t && !t.activeSpan()) t.withRemoteParent(msg.trace!, () => sequencer.push(msg.event, msg.memberIds));
        else sequencer.push(msg.event, msg.memberIds);
        return;
      }
      case 'ephemeral': {
        const data = Buffer.from(JSON.stringify(msg.frame));
        let written = 0;
        for (const userId of msg.userIds) {
          const conns = registry.forUser(userId);
          if (!conns) continue;
          for (const conn of conns) if (conn.id !== msg.exceptConnectionId && conn.write(data)) written++;
        }
        if (written > 0) metrics.wsEventsFannedOut.inc({ type: msg.frame.type }, written);
        return;
      }
      case 'broadcast': {
        const data = Buffer.from(JSON.stringify(msg.frame));
        let written = 0;
        for (const conn of registry.all()) if (conn.write(data)) written++;
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
        // A held event's missing predecessor may have been lost: fill now, not after the hold.
        sequencer.flush();
        onReset();
        return;
      case 'presence':
        // For the presence caches; nothing to write to sockets.
        return;
    }
  };
}
