/**
 * Message text as React elements (never HTML): its Markdown (web/src/markdown.tsx), with
 * @mentions of known users highlighted and http(s) links as safe anchors (web/src/message-parts.ts,
 * which also neutralizes bidi controls), and the site's custom emoji as images.
 */
import { useMemo } from 'react';
import { useEmojiImages } from '../custom-emoji.js';
import { renderMarkdown } from '../markdown.js';

export interface MessageBodyProps {
  text: string;
  /** Lower-case usernames mentioned in this message. */
  mentioned: Set<string>;
  /** The reader's lower-case username: a mention of them stands out more. */
  me: string;
}

export function MessageBody({ text, mentioned, me }: MessageBodyProps) {
  // The set is made anew with each render of the message; what it holds is what counts.
  const names = [...mentioned].sort().join(' ');
  const emoji = useEmojiImages();
  return useMemo(() => renderMarkdown(text, { mentioned, me, emoji }), [text, names, me, emoji]);
}
