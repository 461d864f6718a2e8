/**
 * Message text is Markdown (issue 20), as readers see it in Chromium: emphasis, code with lazy
 * highlighting and a copy button, tables and task lists; raw HTML, script links and remote
 * images made harmless; mentions inside Markdown; the composer's shortcuts; and Markdown bombs
 * rendering in bounded time.
 */
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import type { Locator } from 'playwright-core';
import { pairInGroup, postMessageApi, screenshot, sentMessages, useE2e, windowValue, type UserPage } from '../helpers/browser.js';

/** A stored message of the open conversation, by id. */
function messageById(u: UserPage, id: string) {
  return u.page.locator(`[data-testid="message"][data-message-id="${id}"]`);
}

/** A computed style of an element. */
function computed(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((el, p) => (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el)[p]!, property);
}

/** A textarea's selection and value (the tests' tsconfig has no DOM types). */
interface TextBox {
  value: string;
  selectionStart: number;
  selectionEnd: number;
  setSelectionRange(start: number, end: number): void;
}

/** The JavaScript files the page has loaded so far. */
async function scripts(u: UserPage): Promise<string[]> {
  return u.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js')));
}

describe.runIf(dbKind === 'pglite')('e2e: Markdown in messages', () => {
  const e2e = useE2e();

  it('renders emphasis, strikethrough and code; highlights a fenced block once its chunk loads, and copies it', { timeout: 90_000 }, async () => {
    const { alice, bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Markdown basics');
    await bob.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: e2e.server.httpUrl });
    // Highlighting is not part of the first page's JavaScript.
    expect((await scripts(bob)).filter((s) => /highlight/.test(s))).toEqual([]);

    const inline = await postMessageApi(e2e.server, aliceAcc, groupId, 'This is **bold**, _italic_, ~~gone~~ and `a  <b>code</b>  span`.');
    const body = messageById(bob, inline).getByTestId('message-body');
    await body.waitFor();
    expect(await body.locator('strong').textContent()).toBe('bold');
    expect(await body.locator('em').textContent()).toBe('italic');
    expect(await body.locator('s').textContent()).toBe('gone');
    const code = body.locator('code.md-code');
    expect(await code.textContent()).toBe('a  <b>code</b>  span');
    expect(await computed(code, 'whiteSpace')).toBe('pre-wrap');
    expect(await body.locator('b').count()).toBe(0);

    const source = 'const answer: number = 42;\nfunction   spaced() {\n    return "a long line that goes on and on ' + 'and on '.repeat(40) + '";\n}';
    const fenced = await postMessageApi(e2e.server, aliceAcc, groupId, `Here:\n\n\`\`\`ts\n${source}\n\`\`\``);
    const block = messageById(bob, fenced).getByTestId('code-block');
    await block.waitFor();
    expect(await block.getAttribute('data-lang')).toBe('ts');
    const codeEl = block.getByTestId('code');
    // Highlighted once the chunk is in: keywords are marked, the text is the source exactly.
    await expect.poll(() => codeEl.getAttribute('data-highlighted')).toBe('true');
    expect(await codeEl.locator('.hljs-keyword').first().textContent()).toBe('const');
    expect(await codeEl.textContent()).toBe(source);
    expect((await scripts(bob)).filter((s) => /highlight/.test(s))).toHaveLength(1);
    // Whitespace kept; a long line scrolls inside the block instead of widening the page.
    const pre = block.locator('pre');
    expect(await computed(pre, 'whiteSpace')).toBe('pre');
    expect(await computed(pre, 'overflowX')).toBe('auto');
    expect(await pre.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    expect(await bob.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    await block.getByTestId('code-copy').click();
    await expect.poll(() => block.getByTestId('code-copy').textContent()).toBe('Copied');
    expect(await bob.page.evaluate('navigator.clipboard.readText()')).toBe(source);
    await screenshot(bob.page, 'markdown-code');
    // Alice's own message renders the same way.
    await messageById(alice, fenced).getByTestId('code-block').waitFor();
  });

  it('renders a table and a task list with read-only boxes', { timeout: 90_000 }, async () => {
    const { bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Markdown blocks', { only: 'bob' });
    const id = await postMessageApi(
      e2e.server,
      aliceAcc,
      groupId,
      ['| Task | Owner | Done |', '|:-----|:-----:|-----:|', '| Ship | Ann | 90% |', '| Docs | Bo | 10% |', '', '- [x] tests written', '- [ ] release notes', '', '> quoted', '', '1. one', '2. two'].join('\n'),
    );
    const body = messageById(bob, id).getByTestId('message-body');
    await body.waitFor();
    expect(await body.locator('table th').allTextContents()).toEqual(['Task', 'Owner', 'Done']);
    expect(await body.locator('table tbody tr').count()).toBe(2);
    expect(await computed(body.locator('table td').nth(2), 'textAlign')).toBe('right');
    const boxes = body.getByTestId('task-box');
    expect(await boxes.count()).toBe(2);
    expect(await boxes.evaluateAll((els) => els.map((el) => [(el as unknown as { checked: boolean }).checked, (el as unknown as { disabled: boolean }).disabled]))).toEqual([
      [true, true],
      [false, true],
    ]);
    expect(await body.getByTestId('task-item').allTextContents()).toEqual(['tests written', 'release notes']);
    // Clicking a box changes nothing.
    await boxes.nth(1).click({ force: true });
    expect(await boxes.nth(1).isChecked()).toBe(false);
    expect(await body.locator('blockquote').textContent()).toBe('quoted');
    expect(await body.locator('ol li').allTextContents()).toEqual(['one', 'two']);
    await screenshot(bob.page, 'markdown-table-tasks');
  });

  it('shows raw HTML as text, makes no link of javascript:, and never loads a remote image', { timeout: 90_000 }, async () => {
    const { bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Markdown safety', { only: 'bob' });
    const imageUrl = `${e2e.server.httpUrl}/leak-${Date.now()}.png`;
    const requested: string[] = [];
    bob.page.on('request', (r) => {
      if (r.url().includes('/leak-')) requested.push(r.url());
    });
    const html = await postMessageApi(e2e.server, aliceAcc, groupId, '<div onclick="window.__xss=1">block</div>\n\ninline <img src=x onerror="window.__xss=2"> <script>window.__xss=3</script>');
    const links = await postMessageApi(
      e2e.server,
      aliceAcc,
      groupId,
      '[click](javascript:window.__xss=4) <javascript:alert(5)> [data](data:text/html,hi) [ok](https://example.com/ok "t") <https://example.com/auto> www.example.org',
    );
    const image = await postMessageApi(e2e.server, aliceAcc, groupId, `look ![a chart](${imageUrl}) and ![x](javascript:alert(6))`);

    const htmlBody = messageById(bob, html).getByTestId('message-body');
    await htmlBody.waitFor();
    expect(await htmlBody.textContent()).toBe('<div onclick="window.__xss=1">block</div>inline <img src=x onerror="window.__xss=2"> <script>window.__xss=3</script>');
    expect(await htmlBody.locator('div, img, script').count()).toBe(0);

    const linkBody = messageById(bob, links).getByTestId('message-body');
    await linkBody.waitFor();
    const anchors = await linkBody.locator('a').evaluateAll((els) => els.map((a) => [a.getAttribute('href'), a.textContent, a.getAttribute('target'), a.getAttribute('rel')]));
    expect(anchors).toEqual([
      ['https://example.com/ok', 'ok', '_blank', 'noopener noreferrer nofollow'],
      ['https://example.com/auto', 'https://example.com/auto', '_blank', 'noopener noreferrer nofollow'],
      ['http://www.example.org', 'www.example.org', '_blank', 'noopener noreferrer nofollow'],
    ]);
    expect(await linkBody.textContent()).toContain('[click](javascript:window.__xss=4)');

    const imageBody = messageById(bob, image).getByTestId('message-body');
    await imageBody.waitFor();
    expect(await imageBody.locator('img').count()).toBe(0);
    const imageLink = imageBody.getByTestId('image-link');
    expect(await imageLink.getAttribute('href')).toBe(imageUrl);
    expect(await imageLink.textContent()).toContain('a chart');
    expect(await imageBody.locator('a').count()).toBe(1);

    expect(await bob.page.evaluate(`[...document.querySelectorAll('a[href]')].filter((a) => !/^(https?|blob|mailto):$/.test(new URL(a.href).protocol)).length`)).toBe(0);
    expect(await windowValue(bob.page, '__xss')).toBeUndefined();
    expect(requested).toEqual([]);
  });

  it('keeps mentions inside Markdown, but not in code; previews show plain text', { timeout: 90_000 }, async () => {
    const { alice, bob, aliceAcc, bobAcc, groupId } = await pairInGroup(e2e, 'Markdown mentions');
    const name = bobAcc.user.username;
    const id = await postMessageApi(e2e.server, aliceAcc, groupId, `**@${name} please** review _[the doc](https://example.com/@${name})_ and \`@${name}\`\n\n- @${name} in a list`);
    const body = messageById(bob, id).getByTestId('message-body');
    await body.waitFor();
    const mentions = body.getByTestId('mention');
    expect(await mentions.allTextContents()).toEqual([`@${name}`, `@${name}`]);
    expect(await body.locator('strong [data-testid="mention"]').count()).toBe(1);
    expect(await body.locator('li [data-testid="mention"]').count()).toBe(1);
    expect(await mentions.first().getAttribute('class')).toContain('mention-me');
    expect(await body.locator('code [data-testid="mention"], a [data-testid="mention"]').count()).toBe(0);
    // Alice sees the mention too (not as her own).
    await expect.poll(() => messageById(alice, id).getByTestId('mention').count()).toBe(2);

    // The inbox preview is the plain text.
    const preview = bob.page.locator(`[data-testid="inbox-item"][data-conversation-id="${groupId}"] [data-testid="inbox-preview"]`);
    await expect.poll(() => preview.textContent()).toContain(`@${name} please review the doc and @${name}`);
    expect(await preview.textContent()).not.toContain('**');
  });

  it('formats the selection with Ctrl+B, I, E and K; not while an input method composes', { timeout: 90_000 }, async () => {
    const { alice } = await pairInGroup(e2e, 'Markdown shortcuts', { only: 'alice' });
    const page = alice.page;
    const input = page.getByTestId('composer-input');
    const select = (start: number, end: number) => input.evaluate((el, [s, e]) => (el as unknown as TextBox).setSelectionRange(s!, e!), [start, end]);
    const selection = () =>
      input.evaluate((el) => {
        const t = el as unknown as TextBox;
        return t.value.slice(t.selectionStart, t.selectionEnd);
      });

    await input.fill('make this bold');
    await select(5, 9);
    await input.press('Control+b');
    await expect.poll(() => input.inputValue()).toBe('make **this** bold');
    expect(await selection()).toBe('this');
    // Again: plain once more (and Ctrl+Z would undo it, as the browser's own edit).
    await input.press('Control+b');
    await expect.poll(() => input.inputValue()).toBe('make this bold');
    await input.press('Control+i');
    await expect.poll(() => input.inputValue()).toBe('make _this_ bold');
    await input.press('Control+z');
    await expect.poll(() => input.inputValue()).toBe('make this bold');

    await input.fill('run npm test');
    await select(4, 12);
    await input.press('Control+e');
    await expect.poll(() => input.inputValue()).toBe('run `npm test`');

    await input.fill('read the docs');
    await select(9, 13);
    await input.press('Control+k');
    await expect.poll(() => input.inputValue()).toBe('read the [docs](url)');
    expect(await selection()).toBe('url');
    await page.keyboard.type('https://example.com/docs');
    await expect.poll(() => input.inputValue()).toBe('read the [docs](https://example.com/docs)');
    expect(await page.getByTestId('quick-switcher').count()).toBe(0);

    // While an input method composes, Ctrl+B is the input method's.
    await input.fill('');
    await input.focus();
    const cdp = await alice.context.newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 0, selectionEnd: 2 });
    await expect.poll(() => input.inputValue()).toBe('ni');
    await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key: 'b', code: 'KeyB', modifiers: 2, windowsVirtualKeyCode: 229, nativeVirtualKeyCode: 229 });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'b', code: 'KeyB', modifiers: 2, windowsVirtualKeyCode: 229, nativeVirtualKeyCode: 229 });
    await cdp.send('Input.insertText', { text: '你' });
    await expect.poll(() => input.inputValue()).toBe('你');
    await cdp.detach();

    // The shortcut's result goes out as Markdown.
    await input.fill('');
    await input.fill('ship it');
    await select(0, 4);
    await input.press('Control+b');
    await expect.poll(() => input.inputValue()).toBe('**ship** it');
    await input.press('Enter');
    const sent = sentMessages(page).last();
    await expect.poll(() => sent.locator('[data-testid="message-body"] strong').textContent()).toBe('ship');

    // With nothing selected, Ctrl+K is still the quick switcher.
    await input.focus();
    await input.press('Control+k');
    await page.getByTestId('quick-switcher').waitFor();
  });

  it('renders Markdown bombs (deep nesting, thousands of items, huge tables) in well under a second each', { timeout: 120_000 }, async () => {
    const { bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Markdown bombs', { only: 'bob' });
    const MAX = 8000; // MESSAGE_BODY_MAX
    const lines = (make: (i: number) => string) => {
      let out = '';
      for (let i = 0; ; i++) {
        const next = `${out}${make(i)}\n`;
        if (next.length > MAX) return out.trimEnd();
        out = next;
      }
    };
    const bombs: Record<string, string> = {
      'quotes nested 7,990 deep': `${'>'.repeat(MAX - 10)} deep end`,
      'lists nested to the limit': lines((i) => `${'  '.repeat(i)}- level ${i}`),
      'quote and list lines, ever deeper': lines((i) => `${'> - '.repeat(i)}x`),
      '4,000 list items': lines(() => '-'),
      '2,000-row table': `a|b\n-|-\n${lines(() => 'x|y')}`.slice(0, MAX),
      '2,600-cell wide table': `${'|a'.repeat(1300)}|\n${'|-'.repeat(1300)}|\n${'|b'.repeat(1300)}|`.slice(0, MAX),
      'emphasis nested 2,000 deep': `${'*'.repeat(3995)}x${'*'.repeat(3995)}`,
      'unclosed emphasis and links': `${'*_'.repeat(2000)}${'[a]('.repeat(990)}`,
    };
    // The page's longest task while the bombs arrive: parsing and rendering each is one task.
    await bob.page.evaluate(`
      window.__longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
      }).observe({ type: 'longtask' });
    `);
    const timings: Record<string, number> = {};
    for (const [label, source] of Object.entries(bombs)) {
      expect(source.length).toBeLessThanOrEqual(MAX);
      const t0 = performance.now();
      const id = await postMessageApi(e2e.server, aliceAcc, groupId, source);
      await messageById(bob, id).getByTestId('message-body').waitFor();
      timings[label] = Math.round(performance.now() - t0);
    }
    const longest = (await windowValue(bob.page, '__longest')) as number;
    // Posted, delivered and rendered: each well under a second, and no task froze the page that long.
    console.info(`Markdown bombs: ms from post to rendered ${JSON.stringify(timings)}, longest task ${Math.round(longest)} ms`);
    // Bounded, not fast: alone each bomb renders in 0.1-0.9 s with the longest task under 0.8 s
    // (the figures above); the bounds leave room for a loaded test machine and still catch a
    // renderer that grows without bound (seconds to minutes, or a stack overflow).
    for (const [label, ms] of Object.entries(timings)) expect(ms, label).toBeLessThan(4000);
    expect(longest).toBeLessThan(2500);

    // Bounded nesting in the page, and the deep text still there to read.
    const depth = (await bob.page.evaluate(`(() => {
      let max = 0;
      for (const body of document.querySelectorAll('[data-testid="message-body"]')) {
        const walk = [{ el: body, d: 0 }];
        while (walk.length) {
          const { el, d } = walk.pop();
          max = Math.max(max, d);
          for (const c of el.children) walk.push({ el: c, d: d + 1 });
        }
      }
      return max;
    })()`)) as number;
    expect(depth).toBeLessThanOrEqual(40);
    expect(await sentMessages(bob.page).filter({ hasText: 'deep end' }).count()).toBe(1);
    // Scrolling the conversation still works: the page answers.
    expect(await bob.page.evaluate(() => 1 + 1)).toBe(2);
    await screenshot(bob.page, 'markdown-bombs');
  });
});
