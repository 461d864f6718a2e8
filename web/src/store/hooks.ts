/** React access to the ChatStore: a context and a selector hook. */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatStore } from './chat-store.js';
import type { ChatState } from './types.js';

export const StoreContext = createContext<ChatStore | null>(null);

export function useStore(): ChatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside StoreContext');
  return store;
}

/** A slice of the state; the selector must return something already in the state (or a primitive). */
export function useChat<T>(select: (s: ChatState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
