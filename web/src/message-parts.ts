/**
 * A message's text cut into what the web client shows: plain text, http(s) links and @mentions
 * of known users. Bidi controls are neutralized first (src/protocol/bidi.ts): no override or
 * isolate reorders what follows it, and a link's target and text have no bidi character at all.
 */
import { neutralizeBidi, stripBidi } from '../../src/protocol/bidi.js';

export type MessagePart =
  | { kind: 'text'; text: string }
  | { kind: 'link'; href: string; text: string }
  | { kind: 'mention'; text: string; name: string };

// The server's mention rule: @username not inside an e-mail address or another word.
const TOKEN = /(https?:\/\/[^\s<>"']+)|((?<![\p{L}\p{N}_.@-])@[A-Za-z0-9_.-]{3,32})/giu;
const TRAILING = /[.,;:!?'"”’)\]}>»。，；：！？）】」』]+$/;

/** The http(s) URL a token stands for, or null (anything else is shown as text). */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(stripBidi(raw));
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

/**
 * The parts of a message's text; `mentioned` holds the lower-case usernames it mentions. With
 * `links: false` (text that is already inside a link) URLs stay text.
 */
export function messageParts(raw: string, mentioned: ReadonlySet<string>, { links = true }: { links?: boolean } = {}): MessagePart[] {
  const text = neutralizeBidi(raw);
  const out: MessagePart[] = [];
  let last = 0;
  const textUpTo = (end: number) => {
    if (end > last) out.push({ kind: 'text', text: text.slice(last, end) });
  };
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index;
    if (m[1]) {
      if (!links) continue;
      const [url, rest] = trimUrl(m[1]);
      const href = safeHref(url);
      if (!href) continue;
      textUpTo(start);
      out.push({ kind: 'link', href, text: stripBidi(url) });
      last = start + url.length;
      if (rest) {
        out.push({ kind: 'text', text: rest });
        last += rest.length;
      }
    } else if (m[2]) {
      // A trailing dot ends a sentence, not a username.
      const shown = m[2].replace(/\.+$/, '');
      const name = shown.slice(1).toLowerCase();
      if (!mentioned.has(name)) continue;
      textUpTo(start);
      out.push({ kind: 'mention', text: shown, name });
      last = start + shown.length;
    }
  }
  textUpTo(text.length);
  return out;
}
