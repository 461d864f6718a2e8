/**
 * Retention's `messages.purged` frame: the expired messages of a conversation before `beforeSeq`
 * became tombstones on the server; their bodies, files and reactions go from what is shown.
 */
import type { Message } from '../../../src/client/index.js';
import type { ChatState } from './types.js';

const tombstone = (m: Message, at: string): Message => ({ ...m, body: '', attachments: [], reactions: [], mentions: [], deletedAt: m.deletedAt ?? at });
const purged = (m: Message, conversationId: string, beforeSeq: number): boolean =>
  m.conversationId === conversationId && m.seq < beforeSeq && !m.deletedAt;

export function applyPurge(state: ChatState, conversationId: string, beforeSeq: number, now = new Date().toISOString()): ChatState {
  let s = state;
  const t = s.timelines[conversationId];
  if (t?.messages.some((m) => purged(m, conversationId, beforeSeq))) {
    const messages = t.messages.map((m) => (purged(m, conversationId, beforeSeq) ? tombstone(m, now) : m));
    s = { ...s, timelines: { ...s.timelines, [conversationId]: { ...t, messages } } };
  }
  // Replies of opened threads, and the roots of known threads.
  for (const [rootId, r] of Object.entries(s.replies)) {
    if (!r.messages.some((m) => purged(m, conversationId, beforeSeq))) continue;
    s = { ...s, replies: { ...s.replies, [rootId]: { ...r, messages: r.messages.map((m) => (purged(m, conversationId, beforeSeq) ? tombstone(m, now) : m)) } } };
  }
  for (const t of Object.values(s.threads)) {
    if (purged(t.root, conversationId, beforeSeq)) s = { ...s, threads: { ...s.threads, [t.rootId]: { ...t, root: tombstone(t.root, now) } } };
  }
  const extraIds = Object.keys(s.extra).filter((id) => purged(s.extra[id]!, conversationId, beforeSeq));
  if (extraIds.length > 0) {
    const extra = { ...s.extra };
    for (const id of extraIds) extra[id] = tombstone(extra[id]!, now);
    s = { ...s, extra };
  }
  const c = s.conversations[conversationId];
  if (c?.lastMessage && purged(c.lastMessage, conversationId, beforeSeq)) {
    s = { ...s, conversations: { ...s.conversations, [conversationId]: { ...c, lastMessage: tombstone(c.lastMessage, now) } } };
  }
  const pins = s.pins[conversationId];
  if (pins) {
    const gone = new Set(
      [...(s.timelines[conversationId]?.messages ?? []), ...Object.values(s.extra)].filter((m) => m.conversationId === conversationId && m.seq < beforeSeq && m.deletedAt).map((m) => m.id),
    );
    const kept = pins.filter((p) => !gone.has(p.messageId));
    if (kept.length !== pins.length) s = { ...s, pins: { ...s.pins, [conversationId]: kept } };
  }
  return s;
}
