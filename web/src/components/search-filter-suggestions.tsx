/**
 * The search box's filter help and completion: a line listing the filters, and while the caret is
 * in `from:`, `in:`, `has:` or `is:`, a list of completions (usernames from the server, your
 * groups from the store) to pick with the arrow keys and Enter or Tab, or with the mouse.
 */
import { useState, type KeyboardEvent } from 'react';
import { useChat, useStore } from '../store/hooks.js';
import { applyCompletion, filterAt, fixedValues, FILTER_HELP, inFilter } from './search-suggest.js';
import { useDebouncedSearch } from './use-debounced.js';
import { useTranslation } from 'react-i18next';
import { t } from '../i18n/index.js';

export interface Suggestion {
  value: string;
  label: string;
}

/** The completions for the text at the caret, and the keyboard handling of the list. */
export function useFilterSuggestions(q: string, caret: number, accept: (text: string, caret: number) => void) {
  const store = useStore();
  const conversations = useChat((s) => s.conversations);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const token = filterAt(q, caret);
  const userQuery = token?.key === 'from' ? token.value : null;
  const { result: found } = useDebouncedSearch(userQuery ?? '', async (value) => (userQuery === null ? null : store.api.searchUsers({ q: value, limit: 8 })), 150);

  let options: Suggestion[] = [];
  if (token?.key === 'from') {
    options = (found?.users ?? []).filter((u) => !u.bot).map((u) => ({ value: `from:${u.username}`, label: `${u.displayName} @${u.username}` }));
    if ('me'.startsWith(token.value.toLowerCase())) options.unshift({ value: 'from:me', label: t('common.you') });
  } else if (token?.key === 'in') {
    const v = token.value.toLocaleLowerCase();
    options = Object.values(conversations)
      .filter((c) => c.kind === 'group' && c.name && c.name.toLocaleLowerCase().includes(v))
      .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))
      .slice(0, 8)
      .map((c) => ({ value: inFilter(c.name ?? ''), label: c.name ?? '' }));
  } else if (token) {
    options = fixedValues(token).map((v) => ({ value: v, label: v }));
  }
  const key = token ? `${token.start}:${q}` : null;
  const open = token !== null && options.length > 0 && dismissed !== key;
  const index = Math.min(active, Math.max(options.length - 1, 0));

  const choose = (s: Suggestion) => {
    if (!token) return;
    const next = applyCompletion(q, token, s.value);
    setActive(0);
    accept(next.text, next.caret);
  };

  /** Handles the list's keys; true when the key was the list's. */
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>): boolean => {
    if (!open || e.nativeEvent.isComposing) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((index + (e.key === 'ArrowDown' ? 1 : -1) + options.length) % options.length);
      return true;
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      choose(options[index]!);
      return true;
    }
    if (e.key === 'Escape') {
      // The first Escape closes the list, not the dialog.
      e.preventDefault();
      setDismissed(key);
      return true;
    }
    return false;
  };

  return { open, options, index, choose, onKeyDown, resetActive: () => setActive(0) };
}

export function SuggestionList({ id, options, index, choose }: { id: string; options: Suggestion[]; index: number; choose: (s: Suggestion) => void }) {
  return (
    <ul className="search-suggestions" role="listbox" id={id} data-testid="search-suggestions">
      {options.map((s, i) => (
        <li
          key={s.value}
          id={`${id}-${i}`}
          role="option"
          aria-selected={i === index}
          className={i === index ? 'active' : undefined}
          data-testid="search-suggestion"
          data-value={s.value}
          // mousedown, not click: the input keeps its focus.
          onMouseDown={(e) => {
            e.preventDefault();
            choose(s);
          }}
        >
          <code>{s.value}</code> <span className="muted">{s.label}</span>
        </li>
      ))}
    </ul>
  );
}

/** The filters, in one short line with the details on demand. */
export function FilterHelp() {
  const { t } = useTranslation();
  return (
    <details className="search-help" data-testid="search-help">
      <summary>
        {t('search.filters')} <code>from:</code> <code>in:</code> <code>before:</code> <code>after:</code> <code>on:</code> <code>has:</code> <code>is:</code> <code>&quot;phrase&quot;</code>
      </summary>
      <ul>
        {FILTER_HELP.map((f) => (
          <li key={f.example}>
            <code>{f.example}</code> {t(`search.filter.${f.key}`)}
          </li>
        ))}
      </ul>
    </details>
  );
}
