/** "alice is typing…" under the messages. */
import { useChat } from '../store/hooks.js';
import { useTranslation } from 'react-i18next';

const NONE: Record<string, number> = {};

export function TypingIndicator({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const typing = useChat((s) => s.typing[conversationId] ?? NONE);
  const users = useChat((s) => s.users);
  const names = Object.keys(typing).map((id) => users[id]?.displayName ?? t('common.someone'));
  let text = '';
  if (names.length === 1) text = t('typing.one', { name: names[0] });
  else if (names.length === 2) text = t('typing.two', { first: names[0], second: names[1] });
  else if (names.length > 2) text = t('typing.several');
  return (
    <div className="typing" data-testid="typing-indicator" aria-live="polite" data-active={names.length > 0 ? 'true' : 'false'}>
      {text && (
        <>
          <span className="typing-dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          {text}
        </>
      )}
    </div>
  );
}
