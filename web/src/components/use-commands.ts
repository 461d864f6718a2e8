/** The slash commands of a conversation, fetched once per conversation and kept for the page's life. */
import { useEffect, useState } from 'react';
import type { CommandInfo, ParleyApi } from '../../../src/client/index.js';

const known = new Map<string, readonly CommandInfo[]>();

export function useCommands(api: ParleyApi, conversationId: string): readonly CommandInfo[] {
  const [commands, setCommands] = useState<readonly CommandInfo[]>(() => known.get(conversationId) ?? []);
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
  }, [api, conversationId]);
  return commands;
}
