/**
 * The reaction picker: a search box over emoji names (standard short names and the site's
 * custom emoji), the account's recent picks (kept in localStorage per account), the custom
 * emoji, then the standard ones. Arrow keys move between the buttons, Escape closes.
 */
import { useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { STANDARD_EMOJI, type CustomEmoji } from '../../../src/client/index.js';
import { CustomEmojiImage, EmojiGlyph, useCustomEmoji, useEmojiImages, type EmojiImages } from '../custom-emoji.js';
import { StoreContext } from '../store/hooks.js';
import { useClickOutside } from '../use-click-outside.js';
import './emoji-picker.css';

export const COMMON_EMOJI = [
  '👍', '👎', '❤️', '😂', '🎉', '😮', '😢', '🙏',
  '👀', '🔥', '✅', '❌', '💯', '🚀', '👏', '🙌',
  '😀', '😅', '😊', '😍', '🤔', '😎', '🥳', '😴',
  '😡', '🤯', '🤝', '💪', '👌', '✨', '⭐', '☕',
  '🍻', '🎂', '💡', '📌', '⚠️', '❓', '➕', '🆗',
];

/** Recent picks kept per account. */
export const RECENT_MAX = 16;
const COLUMNS = 8;

/** Each standard emoji once, with its names: the common ones first, then the rest in the table's order. */
const STANDARD: { emoji: string; names: string[] }[] = (() => {
  const byEmoji = new Map<string, string[]>(COMMON_EMOJI.map((e) => [e, []]));
  for (const [name, emoji] of Object.entries(STANDARD_EMOJI)) {
    const names = byEmoji.get(emoji);
    if (names) names.push(name);
    else byEmoji.set(emoji, [name]);
  }
  return [...byEmoji].map(([emoji, names]) => ({ emoji, names }));
})();

const recentKey = (accountId: string) => `parley:recent-emoji:${accountId}`;

/** The account's recent picks, most recent first. */
export function readRecent(accountId: string): string[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(recentKey(accountId)) ?? '[]');
    return Array.isArray(raw) ? raw.filter((e): e is string => typeof e === 'string').slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

/** Puts a pick first in the account's recent list. */
export function rememberRecent(accountId: string, emoji: string): void {
  const next = [emoji, ...readRecent(accountId).filter((e) => e !== emoji)].slice(0, RECENT_MAX);
  try {
    localStorage.setItem(recentKey(accountId), JSON.stringify(next));
  } catch {
    // Storage full or refused (private mode): the list is only a convenience.
  }
}

export interface EmojiPickerProps {
  onPick: (emoji: string) => void;
  onClose: () => void;
}

export function EmojiPicker({ onPick, onClose }: EmojiPickerProps) {
  const ref = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const store = useContext(StoreContext);
  const accountId = store?.getState().me.id ?? '';
  const custom = useCustomEmoji();
  const images = useEmojiImages();
  const [query, setQuery] = useState('');
  const recent = useMemo(() => (accountId ? readRecent(accountId) : []), [accountId]);
  useEffect(() => search.current?.focus(), []);
  useClickOutside(ref, true, onClose);

  const pick = (emoji: string) => {
    if (accountId) rememberRecent(accountId, emoji);
    onPick(emoji);
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    if (document.activeElement === search.current) {
      if (e.key === 'ArrowDown' || (e.key === 'Enter' && buttons.length > 0)) {
        e.preventDefault();
        if (e.key === 'Enter') buttons[0]!.click();
        else buttons[0]?.focus();
      }
      return;
    }
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
    if (step === undefined || i < 0) return;
    e.preventDefault();
    if (i + step < 0) search.current?.focus();
    else buttons[Math.min(buttons.length - 1, i + step)]?.focus();
  };

  const { t } = useTranslation();
  const q = query.trim().toLowerCase().replace(/^:|:$/g, '');
  const known = (e: string) => !e.startsWith(':') || images.has(e.slice(1, -1)) || Object.hasOwn(STANDARD_EMOJI, e.slice(1, -1));
  return (
    <div className="emoji-picker" role="dialog" aria-label={t('reactions.choose')} data-testid="emoji-picker" ref={ref} onKeyDown={onKeyDown}>
      <input
        ref={search}
        type="search"
        className="emoji-search"
        placeholder={t('emoji.search')}
        aria-label={t('emoji.searchLabel')}
        data-testid="emoji-search"
        value={query}
        maxLength={64}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="emoji-sections">
        {q === '' ? (
          <>
            <Section title={t('emoji.recent')} testId="emoji-recent-section" items={recent.filter(known)} render={(e) => <Option key={e} emoji={e} images={images} testId="emoji-recent" onPick={pick} />} />
            <Section title={t('emoji.custom')} testId="emoji-custom-section" items={custom} render={(c) => <CustomOption key={c.name} emoji={c} images={images} onPick={pick} />} />
            <Section title={t('emoji.standard')} testId="emoji-standard-section" items={STANDARD} render={(s) => <Option key={s.emoji} emoji={s.emoji} title={s.names[0]} images={images} testId="emoji-option" onPick={pick} />} />
          </>
        ) : (
          <Results q={q} custom={custom} images={images} onPick={pick} />
        )}
      </div>
    </div>
  );
}

function Results({ q, custom, images, onPick }: { q: string; custom: CustomEmoji[]; images: EmojiImages; onPick: (e: string) => void }) {
  const { t } = useTranslation();
  const customHits = custom.filter((c) => c.name.includes(q));
  const standardHits = STANDARD.filter((s) => s.names.some((n) => n.includes(q)));
  if (customHits.length + standardHits.length === 0) {
    return (
      <p className="muted emoji-none" data-testid="emoji-no-results">
        {t('emoji.noResults', { name: q })}
      </p>
    );
  }
  return (
    <>
      <Section title={t('emoji.custom')} testId="emoji-custom-section" items={customHits} render={(c) => <CustomOption key={c.name} emoji={c} images={images} onPick={onPick} />} />
      <Section
        title={t('emoji.standard')}
        testId="emoji-standard-section"
        items={standardHits}
        render={(s) => <Option key={s.emoji} emoji={s.emoji} title={s.names.find((n) => n.includes(q))} images={images} testId="emoji-option" onPick={onPick} />}
      />
    </>
  );
}

function Section<T>({ title, testId, items, render }: { title: string; testId: string; items: readonly T[]; render: (item: T) => React.ReactNode }) {
  if (items.length === 0) return null;
  return (
    <section className="emoji-section" aria-label={title} data-testid={testId}>
      <h4 className="emoji-section-title">{title}</h4>
      <div className="emoji-grid">{items.map(render)}</div>
    </section>
  );
}

function Option({ emoji, title, images, testId, onPick }: { emoji: string; title?: string; images: EmojiImages; testId: string; onPick: (e: string) => void }) {
  const { t } = useTranslation();
  const label = title ? `:${title}:` : emoji;
  return (
    <button type="button" className="emoji-option" data-testid={testId} data-emoji={emoji} title={label} aria-label={t('messages.reactWith', { emoji: label })} onClick={() => onPick(emoji)}>
      <EmojiGlyph emoji={emoji} images={images} />
    </button>
  );
}

function CustomOption({ emoji, images, onPick }: { emoji: CustomEmoji; images: EmojiImages; onPick: (e: string) => void }) {
  const { t } = useTranslation();
  const code = `:${emoji.name}:`;
  return (
    <button type="button" className="emoji-option" data-testid="emoji-custom" data-emoji={code} title={code} aria-label={t('messages.reactWith', { emoji: code })} onClick={() => onPick(code)}>
      <CustomEmojiImage name={emoji.name} url={images.get(emoji.name) ?? emoji.url} />
    </button>
  );
}
