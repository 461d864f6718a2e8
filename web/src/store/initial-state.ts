/** The store's state before anything is loaded: a signed-in user, nothing fetched, not connected. */
import type { User } from '../../../src/client/index.js';
import { EMPTY_THREAD_LIST } from './apply-thread.js';
import type { ChatState } from './types.js';

export function initialChatState(me: User): ChatState {
  return {
    me,
    connection: 'closed',
    retryAt: null,
    offlineReason: null,
    outdated: null,
    newerServer: null,
    inboxLoaded: false,
    conversations: {},
    activity: {},
    timelines: {},
    pending: {},
    users: { [me.id]: me },
    members: {},
    typing: {},
    peerRead: {},
    extra: {},
    pins: {},
    removals: [],
    threads: {},
    threadList: EMPTY_THREAD_LIST,
    replies: {},
    customEmoji: [],
    drafts: {},
  };
}
