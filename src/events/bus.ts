import type { ConversationEvent } from '../protocol/events.js';

/**
 * Who a conversation event concerns, so fanout never re-queries the database per event:
 * the conversation's member ids at the time of the event (plus a removed member, who is told).
 */
export interface EventEnvelope {
  event: ConversationEvent;
  memberIds: readonly string[];
}

export type BusListener = (envelope: EventEnvelope) => void;

/** Carries committed conversation events to whoever delivers them. Services publish; realtime listens. */
export interface Bus {
  /** False while nobody listens: publishers may skip rendering events. */
  readonly active: boolean;
  publish(envelope: EventEnvelope): void;
  subscribe(listener: BusListener): () => void;
  close(): Promise<void>;
}

/** The single-node bus: listeners in this process, called synchronously in publish order. */
export class LocalBus implements Bus {
  private readonly listeners = new Set<BusListener>();

  get active(): boolean {
    return this.listeners.size > 0;
  }

  publish(envelope: EventEnvelope): void {
    for (const listener of this.listeners) listener(envelope);
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
