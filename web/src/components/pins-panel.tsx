/** The pinned messages of a conversation, newest pin first, kept live by message.pinned / message.unpinned. */
import { useEffect } from 'react';
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import { markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../../src/protocol/markdown.js';
import type { Message } from '../../../src/client/index.js';
import { formatFull } from '../format.js';
import { useChat, useStore } from '../store/hooks.js';
import type { PinRef } from '../store/types.js';
import { errorText, toast } from '../toasts.js';
import { useTranslation } from 'react-i18next';

const NONE: PinRef[] = [];

export function PinsPanel({ conversationId, canPin, onJump, onClose }: { conversationId: string; canPin: boolean; onJump: (messageId: string) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const loaded = useChat((s) => s.pins[conversationId] !== undefined);
  const pins = useChat((s) => s.pins[conversationId] ?? NONE);
  const timeline = useChat((s) => s.timelines[conversationId]);
  const extra = useChat((s) => s.extra);
  const users = useChat((s) => s.users);

  useEffect(() => {
    store.loadPins(conversationId).catch((err: unknown) => toast(errorText(err, t('pins.action.load'))));
  }, [store, conversationId]);

  // A message pinned live that is not loaded here: fetch it.
  useEffect(() => {
    for (const p of pins) {
      if (!extra[p.messageId] && !timeline?.messages.some((m) => m.id === p.messageId)) void store.fetchMessage(p.messageId).catch(() => undefined);
    }
  }, [pins, extra, timeline, store]);

  const messageOf = (id: string): Message | undefined => timeline?.messages.find((m) => m.id === id) ?? extra[id];
  const shown = pins.filter((p) => !messageOf(p.messageId)?.deletedAt);

  return (
    <aside className="members-panel pins-panel" id="pins-panel" data-testid="pins-panel" aria-label={t('pins.label')}>
      <header className="panel-header">
        <h2>{t('conversation.pinned')}</h2>
        <button type="button" className="icon-btn" aria-label={t('pins.close')} data-testid="pins-panel-close" onClick={onClose}>
          ×
        </button>
      </header>
      {loaded && shown.length === 0 && (
        <p className="muted" data-testid="pins-empty">
          {t('pins.empty')}
        </p>
      )}
      <ul className="pin-list">
        {shown.map((p) => {
          const m = messageOf(p.messageId);
          const author = m ? (users[m.senderId]?.displayName ?? t('common.someone')) : '';
          const text = !m ? t('common.loading') : neutralizeBidi(markdownToPlainText(m.body, { maxSource: PREVIEW_SOURCE_MAX })) || (m.attachments[0] ? `📎 ${m.attachments[0].filename}` : '');
          return (
            <li key={p.messageId} className="pin" data-testid="pinned-message" data-message-id={p.messageId}>
              <button type="button" className="pin-open" onClick={() => onJump(p.messageId)} aria-label={t('pins.goTo', { name: author })}>
                <span className="pin-author">{author}</span>
                <span className="pin-text" dir="auto" data-testid="pinned-message-body">
                  {text.length > 300 ? `${text.slice(0, 300)}…` : text}
                </span>
              </button>
              <span className="muted pin-meta">
                {p.pinnedBy && users[p.pinnedBy] ? t('pins.pinnedBy', { name: users[p.pinnedBy]!.displayName }) : t('pins.pinned')}{' '}
                <time dateTime={p.pinnedAt}>{formatFull(p.pinnedAt)}</time>
              </span>
              {canPin && m && (
                <button
                  type="button"
                  className="btn-link"
                  data-testid="pinned-message-unpin"
                  onClick={() => void store.setPinned(m, false).catch((err: unknown) => toast(errorText(err, t('conversation.action.unpin'))))}
                >
                  {t('common.unpin')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
