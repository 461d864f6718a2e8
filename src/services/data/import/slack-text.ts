/**
 * Slack's message text ("mrkdwn") as Parley Markdown: `<@U1>` becomes `@username`, `<#C1|general>`
 * `#general`, `<!here>` `@here` (`<!channel>` and `<!everyone>` `@all`), `<url|label>` a Markdown
 * link, Slack's `*bold*` and `~strike~` Markdown's `**bold**` and `~~strike~~` (not inside code),
 * and the HTML entities Slack escapes (`&amp;`, `&lt;`, `&gt;`) their characters.
 */
const ANGLE = /<([^<>\n]+)>/g;
const USER_MENTION = /<@([^>|\s]+)(?:\|[^>]*)?>/g;

/** The user ids `<@U…>` a text mentions, each once. */
export function slackMentions(text: string): string[] {
  return [...new Set([...text.matchAll(USER_MENTION)].map((m) => m[1]!))];
}

function entities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function angle(inner: string, nameOf: (userKey: string) => string | null): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? null : inner.slice(bar + 1);
  if (target.startsWith('@')) {
    const name = nameOf(target.slice(1));
    return name ? `@${name}` : `@${label ?? 'unknown'}`;
  }
  if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
  if (target.startsWith('!')) {
    const command = target.slice(1).split('^')[0];
    if (command === 'here') return '@here';
    if (command === 'channel' || command === 'everyone') return '@all';
    return label ?? '';
  }
  if (target.startsWith('mailto:')) return label ?? target.slice('mailto:'.length);
  return label && label !== target ? `[${entities(label)}](${target})` : target;
}

/** Slack's bold and strike-through in one stretch of text outside code. */
function emphasis(s: string): string {
  return s
    .replace(/(^|[\s(])\*(\S(?:[^*\n]*?\S)?)\*(?=$|[\s.,!?;:)])/gm, '$1**$2**')
    .replace(/(^|[\s(])~(\S(?:[^~\n]*?\S)?)~(?=$|[\s.,!?;:)])/gm, '$1~~$2~~');
}

export function renderSlackText(text: string, nameOf: (userKey: string) => string | null): string {
  // Code (``` blocks and `spans`) keeps its characters; only entities are unescaped there.
  return text
    .split(/(```[\s\S]*?```|`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? entities(part) : entities(emphasis(part.replace(ANGLE, (_, inner: string) => angle(inner, nameOf))))))
    .join('');
}
