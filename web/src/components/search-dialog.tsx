/**
 * Message search over every conversation you are in, with filters (from:, in:, has:, …) completed
 * as you type; days are the browser's. A result opens its conversation at the message.
 */
import { useLayoutEffect, useRef, useState } from 'react';
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import { markdownToPlainText } from '../../../src/protocol/markdown.js';
import type { Message } from '../../../src/client/index.js';
import { formatFull, formatInboxTime } from '../format.js';
import { useChat, useStore } from '../store/hooks.js';
import { conversationTitle } from './inbox.js';
import { Modal } from './modal.js';
import type { JumpTarget } from '../jump-target.js';
import { useDebouncedSearch } from './use-debounced.js';
import { FilterHelp, SuggestionList, useFilterSuggestions } from './search-filter-suggestions.js';
import { sendableQuery } from './search-suggest.js';
import './search-dialog.css';
import { useTranslation } from 'react-i18next';
import { t } from '../i18n/index.js';

/** The browser's time zone, so before:/after:/on: days begin where the user is. */
function browserZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

/** A refused query (a bad filter) says why; anything else is a plain failure. */
function searchErrorText(err: unknown): string {
  const e = err as { status?: number; message?: string };
  if (e?.status === 400 && e.message) return e.message;
  return t('common.searchFailed');
}

/** The body's plain text (no Markdown syntax) with each query word marked (as text nodes, never HTML). */
function Highlighted({ text: raw, query }: { text: string; query: string }) {
  const text = neutralizeBidi(markdownToPlainText(raw));
  const words = query.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (words.length === 0) return <>{text}</>;
  const parts = text.split(new RegExp(`(${words.join('|')})`, 'gi'));
  return <>{parts.map((p, i) => (i % 2 === 1 ? <mark key={i}>{p}</mark> : p))}</>;
}

export function SearchDialog({ onClose, onOpen }: { onClose: () => void; onOpen: (target: JumpTarget) => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const [q, setQ] = useState('');
  const [caret, setCaret] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const pendingCaret = useRef<number | null>(null);
  const [more, setMore] = useState<{ messages: Message[]; cursor: string | null } | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const tz = browserZone();
  const sent = sendableQuery(q);
  const { result, loading, error } = useDebouncedSearch(sent, async (query) => {
    setMore(null);
    setMoreError(null);
    return query.length >= 2 ? store.api.searchMessages({ q: query, tz, limit: 30 }) : null;
  }, 250);
  const suggest = useFilterSuggestions(q, caret, (text, at) => {
    pendingCaret.current = at;
    setQ(text);
    setCaret(at);
  });
  useLayoutEffect(() => {
    if (pendingCaret.current === null || !input.current) return;
    input.current.setSelectionRange(pendingCaret.current, pendingCaret.current);
    pendingCaret.current = null;
  }, [q]);
  const messages = [...(result?.messages ?? []), ...(more?.messages ?? [])];
  const cursor = more ? more.cursor : (result?.nextCursor ?? null);
  const failure = error ?? moreError;
  // Filters mark nothing in the results; only the words and phrases do.
  const textWords = sent.replace(/(?:^|\s)(?:from|in|before|after|on|has|is)[:：](?:"[^"]*"|\S*)/g, ' ').replace(/["“”]/g, ' ');

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await store.api.searchMessages({ q: sent, tz, limit: 30, cursor });
      setMore({ messages: [...(more?.messages ?? []), ...page.messages], cursor: page.nextCursor });
    } catch (err) {
      setMoreError(err);
    }
  };

  return (
    <Modal title={t('search.title')} onClose={onClose} testId="search-dialog" wide>
      <div className="search-box">
        <input
          ref={input}
          type="search"
          role="combobox"
          aria-label={t('search.title')}
          aria-autocomplete="list"
          aria-expanded={suggest.open}
          aria-controls="search-suggestions"
          aria-activedescendant={suggest.open ? `search-suggestions-${suggest.index}` : undefined}
          placeholder={t('search.placeholder')}
          data-testid="search-input"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            suggest.resetActive();
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={(e) => void suggest.onKeyDown(e)}
          autoFocus
        />
        {suggest.open && <SuggestionList id="search-suggestions" options={suggest.options} index={suggest.index} choose={suggest.choose} />}
      </div>
      <FilterHelp />
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
                  <strong>{c ? conversationTitle(c, users) : t('search.conversation')}</strong>
                  {sender ? ` · ${sender.displayName}` : ''}
                  {m.threadId && (
                    <span className="search-in-thread" data-testid="search-in-thread">
                      {t('search.inThread')}
                    </span>
                  )}
                  <time dateTime={m.createdAt} title={formatFull(m.createdAt)}>
                    {formatInboxTime(m.createdAt)}
                  </time>
                </span>
                <span className="search-body">
                  <Highlighted text={m.body} query={textWords} />
                </span>
              </button>
            </li>
          );
        })}
        {!loading && result && messages.length === 0 && <li className="muted pad">{t('search.noResults')}</li>}
        {Boolean(failure) && (
          <li className="form-error pad search-error" role="alert" data-testid="search-error">
            {searchErrorText(failure)}
          </li>
        )}
      </ul>
      {cursor && (
        <button type="button" className="btn" onClick={() => void loadMore()}>
          {t('search.more')}
        </button>
      )}
    </Modal>
  );
}
