/**
 * Custom emoji in message text (issue 22): the web client's Markdown renderer draws `:name:` of a
 * custom emoji as its image wherever text is shown, never inside a code span or block, and leaves
 * any other `:name:` (unknown, or deleted since) as the text it is.
 */
import { describe, expect, it } from 'vitest';

/** A React element, opaque here. */
type Element = { readonly $$typeof: symbol };
type Render = (source: string, ctx: { mentioned: ReadonlySet<string>; me: string; emoji?: ReadonlyMap<string, string> }) => Element;
// Loaded by paths the root tsconfig does not follow: it has no JSX and no DOM (React's types would
// bring DOM types into every test); web/tsconfig.json checks the module itself.
const MODULE = '../../web/src/markdown.tsx';
const SERVER = 'react-dom/server';
const { renderMarkdown } = (await import(MODULE)) as { renderMarkdown: Render };
const { renderToStaticMarkup } = (await import(SERVER)) as { renderToStaticMarkup: (e: Element) => string };

const EMOJI = new Map([
  ['party_cat', '/api/v1/emoji/party_cat/image?v=1'],
  ['+1_custom', '/api/v1/emoji/%2B1_custom/image?v=2'],
]);
const html = (source: string, emoji: ReadonlyMap<string, string> | null = EMOJI) =>
  renderToStaticMarkup(renderMarkdown(source, { mentioned: new Set(), me: 'me', ...(emoji ? { emoji } : {}) })).replace(/<link rel="preload"[^>]*>/g, '');
const img = (name: string) => `<img class="custom-emoji" src="${EMOJI.get(name)!.replaceAll('&', '&amp;')}" alt=":${name}:" title=":${name}:" draggable="false" data-testid="custom-emoji" data-name="${name}"/>`;

describe('custom emoji in Markdown', () => {
  it('draws :name: of a custom emoji as its image, in the text around it', () => {
    expect(html('look :party_cat: here')).toBe(`look ${img('party_cat')} here`);
    expect(html(':party_cat::+1_custom:')).toBe(`${img('party_cat')}${img('+1_custom')}`);
  });

  it('inside emphasis, lists and link text too', () => {
    expect(html('**wow :party_cat:**')).toBe(`<strong>wow ${img('party_cat')}</strong>`);
    expect(html('- one :party_cat:\n- two')).toContain(`<li>one ${img('party_cat')}</li>`);
    expect(html('[go :party_cat:](https://example.com)')).toContain(`go ${img('party_cat')}</a>`);
  });

  it('leaves code spans and code blocks as written', () => {
    expect(html('`:party_cat:`')).toBe('<code class="md-code">:party_cat:</code>');
    const block = html('```\n:party_cat:\n```');
    expect(block).not.toContain('<img');
    expect(block).toContain(':party_cat:');
  });

  it('leaves a name with no custom emoji (unknown, deleted, or no list) as text', () => {
    expect(html('a :not_here: b')).toBe('a :not_here: b');
    expect(html('a :party_cat: b', new Map())).toBe('a :party_cat: b');
    expect(html('a :party_cat: b', null)).toBe('a :party_cat: b');
    expect(html('time 10:30:45 and a:b:c')).toBe('time 10:30:45 and a:b:c');
    // Not a name: upper case, or a space inside.
    expect(html(':Party_Cat: and :party cat:')).toBe(':Party_Cat: and :party cat:');
  });

  it('does not turn a bare link that holds :name: into an image', () => {
    expect(html('see https://example.com/:party_cat:/x')).not.toContain('<img');
  });
});
