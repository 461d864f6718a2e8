/**
 * Message text as React text nodes (never HTML): http(s) links become safe anchors and @mentions
 * of known users are highlighted (web/src/message-parts.ts, which also neutralizes bidi
 * controls). Line breaks are kept by CSS (white-space: pre-wrap).
 */
import { messageParts } from '../message-parts.js';

export interface MessageBodyProps {
  text: string;
  /** Lower-case usernames mentioned in this message. */
  mentioned: Set<string>;
  /** The reader's lower-case username: a mention of them stands out more. */
  me: string;
}

export function MessageBody({ text, mentioned, me }: MessageBodyProps) {
  return (
    <>
      {messageParts(text, mentioned).map((part, i) => {
        if (part.kind === 'text') return part.text;
        if (part.kind === 'link') {
          // dir="ltr" isolates the link: right-to-left text around it cannot reorder a URL's parts.
          return (
            <a key={i} href={part.href} dir="ltr" target="_blank" rel="noopener noreferrer nofollow" className="link">
              {part.text}
            </a>
          );
        }
        return (
          <span key={i} className={part.name === me ? 'mention mention-me' : 'mention'} data-testid="mention">
            {part.text}
          </span>
        );
      })}
    </>
  );
}
