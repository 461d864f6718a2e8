/** The 🔔 menu of a conversation's header: your notification level here (All, Mentions, Nothing) and mute. */
import { useRef, useState } from 'react';
import type { Conversation } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { useClickOutside } from '../use-click-outside.js';
import { effectiveLevel } from '../notify-rule.js';
import { useTranslation } from 'react-i18next';

type Level = 'default' | 'all' | 'mentions' | 'none';
/** The levels offered; each one's label and hint are notify.<level> and notify.<level>Hint in the catalogs. */
const CHOICES: { level: Exclude<Level, 'default'>; hint: 'allHint' | 'mentionsHint' | 'noneHint' }[] = [
  { level: 'all', hint: 'allHint' },
  { level: 'mentions', hint: 'mentionsHint' },
  { level: 'none', hint: 'noneHint' },
];


export function ConversationNotifyMenu({ conversation }: { conversation: Conversation }) {
  const { t } = useTranslation();
  const store = useStore();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const level = effectiveLevel(conversation);
  const muted = conversation.muted ?? false;

  useClickOutside(ref, open, () => setOpen(false));

  const set = async (change: { level?: Level; muted?: boolean }) => {
    setOpen(false);
    try {
      const r = await store.api.request<{ level: Level; muted: boolean }>('PUT', `/conversations/${encodeURIComponent(conversation.id)}/notifications`, { body: change });
      const now = store.getState().conversations[conversation.id] ?? conversation;
      store.addConversation({ ...now, notifyLevel: r.level, muted: r.muted });
    } catch (err) {
      toast(errorText(err, t('notify.action')));
    }
  };

  return (
    <div className="menu-anchor notify-menu" ref={ref}>
      <button
        type="button"
        className={`btn btn-small${muted ? ' active' : ''}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={t('notify.button', { level: muted ? t('notify.muted') : t(`notify.${level}`) })}
        title={t('notify.title')}
        data-testid="notify-menu-button"
        data-level={level}
        data-muted={muted}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
      >
        {muted || level === 'none' ? '🔕' : '🔔'}
      </button>
      {open && (
        <div className="menu menu-right" role="menu" data-testid="notify-menu" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          {CHOICES.map((c, i) => (
            <button
              key={c.level}
              type="button"
              role="menuitemradio"
              aria-checked={level === c.level}
              title={t(`notify.${c.hint}`)}
              data-testid={`notify-level-${c.level}`}
              autoFocus={i === 0}
              onClick={() => void set({ level: c.level })}
            >
              {level === c.level ? '● ' : '○ '}
              {t(`notify.${c.level}`)}
              {conversation.notifyLevel === 'default' && level === c.level ? t('notify.default') : ''}
            </button>
          ))}
          <hr className="menu-sep" />
          <button type="button" role="menuitemcheckbox" aria-checked={muted} data-testid="notify-mute" onClick={() => void set({ muted: !muted })}>
            {muted ? t('notify.unmute') : t('notify.mute')}
          </button>
        </div>
      )}
    </div>
  );
}
