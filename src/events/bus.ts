import type { ConversationEvent } from '../protocol/events.js';
import type { EphemeralFrame } from '../protocol/frames.js';

/**
 * What travels on the bus. Each message carries its own scope (who it concerns), so delivery
 * never re-queries the database per event.
 */
export type BusMessage =
  /**
   * A committed conversation event, for the conversation's members (and a member who just left).
   * `memberIds` null: "the conversation's members", which each node keeps for itself (the Redis
   * bus leaves a large group's list out of what it sends; a local publish always lists them).
   */
  | {
      kind: 'event';
      event: ConversationEvent;
      memberIds: readonly string[] | null;
      /** With traces on: the W3C traceparent of the request or frame that stored it (each node's fan-out joins that trace). */
      trace?: string;
    }
  /** A frame without seq (typing, read, presence) for some users, minus one connection. */
  | { kind: 'ephemeral'; frame: EphemeralFrame; userIds: readonly string[]; exceptConnectionId?: string }
  /** A frame for every connection on every node (a site-wide change: custom emoji). */
  | { kind: 'broadcast'; frame: EphemeralFrame }
  /** A revoked token (logout): its sockets are closed. */
  | { kind: 'revoke'; tokenHash: string }
  /** A deactivated account: every socket of the user is closed. */
  | { kind: 'revoke-user'; userId: string }
  /** A user came online on some node or went offline on all: every node's presence cache. */
  | { kind: 'presence'; userId: string; online: boolean }
  /**
   * Messages may have been lost (the bus reconnected): every conversation of this node's sockets
   * may be behind, and is filled from the database.
   */
  | { kind: 'reset' };

export type BusListener = (message: BusMessage) => void;

/** What a bus across nodes counts (for /metrics). */
export interface BusStats {
  /** Conversation events sent to other nodes without their member list. */
  unlisted: number;
  publishFailures: number;
  resets: number;
}

/** Carries messages to whoever delivers them. Services publish; realtime listens. */
export interface Bus {
  /** False while nobody listens: publishers may skip preparing messages. */
  readonly active: boolean;
  /** Counts of a bus across nodes; absent for the single-node bus. */
  readonly stats?: BusStats;
  publish(message: BusMessage): void;
  /**
   * Several messages at once, in order (a group commit's events of one conversation): across
   * nodes they travel together, one Redis message instead of one each.
   */
  publishAll(messages: readonly BusMessage[]): void;
  subscribe(listener: BusListener): () => void;
  close(): Promise<void>;
}

/** The single-node bus: listeners in this process, called synchronously in publish order. */
export class LocalBus implements Bus {
  private readonly listeners = new Set<BusListener>();

  get active(): boolean {
    return this.listeners.size > 0;
  }

  publish(message: BusMessage): void {
    for (const listener of this.listeners) listener(message);
  }

  publishAll(messages: readonly BusMessage[]): void {
    for (const message of messages) this.publish(message);
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
