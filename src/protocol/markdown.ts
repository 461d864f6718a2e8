/**
 * Message text is Markdown source (docs/protocol.md): CommonMark with GitHub's strikethrough,
 * tables, task lists and autolinks, stored as written and rendered by clients. This is the one
 * parser configuration, shared by the web client (web/src/markdown.tsx renders its tokens as
 * React elements) and the server (notification excerpts use markdownToPlainText), so both read
 * a message the same way.
 *
 * Safety, whatever the source: raw HTML is never HTML (it stays text), links are only http(s)
 * and mailto (anything else stays the text it was written as), and a message nested deeper than
 * MARKDOWN_DEPTH_MAX blocks (a thousand `>` or indented list markers) has its deeper lines shown
 * as plain text instead of ever more blocks, so parsing and rendering take bounded time.
 */
import MarkdownItClass, { type MarkdownIt, type StateBlock, type Token } from 'markdown-it';
import { stripBidi } from './bidi.js';

/**
 * Levels of blocks (a quote, a list and its item count one each) below which Markdown is
 * structure; deeper, the rest of the block is one paragraph of its source text.
 */
export const MARKDOWN_DEPTH_MAX = 16;

/** URL schemes a Markdown link or autolink may have; anything else is not a link. */
const LINK_SCHEMES = /^(https?|mailto):/i;

/** Whether a link target may become a link: http(s) or mailto, with no bidi control hiding the scheme. */
export function isSafeLinkTarget(url: string): boolean {
  // Browsers ignore tabs and newlines in a URL and leading control characters and spaces.
  return LINK_SCHEMES.test(stripBidi(url).replace(/[\u0000-\u0020]/g, ''));
}

/**
 * The text of a block nested deeper than MARKDOWN_DEPTH_MAX: its remaining lines, with the
 * markers of the deeper quotes and lists left as they were written.
 */
function depthCap(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.level < MARKDOWN_DEPTH_MAX || silent) return false;
  const token = state.push('parley_deep', '', 0);
  token.content = state.getLines(startLine, endLine, state.blkIndent, false).replace(/\n+$/, '');
  token.map = [startLine, endLine];
  token.block = true;
  state.line = endLine;
  return true;
}

/** A parser of message Markdown (markdown-it; cheap to create, but one per module is enough). */
export function createMarkdownParser(): MarkdownIt {
  const md = new MarkdownItClass('default', {
    html: false, // HTML in the source is text
    linkify: true, // GitHub's autolinks: https://…, www.…, name@example.com (below)
    breaks: true, // a line break in a chat message is a line break
    typographer: false,
    // The block rule below stops nesting far earlier; this is markdown-it's own last resort.
    maxNesting: 100,
  });
  md.linkify.set({ fuzzyEmail: true, fuzzyLink: true, fuzzyIP: false });
  // GitHub's rule for links without a scheme: only www.… (and e-mail addresses). A bare
  // "readme.md" or "setup.py" (Moldova's and Paraguay's domains) stays a file name.
  const match = md.linkify.match.bind(md.linkify);
  md.linkify.match = (text: string) => (match(text) ?? []).filter((m) => m.schema !== '' || /^www\./i.test(m.raw));
  md.validateLink = isSafeLinkTarget;
  md.block.ruler.before('table', 'parley_depth', depthCap);
  return md;
}

let shared: MarkdownIt | null = null;

/** The module's parser. */
export function markdownParser(): MarkdownIt {
  shared ??= createMarkdownParser();
  return shared;
}

/** A task list item's marker at the start of its first paragraph: "[ ] " or "[x] ". */
export const TASK_MARKER = /^\[([ xX])\][ \t]/;

/** Block tokens after which plain text starts a new line. */
const BLOCK_ENDS = new Set(['paragraph_close', 'heading_close', 'tr_close', 'blockquote_close', 'list_item_close', 'bullet_list_close', 'ordered_list_close', 'table_close', 'hr']);

function inlineText(children: readonly Token[], out: string[]): void {
  for (const t of children) {
    switch (t.type) {
      case 'text':
      case 'code_inline':
        out.push(t.content);
        break;
      case 'softbreak':
      case 'hardbreak':
        out.push('\n');
        break;
      case 'image':
        // The alt text, as markdown-it keeps it in the image's children.
        inlineText(t.children ?? [], out);
        break;
      default:
        break;
    }
  }
}

/** Source characters a preview or an excerpt reads: some hundreds are shown at most. */
export const PREVIEW_SOURCE_MAX = 2000;

/**
 * The text a reader sees, without Markdown syntax: `**bold**` is "bold", `[text](url)` is
 * "text", a code block its code, a table its cells; blocks end with a line break. For previews,
 * notifications and snippets: HTML-free, but not escaped for anything (escape where it's used).
 * With `maxSource`, only the first that many characters of the source are read. Source that
 * shows no text at all (`---`) is returned as written.
 */
export function markdownToPlainText(source: string, { maxSource = Infinity }: { maxSource?: number } = {}): string {
  // A preview needs the start: parsing only that keeps a huge or hostile message cheap.
  const tokens = markdownParser().parse(source.length > maxSource ? source.slice(0, maxSource) : source, {});
  const out: string[] = [];
  const newline = () => {
    const last = out[out.length - 1];
    if (last !== undefined && !last.endsWith('\n')) out.push('\n');
  };
  for (const t of tokens) {
    if (t.type === 'inline') inlineText(t.children ?? [], out);
    else if (t.type === 'fence' || t.type === 'code_block') {
      newline();
      out.push(t.content.replace(/\n+$/, ''));
      newline();
    } else if (t.type === 'parley_deep') {
      // Too deep to parse as Markdown: the text without the quote and list markers in front.
      newline();
      out.push(t.content.replace(/^(?:[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$)))+[ \t]*/gm, ''));
      newline();
    } else if (t.type === 'th_close' || t.type === 'td_close') out.push(' ');
    else if (BLOCK_ENDS.has(t.type)) newline();
  }
  // Nothing but syntax (a rule, an image without alt text): the source says more than nothing.
  return out.join('').replace(/[ \t]+\n/g, '\n').trim() || source.slice(0, maxSource).trim();
}
