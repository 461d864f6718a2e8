/**
 * Message text is Markdown (issue 20): its plain text for previews, snippets, push and e-mail
 * digests (src/protocol/markdown.ts), the parser's limits, and the composer's shortcuts as text
 * edits (web/src/components/markdown-shortcuts.ts). The rendering itself is tested in Chromium
 * (tests/e2e/markdown.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { isSafeLinkTarget, MARKDOWN_DEPTH_MAX, markdownParser, markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../src/protocol/markdown.js';
import { digestMail, pushNotification, withEditedBody } from '../../src/services/notifications/notification-content.js';
import type { DigestMention } from '../../src/db/repositories/notifications.repository.js';
import { formatSelection, type FormatKey } from '../../web/src/components/markdown-shortcuts.js';

describe('markdownToPlainText', () => {
  it.each([
    ['**bold**', 'bold'],
    ['__bold__ and *italic* and _italic_', 'bold and italic and italic'],
    ['~~struck~~ out', 'struck out'],
    ['a `code span` here', 'a code span here'],
    ['[the docs](https://example.com/docs) say', 'the docs say'],
    ['<https://example.com/x>', 'https://example.com/x'],
    ['see https://example.com/*not*emphasis', 'see https://example.com/*not*emphasis'],
    ['![a cat](https://example.com/cat.png)', 'a cat'],
    ['# Title\n\nSome text', 'Title\nSome text'],
    ['Setext\n===', 'Setext'],
    ['> quoted\n> lines', 'quoted\nlines'],
    ['- one\n- two\n  - nested', 'one\ntwo\nnested'],
    ['1. first\n2. second', 'first\nsecond'],
    ['- [ ] todo\n- [x] done', '[ ] todo\n[x] done'],
    ['| a | b |\n|---|:-:|\n| 1 | 2 |', 'a b\n1 2'],
    ['line one\nline two', 'line one\nline two'],
    ['para one\n\npara two', 'para one\npara two'],
    ['\\*not emphasis\\* &amp; &lt;b&gt;', '*not emphasis* & <b>'],
    ['<b>raw</b> <script>x()</script>', '<b>raw</b> <script>x()</script>'],
    ['[x](javascript:alert(1))', '[x](javascript:alert(1))'],
    ['hi @bob and @all :smile:', 'hi @bob and @all :smile:'],
    ['snake_case_name stays', 'snake_case_name stays'],
  ])('%j is %j', (source, plain) => {
    expect(markdownToPlainText(source)).toBe(plain);
  });

  it('gives a fenced or indented code block its code, whitespace and all', () => {
    expect(markdownToPlainText('Look:\n```ts\nconst a = 1;\n  if (a) **x**;\n```\nafter')).toBe('Look:\nconst a = 1;\n  if (a) **x**;\nafter');
    expect(markdownToPlainText('    indented code\n      more')).toBe('indented code\n  more');
  });

  it('returns the source of a message that is only syntax', () => {
    expect(markdownToPlainText('---')).toBe('---');
    expect(markdownToPlainText('  ![](https://example.com/a.png)  ')).toBe('![](https://example.com/a.png)');
  });

  it('reads only maxSource characters when asked', () => {
    const long = `**start** ${'word '.repeat(2000)}`;
    const plain = markdownToPlainText(long, { maxSource: PREVIEW_SOURCE_MAX });
    expect(plain.startsWith('start word')).toBe(true);
    expect(plain.length).toBeLessThanOrEqual(PREVIEW_SOURCE_MAX);
  });

  it('keeps the text of a block nested too deep, without its markers, in bounded time', () => {
    const bombs = ['>'.repeat(8000) + ' deep', `${'> '.repeat(3000)}deep`, Array.from({ length: 1000 }, (_, i) => `${'  '.repeat(i)}- deep`).join('\n').slice(0, 8000)];
    for (const bomb of bombs) {
      const t = performance.now();
      const plain = markdownToPlainText(bomb);
      expect(performance.now() - t).toBeLessThan(500);
      expect(plain).toMatch(/^deep/);
      expect(plain).not.toMatch(/^[>-]/m);
    }
  });
});

describe('the parser', () => {
  it('nests blocks at most MARKDOWN_DEPTH_MAX deep and keeps the rest as one raw block', () => {
    const tokens = markdownParser().parse('>'.repeat(1000) + ' x', {});
    expect(Math.max(...tokens.map((t) => t.level))).toBe(MARKDOWN_DEPTH_MAX);
    const deep = tokens.find((t) => t.type === 'parley_deep');
    expect(deep?.content).toBe(`${'>'.repeat(1000 - MARKDOWN_DEPTH_MAX)} x`);
  });

  it('parses 10,000 list items, a huge table and pathological emphasis quickly', () => {
    const bombs = [
      '-\n'.repeat(10_000),
      `${'|a'.repeat(2000)}|\n${'|-'.repeat(2000)}|\n${'|b'.repeat(2000)}|`,
      `a|b\n-|-\n${'x|y\n'.repeat(2000)}`,
      '*_'.repeat(4000),
      '[a]('.repeat(2000),
      '`'.repeat(8000),
    ];
    for (const bomb of bombs) {
      const t = performance.now();
      markdownParser().parse(bomb, {});
      expect(performance.now() - t).toBeLessThan(500);
    }
  });

  it('links http(s) and mailto only, never a script or data URL', () => {
    for (const ok of ['https://example.com', 'HTTP://example.com', 'mailto:a@example.com']) expect(isSafeLinkTarget(ok)).toBe(true);
    for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'java\tscript:x', 'JaVaScRiPt:x', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd', '//evil.example', '/relative', '\u202ejavascript:x']) {
      expect(isSafeLinkTarget(bad)).toBe(false);
    }
    const links = (source: string) =>
      markdownParser()
        .parse(source, {})
        .flatMap((t) => t.children ?? [])
        .filter((t) => t.type === 'link_open' || t.type === 'image')
        .map((t) => t.attrGet('href') ?? t.attrGet('src'));
    expect(links('[a](javascript:alert(1)) <javascript:x> ![i](data:image/png;base64,AA) [b](//evil.example)')).toEqual([]);
    expect(links('[a](https://example.com) <mailto:a@example.com> www.example.org')).toEqual(['https://example.com', 'mailto:a@example.com', 'http://www.example.org']);
    // Autolinks as GitHub makes them: a scheme, www. or an e-mail address; not a bare file name.
    expect(links('see readme.md, setup.py and example.com/path; mail ann@example.com or https://x.example/a')).toEqual(['mailto:ann@example.com', 'https://x.example/a']);
    // Nor a dotted @username.
    expect(links('hi @alice.dev and @bob.io')).toEqual([]);
  });

  it('keeps HTML as text', () => {
    const types = markdownParser()
      .parse('<div>block</div>\n\ninline <b>bold</b> <!-- c -->', {})
      .flatMap((t) => [t, ...(t.children ?? [])])
      .map((t) => t.type);
    expect(types).not.toContain('html_block');
    expect(types).not.toContain('html_inline');
  });
});

describe('notifications say the plain text', () => {
  const push = (body: string) =>
    pushNotification({ conversationId: 'c', messageId: 'm', seq: 1, body, attachments: 0, kind: 'direct', conversationName: null, senderName: 'Ann' }, 'https://chat.example');

  it('push: no asterisks, link targets or fences', () => {
    expect(push('**Deploy** is [done](https://ci.example/1) ~~today~~').body).toBe('Deploy is done today');
    expect(push('```sh\nnpm   test\n```').body).toBe('npm test');
  });

  it('push of an edit: the edited text, plain', () => {
    expect(withEditedBody(push('first'), '_second_ version').body).toBe('second version');
  });

  it('e-mail digest: plain text in both parts', () => {
    const mention: DigestMention = {
      userId: 'u',
      dndUntil: null,
      locale: null,
      dndSchedule: null,
      messageId: 'm',
      seq: 1,
      conversationId: 'c',
      kind: 'group',
      conversationName: 'Team',
      senderName: 'Ann',
      displayName: 'Bob',
      email: 'bob@example.com',
      body: '@bob please review **this** `PR`',
      attachments: 0,
      createdAt: new Date('2026-01-01T00:00:00Z'),
    };
    const mail = digestMail('bob@example.com', [mention], 'https://chat.example');
    expect(mail.text).toContain('@bob please review this PR');
    expect(mail.html).toContain('@bob please review this PR');
    expect(mail.text).not.toContain('**');
  });
});

describe('composer shortcuts', () => {
  const apply = (value: string, start: number, end: number, key: FormatKey) => {
    const edit = formatSelection(value, start, end, key);
    if (!edit) return null;
    const next = value.slice(0, edit.from) + edit.insert + value.slice(edit.to);
    return { next, selected: next.slice(edit.selectStart, edit.selectEnd) };
  };

  it('wraps the selection in bold, italic or code markers and keeps it selected', () => {
    expect(apply('make this bold', 5, 9, 'b')).toEqual({ next: 'make **this** bold', selected: 'this' });
    expect(apply('make this italic', 5, 9, 'i')).toEqual({ next: 'make _this_ italic', selected: 'this' });
    expect(apply('run npm test now', 4, 12, 'e')).toEqual({ next: 'run `npm test` now', selected: 'npm test' });
  });

  it('with nothing selected puts the caret between a new pair', () => {
    const edit = formatSelection('ab', 1, 1, 'b')!;
    expect(edit).toMatchObject({ insert: '****', selectStart: 3, selectEnd: 3 });
  });

  it('unwraps a selection already formatted, markers outside or inside it', () => {
    expect(apply('make **this** bold', 7, 11, 'b')).toEqual({ next: 'make this bold', selected: 'this' });
    expect(apply('make **this** bold', 5, 13, 'b')).toEqual({ next: 'make this bold', selected: 'this' });
    expect(apply('`x`', 1, 2, 'e')).toEqual({ next: 'x', selected: 'x' });
  });

  it('makes the selection a link text with "url" selected, or a selected URL the target', () => {
    expect(apply('see the docs', 8, 12, 'k')).toEqual({ next: 'see the [docs](url)', selected: 'url' });
    expect(apply('at https://example.com ok', 3, 22, 'k')).toEqual({ next: 'at [text](https://example.com) ok', selected: 'text' });
  });

  it('leaves Ctrl+K alone with nothing selected (it opens search)', () => {
    expect(formatSelection('abc', 1, 1, 'k')).toBeNull();
  });
});
