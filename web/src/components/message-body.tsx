/**
 * Message text as React text nodes (never HTML): http(s) links become safe anchors and @mentions
 * of known users are highlighted. Line breaks are kept by CSS (white-space: pre-wrap).
 */
import type { ReactNode } from 'react';

// The server's mention rule: @username not inside an e-mail address or another word.
const TOKEN = /(https?:\/\/[^\s<>"']+)|((?<![\p{L}\p{N}_.@-])@[A-Za-z0-9_.-]{3,32})/giu;
const TRAILING = /[.,;:!?'"”’)\]}>»。，；：！？）】」』]+$/;

/** The http(s) URL a token stands for, or null (anything else is shown as text). */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Splits a URL match from the punctuation that follows it in a sentence, keeping balanced parentheses. */
function trimUrl(match: string): [string, string] {
  let url = match;
  let rest = '';
  for (;;) {
    const m = TRAILING.exec(url);
    if (!m) break;
    let cut = m[0];
    // "(see https://en.wikipedia.org/wiki/Foo_(bar))": keep a ")" that closes one in the URL.
    if (cut.startsWith(')') && (url.match(/\(/g)?.length ?? 0) > (url.slice(0, -cut.length).match(/\)/g)?.length ?? 0)) {
      cut = cut.slice(1);
      if (!cut) break;
    }
    url = url.slice(0, -cut.length);
    rest = cut + rest;
  }
  return [url, rest];
}

export interface MessageBodyProps {
  text: string;
  /** Lower-case usernames mentioned in this message. */
  mentioned: Set<string>;
  /** The reader's lower-case username: a mention of them stands out more. */
  me: string;
}

export function MessageBody({ text, mentioned, me }: MessageBodyProps) {
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index;
    if (m[1]) {
      const [url, rest] = trimUrl(m[1]);
      const href = safeHref(url);
      if (!href) continue;
      if (start > last) out.push(text.slice(last, start));
      out.push(
        <a key={key++} href={href} target="_blank" rel="noopener noreferrer nofollow" className="link">
          {url}
        </a>,
      );
      last = start + url.length;
      if (rest) {
        out.push(rest);
        last += rest.length;
      }
    } else if (m[2]) {
      // A trailing dot ends a sentence, not a username.
      const shown = m[2].replace(/\.+$/, '');
      const name = shown.slice(1).toLowerCase();
      if (!mentioned.has(name)) continue;
      if (start > last) out.push(text.slice(last, start));
      out.push(
        <span key={key++} className={name === me ? 'mention mention-me' : 'mention'} data-testid="mention">
          {shown}
        </span>,
      );
      last = start + shown.length;
    }
  }
  if (last < text.length) out.push(text.slice(last));
  return <>{out}</>;
}
