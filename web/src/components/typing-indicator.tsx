/** "alice is typing…" under the messages. */
import { useChat } from '../store/hooks.js';

const NONE: Record<string, number> = {};

export function TypingIndicator({ conversationId }: { conversationId: string }) {
  const typing = useChat((s) => s.typing[conversationId] ?? NONE);
  const users = useChat((s) => s.users);
  const names = Object.keys(typing).map((id) => users[id]?.displayName ?? 'Someone');
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = 'Several people are typing…';
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
