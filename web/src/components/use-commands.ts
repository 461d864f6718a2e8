/**
 * The slash commands of a conversation, fetched once per conversation and kept for the page's
 * life, or until `forgetCommands` says a group's own commands changed (fetched again then).
 */
import { useEffect, useState } from 'react';
import type { CommandInfo, ParleyApi } from '../../../src/client/index.js';

const known = new Map<string, readonly CommandInfo[]>();
const changed = new Set<(conversationId: string) => void>();

/** A group's custom commands were added or deleted here: its suggestions are fetched again. */
export function forgetCommands(conversationId: string): void {
  known.delete(conversationId);
  for (const listener of changed) listener(conversationId);
}

export function useCommands(api: ParleyApi, conversationId: string): readonly CommandInfo[] {
  const [commands, setCommands] = useState<readonly CommandInfo[]>(() => known.get(conversationId) ?? []);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const listener = (id: string) => id === conversationId && setVersion((v) => v + 1);
    changed.add(listener);
    return () => void changed.delete(listener);
  }, [conversationId]);
  useEffect(() => {
    const cached = known.get(conversationId);
    if (cached) {
      setCommands(cached);
      return;
    }
    let live = true;
    api
      .listCommands(conversationId)
      .then((list) => {
        known.set(conversationId, list);
        if (live) setCommands(list);
      })
      // Without the list, a line starting with / is sent as a message.
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api, conversationId, version]);
  return commands;
}
