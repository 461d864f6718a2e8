/** The pure parts of link previews: which links of a body get previews, and what a page says of itself. */
import { describe, expect, it } from 'vitest';
import { decodePage, extractLinks, hasLink, normalizeLink, parsePageMeta } from '../../src/services/messaging/link-preview-fetch.js';

describe('extractLinks', () => {
  it('finds http(s) links in order, each once, normalized, at most max', () => {
    const body = 'see https://Example.COM/a#top and http://example.org:80/b?q=1, then https://example.com/a again https://x.test/ https://y.test/';
    expect(extractLinks(body, 3)).toEqual(['https://example.com/a', 'http://example.org/b?q=1', 'https://x.test/']);
  });

  it('leaves out sentence punctuation and brackets around a link, keeps balanced ones inside', () => {
    expect(extractLinks('(https://a.test/x). "https://b.test/y"! [link](https://c.test/z) https://en.wikipedia.org/wiki/Foo_(bar)', 5)).toEqual([
      'https://a.test/x',
      'https://b.test/y',
      'https://c.test/z',
      'https://en.wikipedia.org/wiki/Foo_(bar)',
    ]);
  });

  it('ignores what is not an http(s) link, or carries credentials', () => {
    expect(extractLinks('ftp://a.test/ javascript:alert(1) mailto:x@y.test https://user:pw@a.test/ www.example.com', 3)).toEqual([]);
    expect(hasLink('no links here')).toBe(false);
    expect(hasLink('HTTPS://A.TEST')).toBe(true);
    expect(normalizeLink('javascript:alert(1)')).toBeNull();
  });

  it('finds links between Chinese text, ending at CJK punctuation', () => {
    expect(extractLinks('看这个https://example.com/文章。很好，https://b.test/（注）', 3)).toEqual(['https://example.com/%E6%96%87%E7%AB%A0', 'https://b.test/']);
  });
});

describe('parsePageMeta', () => {
  const base = new URL('https://site.test/dir/page');

  it('prefers OpenGraph, then Twitter cards, then <title> and meta description', () => {
    const og = parsePageMeta(
      '<html><head><title>T</title><meta property="og:title" content="OG &amp; co"><meta name="twitter:title" content="TW">' +
        '<meta property="og:description" content="D"><meta property="og:site_name" content="S"><meta property="og:image" content="../img.png"></head></html>',
      base,
    );
    expect(og).toEqual({ title: 'OG & co', description: 'D', siteName: 'S', imageUrl: 'https://site.test/img.png' });
    const tw = parsePageMeta('<meta name="twitter:title" content="TW"><meta name="twitter:image" content="https://cdn.test/i.jpg"><title>T</title>', base);
    expect(tw).toMatchObject({ title: 'TW', imageUrl: 'https://cdn.test/i.jpg' });
    const plain = parsePageMeta('<TITLE>\n  Plain   title\n</TITLE><META NAME="Description" CONTENT="desc">', base);
    expect(plain).toEqual({ title: 'Plain title', description: 'desc', siteName: null, imageUrl: null });
  });

  it('drops control and bidi-override characters, shortens long texts, refuses non-http images', () => {
    const long = 'x'.repeat(2_000);
    const meta = parsePageMeta(`<meta property="og:title" content="evil\u202Etxt.exe"><meta property="og:description" content="${long}"><meta property="og:image" content="javascript:alert(1)">`, base);
    expect(meta.title).toBe('eviltxt.exe');
    expect([...meta.description!]).toHaveLength(1_000);
    expect(meta.description!.endsWith('…')).toBe(true);
    expect(meta.imageUrl).toBeNull();
  });

  it('reads a page that is cut short or broken', () => {
    expect(parsePageMeta('<html><head><meta property="og:title" content="Cut', base).title).toBeNull();
    expect(parsePageMeta('<title>Unclosed', base).title).toBe('Unclosed');
    expect(parsePageMeta('', base)).toEqual({ title: null, description: null, siteName: null, imageUrl: null });
  });
});

describe('decodePage', () => {
  // 中文 in GBK.
  const gbk = Buffer.concat([Buffer.from('<html><head><meta charset="gbk"><title>'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), Buffer.from('</title>')]);

  it('uses the Content-Type charset, else a <meta> charset near the top, else UTF-8', () => {
    expect(parsePageMeta(decodePage(gbk, null), new URL('https://a.test/')).title).toBe('中文');
    expect(decodePage(Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'), null)).toContain('Shift_JIS');
    expect(decodePage(Buffer.from('<title>中文</title>'), null)).toBe('<title>中文</title>');
    expect(decodePage(Buffer.from('<title>é</title>', 'latin1'), 'iso-8859-1')).toBe('<title>é</title>');
  });

  it('falls back to UTF-8 for a charset it does not know', () => {
    expect(decodePage(Buffer.from('<title>ok</title>'), 'x-no-such-charset')).toBe('<title>ok</title>');
  });
});
