/**
 * A message's Markdown as React elements, never as HTML: markdown-it's tokens (the parser of
 * src/protocol/markdown.ts: HTML in the source stays text, only http(s) and mailto links) become
 * elements one by one, and the text between them goes through messageParts, so @mentions and
 * bare links look as they did before Markdown and nothing in a code span or block is a mention.
 *
 * Bounded work for any message: the parser stops nesting blocks at MARKDOWN_DEPTH_MAX, elements
 * deeper than RENDER_DEPTH_MAX (say ***…*** a thousand times) are left out around their content,
 * the tokens are walked with a stack, not recursion, and a text longer than any message
 * (MARKDOWN_SOURCE_MAX) is shown as plain text.
 */
import { createElement, Fragment, type ReactNode } from 'react';
import { neutralizeBidi, stripBidi } from '../../src/protocol/bidi.js';
import { isSafeLinkTarget, markdownParser, TASK_MARKER } from '../../src/protocol/markdown.js';
import type { Token } from 'markdown-it';
import { CodeBlock } from './components/code-block.js';
import { CustomEmojiImage, type EmojiImages } from './custom-emoji.js';
import { MESSAGE_BODY_MAX } from './limits.js';
import { messageParts } from './message-parts.js';
import { i18n } from './i18n/index.js';

/** UTF-16 units of source rendered as Markdown (a message has at most MESSAGE_BODY_MAX characters). */
export const MARKDOWN_SOURCE_MAX = MESSAGE_BODY_MAX * 2;
/** Elements nested inside one another, blocks and inline together; deeper ones are left out. */
export const RENDER_DEPTH_MAX = 24;

export interface MarkdownContext {
  /** Lower-case usernames the message mentions. */
  mentioned: ReadonlySet<string>;
  /** The reader's lower-case username. */
  me: string;
  /** The site's custom emoji: `:name:` in text (not in code) shows the image. */
  emoji?: EmojiImages;
}

const SHORTCODES = /:([a-z0-9_+-]{1,64}):/g;

/** Plain text with the `:name:` of each custom emoji as its image. */
function withCustomEmoji(text: string, emoji: EmojiImages | undefined, out: ReactNode[]): void {
  if (!emoji || emoji.size === 0 || !text.includes(':')) {
    out.push(text);
    return;
  }
  let from = 0;
  for (const m of text.matchAll(SHORTCODES)) {
    const url = emoji.get(m[1]!);
    if (!url) continue;
    if (m.index > from) out.push(text.slice(from, m.index));
    out.push(<CustomEmojiImage name={m[1]!} url={url} />);
    from = m.index + m[0].length;
  }
  if (from < text.length) out.push(text.slice(from));
}

interface Frame {
  token: Token | null;
  children: ReactNode[];
  /** Deeper than RENDER_DEPTH_MAX, or an element we don't make: its children go to the parent. */
  flat: boolean;
}

const LINK_PROPS = { target: '_blank', rel: 'noopener noreferrer nofollow', className: 'link' } as const;

/**
 * Text, with @mentions, (outside links) bare http(s) URLs, and custom emoji (except in a link
 * that shows its own URL: `inLink === 'auto'`).
 */
function textNodes(text: string, ctx: MarkdownContext, inLink: boolean | 'auto', out: ReactNode[]): void {
  for (const part of messageParts(text, ctx.mentioned, { links: !inLink })) {
    if (part.kind === 'text') {
      if (inLink === 'auto') out.push(part.text);
      else withCustomEmoji(part.text, ctx.emoji, out);
    }
    else if (part.kind === 'link') {
      out.push(
        <a href={part.href} dir="ltr" {...LINK_PROPS}>
          {part.text}
        </a>,
      );
    } else {
      out.push(
        <span className={part.name === ctx.me ? 'mention mention-me' : 'mention'} data-testid="mention">
          {part.text}
        </span>,
      );
    }
  }
}

/** A task list item: "[ ] " or "[x] " starting its first paragraph, taken off its text. */
function markTasks(tokens: Token[]): void {
  for (let i = 0; i + 2 < tokens.length; i++) {
    const item = tokens[i]!;
    const inline = tokens[i + 2]!;
    if (item.type !== 'list_item_open' || tokens[i + 1]!.type !== 'paragraph_open' || inline.type !== 'inline') continue;
    const first = inline.children?.[0];
    const m = first?.type === 'text' ? TASK_MARKER.exec(first.content) : null;
    if (!first || !m) continue;
    item.meta = { task: m[1] !== ' ' };
    first.content = first.content.slice(m[0].length);
  }
}

/** An attribute of a token, as a string ('' when absent). */
function attr(t: Token, name: string): string {
  const v = t.attrGet(name);
  return v === null ? '' : String(v);
}

function alignment(t: Token): 'left' | 'right' | 'center' | undefined {
  const m = /text-align:\s*(left|right|center)/.exec(attr(t, 'style'));
  return m ? (m[1] as 'left' | 'right' | 'center') : undefined;
}

/** A link that shows its own URL (linkified, or written `<https://…>`). */
const isAutoLink = (t: Token): boolean => t.markup === 'linkify' || t.markup === 'autolink';

/** The element an opening token and its children make, or null to keep just the children. */
function element(t: Token, children: ReactNode[]): ReactNode | null {
  switch (t.type) {
    case 'paragraph_open':
      // Paragraphs of a tight list are hidden: their text sits in the item itself.
      return t.hidden ? null : createElement('p', { className: 'md-p' }, ...children);
    case 'heading_open':
      return createElement('div', { className: `md-h md-${t.tag}`, role: 'heading', 'aria-level': Number(t.tag.slice(1)) + 2 }, ...children);
    case 'blockquote_open':
      return createElement('blockquote', { className: 'md-quote' }, ...children);
    case 'bullet_list_open':
      return createElement('ul', { className: 'md-list' }, ...children);
    case 'ordered_list_open': {
      const start = Number(attr(t, 'start') || 1);
      return createElement('ol', { className: 'md-list', start: Number.isSafeInteger(start) ? start : undefined }, ...children);
    }
    case 'list_item_open': {
      const task = (t.meta as { task?: boolean } | null)?.task;
      if (task === undefined) return createElement('li', null, ...children);
      const box = <input type="checkbox" className="md-task-box" checked={task} disabled readOnly aria-label={task ? i18n.t('markdown.done') : i18n.t('markdown.notDone')} data-testid="task-box" />;
      return createElement('li', { className: 'md-task', 'data-testid': 'task-item' }, box, ...children);
    }
    case 'table_open':
      return (
        <div className="md-table-wrap">
          {createElement('table', { className: 'md-table' }, ...children)}
        </div>
      );
    case 'thead_open':
    case 'tbody_open':
    case 'tr_open':
      return createElement(t.tag, null, ...children);
    case 'th_open':
    case 'td_open':
      return createElement(t.tag, { style: { textAlign: alignment(t) } }, ...children);
    case 'strong_open':
      return createElement('strong', null, ...children);
    case 'em_open':
      return createElement('em', null, ...children);
    case 's_open':
      return createElement('s', null, ...children);
    case 'link_open': {
      const href = attr(t, 'href');
      if (!isSafeLinkTarget(href)) return null;
      // An autolink shows its URL: left to right, as bare links always are.
      const auto = isAutoLink(t);
      return createElement('a', { href: stripBidi(href), ...LINK_PROPS, dir: auto ? 'ltr' : undefined, title: auto ? undefined : stripBidi(href) }, ...children);
    }
    default:
      return null;
  }
}

/** A token without children: text, code, breaks, rules, images (as links: never loaded). */
function leaf(t: Token, ctx: MarkdownContext, depth: number, inLink: boolean | 'auto', out: ReactNode[]): void {
  switch (t.type) {
    case 'inline':
      out.push(...build(t.children ?? [], ctx, depth, inLink));
      return;
    case 'text':
      textNodes(t.content, ctx, inLink, out);
      return;
    case 'code_inline':
      out.push(
        <code className="md-code">
          {t.content}
        </code>,
      );
      return;
    case 'softbreak':
    case 'hardbreak':
      // The message body keeps line breaks (white-space: pre-wrap), as before Markdown, and its
      // text reads as written (textContent keeps the newline, a <br> would not).
      out.push('\n');
      return;
    case 'hr':
      out.push(<hr className="md-hr" />);
      return;
    case 'fence':
    case 'code_block':
      out.push(<CodeBlock code={t.content.replace(/\n$/, '')} lang={t.type === 'fence' ? (t.info.trim().split(/\s+/)[0] ?? '').slice(0, 32) : ''} />);
      return;
    case 'image': {
      // A remote image would tell its server who reads the message: it is a link to click.
      const src = attr(t, 'src');
      const alt = t.content || src;
      if (!isSafeLinkTarget(src) || inLink) {
        out.push(alt);
        return;
      }
      out.push(
        <a href={stripBidi(src)} {...LINK_PROPS} className="link md-image-link" title={i18n.t('markdown.image', { url: stripBidi(src) })} data-testid="image-link">
          <span aria-hidden="true">🖼️ </span>
          {alt}
        </a>,
      );
      return;
    }
    case 'parley_deep': {
      const text: ReactNode[] = [];
      textNodes(t.content, ctx, inLink, text);
      out.push(createElement('p', { className: 'md-p md-deep' }, ...text));
      return;
    }
    default:
      // html_block and html_inline never come (html: false); anything else is shown as written.
      if (t.content) out.push(t.content);
  }
}

/** The tokens as elements: a stack of open elements, so depth costs no recursion. */
function build(tokens: readonly Token[], ctx: MarkdownContext, depth0: number, inLink0: boolean | 'auto'): ReactNode[] {
  const root: Frame = { token: null, children: [], flat: false };
  const stack: Frame[] = [root];
  let links = 0;
  /** Open links that show their own URL (linkified or <autolinks>). */
  let autoLinks = 0;
  for (const t of tokens) {
    const top = stack[stack.length - 1]!;
    if (t.nesting === 1) {
      stack.push({ token: t, children: [], flat: depth0 + stack.length > RENDER_DEPTH_MAX });
      if (t.type === 'link_open') links++;
      if (t.type === 'link_open' && isAutoLink(t)) autoLinks++;
    } else if (t.nesting === -1) {
      if (stack.length === 1) continue;
      const frame = stack.pop()!;
      if (frame.token?.type === 'link_open') links--;
      if (frame.token?.type === 'link_open' && isAutoLink(frame.token)) autoLinks--;
      const parent = stack[stack.length - 1]!;
      const el = frame.flat || !frame.token ? null : element(frame.token, frame.children);
      if (el === null) parent.children.push(...frame.children);
      else parent.children.push(el);
    } else {
      leaf(t, ctx, depth0 + stack.length, autoLinks > 0 ? 'auto' : inLink0 || links > 0, top.children);
    }
  }
  // Unclosed elements (not made by markdown-it, but cheap to allow): their content is kept.
  while (stack.length > 1) {
    const frame = stack.pop()!;
    stack[stack.length - 1]!.children.push(...frame.children);
  }
  return root.children;
}

/**
 * The message's text as one fragment. Elements are given their children as arguments (fixed
 * positions, not lists), so none needs a key.
 */
export function renderMarkdown(source: string, ctx: MarkdownContext): ReactNode {
  let nodes: ReactNode[];
  if (source.length > MARKDOWN_SOURCE_MAX) {
    nodes = [];
    textNodes(source, ctx, false, nodes);
  } else {
    const tokens = markdownParser().parse(neutralizeBidi(source), {});
    markTasks(tokens);
    // A message of one paragraph is its text alone, as before Markdown (no block around it).
    if (tokens.length === 3 && tokens[0]!.type === 'paragraph_open') tokens[0]!.hidden = true;
    nodes = build(tokens, ctx, 0, false);
  }
  return createElement(Fragment, null, ...nodes);
}
