/** Message search over every conversation you are in; a result opens its conversation at the message. */
import { useState } from 'react';
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import { markdownToPlainText } from '../../../src/protocol/markdown.js';
import type { Message } from '../../../src/client/index.js';
import { formatFull, formatInboxTime } from '../format.js';
import { useChat, useStore } from '../store/hooks.js';
import { conversationTitle } from './inbox.js';
import { Modal } from './modal.js';
import type { JumpTarget } from '../jump-target.js';
import { useDebouncedSearch } from './use-debounced.js';

/** The body's plain text (no Markdown syntax) with each query word marked (as text nodes, never HTML). */
function Highlighted({ text: raw, query }: { text: string; query: string }) {
  const text = neutralizeBidi(markdownToPlainText(raw));
  const words = query.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (words.length === 0) return <>{text}</>;
  const parts = text.split(new RegExp(`(${words.join('|')})`, 'gi'));
  return <>{parts.map((p, i) => (i % 2 === 1 ? <mark key={i}>{p}</mark> : p))}</>;
}

export function SearchDialog({ onClose, onOpen }: { onClose: () => void; onOpen: (target: JumpTarget) => void }) {
  const store = useStore();
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const [q, setQ] = useState('');
  const [more, setMore] = useState<{ messages: Message[]; cursor: string | null } | null>(null);
  const { result, loading, error } = useDebouncedSearch(q, async (query) => {
    setMore(null);
    return query.trim() ? store.api.searchMessages({ q: query.trim(), limit: 30 }) : null;
  }, 250);
  const messages = [...(result?.messages ?? []), ...(more?.messages ?? [])];
  const cursor = more ? more.cursor : (result?.nextCursor ?? null);

  const loadMore = async () => {
    if (!cursor) return;
    const page = await store.api.searchMessages({ q: q.trim(), limit: 30, cursor });
    setMore({ messages: [...(more?.messages ?? []), ...page.messages], cursor: page.nextCursor });
  };

  return (
    <Modal title="Search messages" onClose={onClose} testId="search-dialog" wide>
      <input type="search" aria-label="Search messages" placeholder="Search messages" data-testid="search-input" value={q} onChange={(e) => setQ(e.target.value)} autoFocus />
      <ul className="search-results" data-testid="search-results" aria-busy={loading}>
        {messages.map((m) => {
          const c = conversations[m.conversationId];
          const sender = users[m.senderId];
          return (
            <li key={m.id}>
              <button
                type="button"
                className="search-result"
                data-testid="search-result"
                data-message-id={m.id}
                data-conversation-id={m.conversationId}
                data-thread-id={m.threadId ?? undefined}
                onClick={() => onOpen({ conversationId: m.conversationId, seq: m.seq, messageId: m.id, threadId: m.threadId })}
              >
                <span className="search-meta">
                  <strong>{c ? conversationTitle(c, users) : 'Conversation'}</strong>
                  {sender ? ` · ${sender.displayName}` : ''}
                  {m.threadId && (
                    <span className="search-in-thread" data-testid="search-in-thread">
                      {' · in thread'}
                    </span>
                  )}
                  <time dateTime={m.createdAt} title={formatFull(m.createdAt)}>
                    {formatInboxTime(m.createdAt)}
                  </time>
                </span>
                <span className="search-body">
                  <Highlighted text={m.body} query={q} />
                </span>
              </button>
            </li>
          );
        })}
        {!loading && result && messages.length === 0 && <li className="muted pad">No messages found.</li>}
        {Boolean(error) && <li className="form-error pad">Search failed; try again.</li>}
      </ul>
      {cursor && (
        <button type="button" className="btn" onClick={() => void loadMore()}>
          More results
        </button>
      )}
    </Modal>
  );
}
