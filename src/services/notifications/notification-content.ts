/**
 * What a notification says: the push payload of a message and the e-mail digest of unread
 * mentions. A message's text is Markdown source: they say its plain text (messageText).
 */
import type { DigestMention } from '../../db/repositories/notifications.repository.js';
import type { Mail } from './mailer.js';
import { neutralizeBidi } from '../../protocol/bidi.js';
import { markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../protocol/markdown.js';
import { serverText } from './server-text.js';

/** Characters of a message shown in a push or a digest. */
export const EXCERPT_MAX = 200;
/** Bytes the push payload may take (push services accept about 4 KiB after encryption). */
export const PUSH_PAYLOAD_MAX = 3 * 1024;

/**
 * At most `max` characters (code points: an emoji or 𠀀 is never cut in half), whitespace folded,
 * bidi overrides and isolates removed (src/protocol/bidi.ts): mail clients and notification
 * centres show the text, and make links of its URLs, with no rule of ours.
 */
export function excerpt(text: string, max = EXCERPT_MAX): string {
  const folded = neutralizeBidi(text).replace(/\s+/g, ' ').trim();
  const chars = Array.from(folded);
  return chars.length <= max ? folded : `${chars.slice(0, max - 1).join('')}…`;
}

/** A message's text as a reader sees it, without Markdown syntax (`**bold**` is "bold"), for an excerpt. */
export function messageText(body: string): string {
  return markdownToPlainText(body, { maxSource: PREVIEW_SOURCE_MAX });
}

/** The link that opens a conversation in the web client. */
export function conversationLink(publicUrl: string, conversationId: string): string {
  return `${publicUrl}/c/${encodeURIComponent(conversationId)}`;
}

export interface PushMessage {
  conversationId: string;
  messageId: string;
  seq: number;
  body: string;
  attachments: number;
  kind: 'group' | 'direct';
  conversationName: string | null;
  senderName: string;
  /** A reply's thread (its root's id). */
  threadId?: string | null;
}

/**
 * The JSON the service worker receives, in the recipient's language (their saved locale, English
 * when none); kept under PUSH_PAYLOAD_MAX (the excerpt shrinks if needed).
 */
export function pushNotification(m: PushMessage, publicUrl: string, locale: string | null = null): Record<string, unknown> {
  const t = serverText(locale).push;
  const title = m.kind === 'group' ? t.groupTitle(m.senderName, m.conversationName ?? t.someGroup) : m.senderName;
  const text = m.body.trim() ? messageText(m.body) : m.attachments > 0 ? t.attachments(m.attachments) : '';
  const base = {
    type: 'message',
    conversationId: m.conversationId,
    messageId: m.messageId,
    seq: m.seq,
    title: excerpt(title, 120),
    url: conversationLink(publicUrl, m.conversationId),
    ...(m.threadId ? { threadId: m.threadId } : {}),
  };
  return withBody(base, text);
}

/**
 * A queued push with the text its message has now: edited after the push was queued, it goes
 * with the edit (a text emptied by the edit keeps the queued one, which said what was attached).
 */
export function withEditedBody(notification: Record<string, unknown>, body: string): Record<string, unknown> {
  return body.trim() ? withBody(notification, messageText(body)) : notification;
}

/** The payload with the longest excerpt of `text` that keeps it under PUSH_PAYLOAD_MAX. */
function withBody(payload: Record<string, unknown>, text: string): Record<string, unknown> {
  let max = EXCERPT_MAX;
  for (;;) {
    const full = { ...payload, body: excerpt(text, max) };
    if (Buffer.byteLength(JSON.stringify(full), 'utf8') <= PUSH_PAYLOAD_MAX || max <= 20) return full;
    max = Math.floor(max / 2);
  }
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The one e-mail of a user's digest, in their language: each unread mention with where, who, what and a link. */
export function digestMail(to: string, mentions: readonly DigestMention[], publicUrl: string): Pick<Mail, 'to' | 'subject' | 'text' | 'html'> {
  const first = mentions[0]!;
  const n = mentions.length;
  const t = serverText(first.locale).digest;
  const subject = t.subject(n, first.senderName);
  const entries = mentions.map((m) => {
    const where = m.kind === 'group' ? (m.conversationName ?? t.someGroup) : t.directMessage;
    const what = m.body.trim() ? excerpt(messageText(m.body)) : m.attachments > 0 ? t.attachmentsOnly : '';
    return { where, who: m.senderName, what, link: conversationLink(publicUrl, m.conversationId), at: new Date(m.createdAt).toISOString() };
  });
  const text = [
    t.hello(first.displayName),
    '',
    t.intro(n),
    '',
    ...entries.flatMap((e) => [t.entry(e.who, e.where, e.at), `  ${e.what}`, `  ${e.link}`, '']),
    t.why,
    t.changeAt(`${publicUrl}/`),
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<p>${escapeHtml(t.hello(first.displayName))}</p>`,
    `<p>${escapeHtml(t.intro(n))}</p>`,
    '<ul>',
    ...entries.map(
      (e) =>
        `<li><p>${escapeHtml(t.entry(e.who, e.where, e.at))}<br>${escapeHtml(e.what)}<br><a href="${escapeHtml(e.link)}">${escapeHtml(t.open)}</a></p></li>`,
    ),
    '</ul>',
    `<p><small>${escapeHtml(t.why)} <a href="${escapeHtml(publicUrl)}/">${escapeHtml(t.change)}</a>.</small></p>`,
    '</body></html>',
  ].join('\n');
  return { to, subject, text, html };
}
