/**
 * Which new messages the user wants to hear of, by their level in each conversation: the same
 * rule as the server's Web Push (notifications.repository's pushRecipients), for the page's own
 * desktop notifications (desktop-notify.ts) and the conversation header's 🔔 menu.
 */
import type { Conversation, ConversationEvent } from '../../src/client/index.js';
import type { ChatState } from './store/types.js';

/** A message older than this (a catch-up after being offline) is not news any more. */
const FRESH_MS = 2 * 60_000;

/** What `default` stands for: every message in a direct chat, mentions in a group. */
export function effectiveLevel(c: Pick<Conversation, 'kind' | 'notifyLevel'>): 'all' | 'mentions' | 'none' {
  const level = c.notifyLevel ?? 'default';
  if (level !== 'default') return level;
  return c.kind === 'direct' ? 'all' : 'mentions';
}

/**
 * Whether a new message is one to tell the user of, by their level where it was posted: not their
 * own, not muted, not while they do not want to be disturbed; `all` takes every message,
 * `mentions` those that mention them; a reply shown only in its thread reaches those it mentions
 * and the thread's followers (whatever the level but `none`).
 */
export function wantsNotification(s: ChatState, ev: Extract<ConversationEvent, { type: 'message.created' }>, now = Date.now()): boolean {
  const m = ev.message;
  const c = s.conversations[ev.conversationId];
  if (!c || m.senderId === s.me.id || m.deletedAt || c.muted) return false;
  if (s.me.dndUntil && Date.parse(s.me.dndUntil) > now) return false;
  if (now - Date.parse(m.createdAt) > FRESH_MS) return false;
  const level = effectiveLevel(c);
  if (level === 'none') return false;
  const mentioned = m.mentions.includes(s.me.id);
  const following = m.threadId !== null && (s.threads[m.threadId]?.following ?? false);
  if (m.threadId !== null && !m.alsoInConversation) return mentioned || following;
  return level === 'all' || mentioned || following;
}
