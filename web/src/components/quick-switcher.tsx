/**
 * The quick switcher (Ctrl/Cmd+K, issue 21): conversations and people by a fuzzy match on their
 * names; ↑/↓ choose, Enter opens, Esc closes. A person without a direct conversation gets one
 * (opened or created through POST /conversations/direct, like "New chat").
 */
import { useMemo, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { User } from '../../../src/client/index.js';
import { fuzzyScore } from '../keyboard.js';
import { navigate } from '../router.js';
import { useChat, useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Avatar } from './avatar.js';
import { conversationTitle, inboxOrder } from './inbox.js';
import { Modal } from './modal.js';
import { useDebouncedSearch } from './use-debounced.js';

/**
 * The HTML autofocus attribute (React's autoFocus sets none): showModal() focuses the element that
 * has it, where it would otherwise take the first button (the dialog's close button).
 */
export const autofocus = (el: HTMLElement | null) => el?.setAttribute('autofocus', '');

/** At most this many rows are listed. */
const SHOWN = 12;

type Item = { kind: 'conversation'; id: string; title: string; unread: number } | { kind: 'person'; user: User };

export function QuickSwitcher({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const conversations = useChat((s) => s.conversations);
  const activity = useChat((s) => s.activity);
  const users = useChat((s) => s.users);
  const meId = useChat((s) => s.me.id);
  const [q, setQ] = useState('');
  const [selected, setSelected] = useState(0);
  // People not seen yet: the server's user search, once something is typed.
  const { result } = useDebouncedSearch(q, (query) => (query.trim() ? store.api.searchUsers({ q: query.trim(), limit: 20 }) : Promise.resolve(null)));

  const items = useMemo(() => {
    const ordered = inboxOrder(conversations, activity);
    const withDirect = new Set(ordered.flatMap((c) => (c.kind === 'direct' && c.peer ? [c.peer.id] : [])));
    const scored: { item: Item; score: number; order: number }[] = [];
    ordered.forEach((c, order) => {
      const title = conversationTitle(c, users);
      const score = fuzzyScore(q, title);
      if (score !== null) scored.push({ item: { kind: 'conversation', id: c.id, title, unread: c.unreadCount }, score, order });
    });
    const people = new Map<string, User>();
    for (const u of [...Object.values(users), ...(result?.users ?? [])]) if (u.id !== meId && !withDirect.has(u.id)) people.set(u.id, u);
    for (const u of people.values()) {
      const score = Math.max(fuzzyScore(q, u.displayName) ?? -Infinity, fuzzyScore(q, u.username) ?? -Infinity);
      if (score > -Infinity) scored.push({ item: { kind: 'person', user: u }, score: score - 1, order: ordered.length });
    }
    // Empty query: the inbox order; otherwise the best matches, conversations before people on a tie.
    return scored
      .sort((a, b) => (q.trim() ? b.score - a.score : 0) || a.order - b.order)
      .slice(0, SHOWN)
      .map((s) => s.item);
  }, [conversations, activity, users, meId, q, result]);

  const index = Math.min(selected, Math.max(0, items.length - 1));

  const choose = (item: Item | undefined) => {
    if (!item) return;
    if (item.kind === 'conversation') {
      onClose();
      navigate(item.id);
      return;
    }
    store.openDirect(item.user.id).then(
      (c) => {
        onClose();
        navigate(c.id);
      },
      (err: unknown) => toast(errorText(err, t('groups.action.openChat'))),
    );
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (items.length) setSelected((index + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(items[index]);
    }
  };

  return (
    <Modal title={t('shell.keys.switcherTitle')} onClose={onClose} testId="quick-switcher">
      <input
        type="text"
        className="switcher-input"
        role="combobox"
        aria-expanded="true"
        aria-controls="switcher-list"
        aria-autocomplete="list"
        aria-activedescendant={items.length ? `switcher-item-${index}` : undefined}
        aria-label={t('shell.keys.switcherLabel')}
        placeholder={t('shell.keys.switcherPlaceholder')}
        data-testid="switcher-input"
        value={q}
        ref={autofocus}
        onChange={(e) => {
          setQ(e.target.value);
          setSelected(0);
        }}
        onKeyDown={onKeyDown}
      />
      <ul className="switcher-list" id="switcher-list" role="listbox" aria-label={t('shell.keys.switcherLabel')} data-testid="switcher-list">
        {items.map((item, i) => (
          <li
            key={item.kind === 'conversation' ? item.id : `u-${item.user.id}`}
            id={`switcher-item-${i}`}
            role="option"
            aria-selected={i === index}
            className={i === index ? 'switcher-item selected' : 'switcher-item'}
            data-testid="switcher-item"
            data-kind={item.kind}
            onMouseEnter={() => setSelected(i)}
            onClick={() => choose(item)}
          >
            {item.kind === 'conversation' ? (
              <>
                <span className="switcher-name">{item.title}</span>
                {item.unread > 0 && <span className="badge">{item.unread}</span>}
              </>
            ) : (
              <>
                <Avatar user={item.user} size="sm" />
                <span className="switcher-name">{item.user.displayName}</span>
                <span className="muted">{t('shell.keys.startChat', { username: item.user.username })}</span>
              </>
            )}
          </li>
        ))}
        {items.length === 0 && <li className="muted">{t('shell.keys.noMatch')}</li>}
      </ul>
    </Modal>
  );
}
