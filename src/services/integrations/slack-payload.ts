/**
 * Slack's incoming-webhook payload reduced to one Markdown message (what Mattermost and
 * Rocket.Chat accept too): `text`, legacy `attachments` and Block Kit `blocks`, each turned into
 * text; Slack's link syntax (`<url|label>`, `<url>`) and special mentions (`<!here>`) become
 * Markdown and Parley mentions; its HTML escapes (&amp; &lt; &gt;) are undone. Everything else of
 * Slack's mrkdwn is left as written (Markdown reads it nearly the same). Pure: no I/O.
 */

/** Why a payload cannot be posted, as Slack names it (the body of its 400 answer). */
export type SlackPayloadError = 'invalid_payload' | 'no_text';

export class SlackPayloadRefused extends Error {
  constructor(readonly code: SlackPayloadError, message: string) {
    super(message);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** Blocks, attachments and fields read at most (a payload's size is bounded before parsing too). */
const MAX_ITEMS = 100;

/** Slack's escapes and link syntax in a mrkdwn (or plain) text, as Markdown. */
export function slackText(text: string): string {
  return text
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, (_, who: string) => (who === 'here' ? '@here' : '@all'))
    .replace(/<!subteam\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name: string | undefined) => `@${name ?? id}`)
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name: string | undefined) => `#${name ?? id}`)
    .replace(/<([^<>|\s]+)\|([^<>]*)>/g, (_, url: string, label: string) => (isLinkTarget(url) ? `[${escapeLabel(label)}](${url})` : label))
    .replace(/<([^<>\s]+)>/g, (whole, url: string) => (isLinkTarget(url) ? url : whole))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const isLinkTarget = (url: string): boolean => /^(https?:\/\/|mailto:)/i.test(url);
const escapeLabel = (label: string): string => label.replace(/([[\]])/g, '\\$1');

/** A Block Kit text object or element, as text. */
function textOf(v: unknown): string {
  if (typeof v === 'string') return slackText(v);
  if (!isObj(v)) return '';
  if (typeof v.text === 'string') return slackText(v.text);
  if (isObj(v.text)) return textOf(v.text);
  return '';
}

/** A rich_text block's elements (sections, lists, quotes, preformatted) as Markdown. */
function richText(elements: Json[]): string {
  const inline = (items: Json[]): string =>
    items
      .slice(0, MAX_ITEMS)
      .map((e) => {
        if (!isObj(e)) return '';
        switch (e.type) {
          case 'text': {
            let t = str(e.text);
            const style = isObj(e.style) ? e.style : {};
            if (style.code) t = `\`${t}\``;
            if (style.bold) t = `**${t}**`;
            if (style.italic) t = `*${t}*`;
            if (style.strike) t = `~~${t}~~`;
            return t;
          }
          case 'link':
            return e.text ? `[${escapeLabel(str(e.text))}](${str(e.url)})` : str(e.url);
          case 'emoji':
            return `:${str(e.name)}:`;
          case 'user':
            return `@${str(e.user_id)}`;
          case 'broadcast':
            return e.range === 'here' ? '@here' : '@all';
          default:
            return str(e.text);
        }
      })
      .join('');
  return elements
    .slice(0, MAX_ITEMS)
    .map((el) => {
      if (!isObj(el) || !Array.isArray(el.elements)) return '';
      switch (el.type) {
        case 'rich_text_preformatted':
          return '```\n' + inline(el.elements) + '\n```';
        case 'rich_text_quote':
          return inline(el.elements)
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n');
        case 'rich_text_list':
          return el.elements
            .slice(0, MAX_ITEMS)
            .map((item, i) => `${el.style === 'ordered' ? `${i + 1}.` : '-'} ${isObj(item) && Array.isArray(item.elements) ? inline(item.elements) : ''}`)
            .join('\n');
        default:
          return inline(el.elements);
      }
    })
    .filter(Boolean)
    .join('\n');
}

function blockText(b: unknown): string {
  if (!isObj(b)) return '';
  switch (b.type) {
    case 'header':
      return `**${textOf(b.text)}**`;
    case 'divider':
      return '---';
    case 'section': {
      const parts = [textOf(b.text)];
      if (Array.isArray(b.fields)) parts.push(b.fields.slice(0, MAX_ITEMS).map(textOf).filter(Boolean).join('\n'));
      if (isObj(b.accessory) && b.accessory.type === 'button' && typeof b.accessory.url === 'string') parts.push(`[${textOf(b.accessory.text)}](${b.accessory.url})`);
      return parts.filter(Boolean).join('\n');
    }
    case 'context':
      return Array.isArray(b.elements) ? b.elements.slice(0, MAX_ITEMS).map((e) => (isObj(e) && e.type === 'image' ? '' : textOf(e))).filter(Boolean).join(' · ') : '';
    case 'image':
      return typeof b.image_url === 'string' ? `[${escapeLabel(textOf(b.title) || str(b.alt_text) || 'image')}](${b.image_url})` : '';
    case 'actions':
      return Array.isArray(b.elements)
        ? b.elements
            .slice(0, MAX_ITEMS)
            .flatMap((e) => (isObj(e) && typeof e.url === 'string' ? [`[${textOf(e.text)}](${e.url})`] : []))
            .join(' · ')
        : '';
    case 'rich_text':
      return Array.isArray(b.elements) ? richText(b.elements) : '';
    default:
      return textOf(b.text);
  }
}

/** A legacy attachment (pretext, author, title with its link, text, fields, footer) as text. */
function attachmentText(a: unknown): string {
  if (!isObj(a)) return '';
  const lines: string[] = [];
  if (a.pretext) lines.push(slackText(str(a.pretext)));
  if (a.author_name) lines.push(a.author_link ? `[${escapeLabel(str(a.author_name))}](${str(a.author_link)})` : str(a.author_name));
  if (a.title) lines.push(a.title_link && isLinkTarget(str(a.title_link)) ? `**[${escapeLabel(slackText(str(a.title)))}](${str(a.title_link)})**` : `**${slackText(str(a.title))}**`);
  if (a.text) lines.push(slackText(str(a.text)));
  if (Array.isArray(a.fields)) {
    for (const f of a.fields.slice(0, MAX_ITEMS)) {
      if (!isObj(f)) continue;
      const title = slackText(str(f.title));
      const value = slackText(str(f.value));
      if (title || value) lines.push(title ? `**${title}**: ${value}` : value);
    }
  }
  if (Array.isArray(a.blocks)) lines.push(...a.blocks.slice(0, MAX_ITEMS).map(blockText).filter(Boolean));
  if (a.image_url && isLinkTarget(str(a.image_url))) lines.push(str(a.image_url));
  if (a.footer) lines.push(`_${slackText(str(a.footer))}_`);
  const body = lines.filter(Boolean).join('\n');
  return body || slackText(str(a.fallback));
}

/**
 * The Markdown text of a payload: `text`, then its blocks, then its attachments, separated by
 * blank lines. When blocks are present, `text` is Slack's notification fallback and is used only
 * if the blocks say nothing.
 */
export function slackPayloadText(payload: unknown): string {
  if (!isObj(payload)) throw new SlackPayloadRefused('invalid_payload', 'the payload must be a JSON object');
  const text = slackText(str(payload.text)).trim();
  const blocks = Array.isArray(payload.blocks) ? payload.blocks.slice(0, MAX_ITEMS).map(blockText).filter(Boolean).join('\n\n').trim() : '';
  const attachments = Array.isArray(payload.attachments) ? payload.attachments.slice(0, MAX_ITEMS).map(attachmentText).filter(Boolean).join('\n\n').trim() : '';
  if (payload.text !== undefined && typeof payload.text !== 'string') throw new SlackPayloadRefused('invalid_payload', 'text must be a string');
  const parts = [blocks || text, attachments].filter(Boolean);
  if (parts.length === 0) throw new SlackPayloadRefused('no_text', 'the payload has no text, blocks or attachments to post');
  return parts.join('\n\n');
}
