/** Merging pages and live messages into the lists that hold them. */
import type { Message } from '../../../src/client/index.js';

/** Inserts or replaces messages by id, keeping ascending seq; entries already there win when `keepExisting`. */
export function mergeMessages(existing: Message[], incoming: Message[], keepExisting = false): Message[] {
  if (incoming.length === 0) return existing;
  const byId = new Map(existing.map((m) => [m.id, m]));
  for (const m of incoming) if (!keepExisting || !byId.has(m.id)) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}
