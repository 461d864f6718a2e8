/** A small picker of common emoji, for reactions. */
import { useEffect, useRef } from 'react';
import { useClickOutside } from '../use-click-outside.js';
import { useTranslation } from 'react-i18next';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

export const COMMON_EMOJI = [
  '👍', '👎', '❤️', '😂', '🎉', '😮', '😢', '🙏',
  '👀', '🔥', '✅', '❌', '💯', '🚀', '👏', '🙌',
  '😀', '😅', '😊', '😍', '🤔', '😎', '🥳', '😴',
  '😡', '🤯', '🤝', '💪', '👌', '✨', '⭐', '☕',
  '🍻', '🎂', '💡', '📌', '⚠️', '❓', '➕', '🆗',
];

export interface EmojiPickerProps {
  onPick: (emoji: string) => void;
  onClose: () => void;
}

/** A grid of emoji buttons; arrow keys move between them, Escape closes. */
export function EmojiPicker({ onPick, onClose }: EmojiPickerProps) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, []);
  useClickOutside(ref, true, onClose);

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[e.key];
    if (step === undefined || i < 0) return;
    e.preventDefault();
    buttons[Math.min(buttons.length - 1, Math.max(0, i + step))]?.focus();
  };

  return (
    <div className="emoji-picker" role="dialog" aria-label={t('reactions.choose')} data-testid="emoji-picker" ref={ref} onKeyDown={onKeyDown}>
      {COMMON_EMOJI.map((emoji) => (
        <button key={emoji} type="button" className="emoji-option" data-testid="emoji-option" data-emoji={emoji} aria-label={t('messages.reactWith', { emoji })} onClick={() => onPick(emoji)}>
          {emoji}
        </button>
      ))}
    </div>
  );
}
