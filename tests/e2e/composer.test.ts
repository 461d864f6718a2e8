/**
 * What goes into a message and how it comes out: Chinese typed through an input method, markup
 * and script URLs shown as text (never run), links made safe, and an image attachment previewed.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import {
  inboxItem,
  pairInGroup,
  screenshot,
  sendFromComposer,
  sentBodies,
  sentMessage,
  sentMessages,
  useE2e,
  windowValue,
  type UserPage,
} from '../helpers/browser.js';

/** Messages in the open conversation, stored or not. */
function anyMessages(u: UserPage) {
  return u.page.locator('[data-testid="message"]');
}

describe.runIf(dbKind === 'pglite')('e2e: the composer and message rendering', () => {
  const e2e = useE2e();

  it('does not send on Enter while an input method is composing Chinese; Enter after the composition sends it', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'IME');
    const input = alice.page.getByTestId('composer-input');
    await input.focus();
    // Chromium's own IME path (as a real input method drives it): compositionstart/update with
    // isComposing set on every key event until the text is committed.
    const cdp = await alice.context.newCDPSession(alice.page);
    await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 2, selectionEnd: 2 });
    await cdp.send('Input.imeSetComposition', { text: 'nihao', selectionStart: 5, selectionEnd: 5 });
    await expect.poll(() => input.inputValue()).toBe('nihao');

    // Enter to pick a candidate, as Chrome delivers it from an IME (keyCode 229, isComposing) and
    // as some platforms do (keyCode 13, isComposing): neither sends.
    for (const keyCode of [229, 13]) {
      await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: keyCode, nativeVirtualKeyCode: keyCode });
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: keyCode, nativeVirtualKeyCode: keyCode });
    }
    await alice.page.waitForTimeout(300);
    expect(await anyMessages(alice).count()).toBe(0);
    expect(await input.inputValue()).toBe('nihao');

    // The input method commits the characters: compositionend.
    await cdp.send('Input.insertText', { text: '你好世界' });
    await expect.poll(() => input.inputValue()).toBe('你好世界');
    await alice.page.waitForTimeout(300);
    expect(await anyMessages(alice).count()).toBe(0);
    await cdp.detach();

    // Now Enter sends, and both sides show the Chinese text.
    await input.press('Enter');
    await sentMessage(alice.page, '你好世界').waitFor();
    await sentMessage(bob.page, '你好世界').waitFor();
    expect(await sentBodies(alice.page)).toEqual(['你好世界']);
    expect(await sentBodies(bob.page)).toEqual(['你好世界']);
    expect(await input.inputValue()).toBe('');
  });

  it('shows an XSS payload and a javascript: link as plain text, and makes http(s) URLs safe links', { timeout: 90_000 }, async () => {
    const { alice, bob, groupId } = await pairInGroup(e2e, 'Security');
    const markup = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    const scriptLinks = '[click me](javascript:window.__xss=3) javascript:window.__xss=4 JaVaScRiPt:alert(5)';
    const links = 'docs at https://example.com/docs?a=1&b=2 and (http://example.org/x).';
    for (const body of [markup, scriptLinks, links]) await sendFromComposer(alice.page, body);

    for (const u of [alice, bob]) {
      await expect.poll(() => sentBodies(u.page)).toEqual([markup, scriptLinks, links]);
      // Shown literally, as text.
      await sentMessage(u.page, markup).waitFor();
      await sentMessage(u.page, scriptLinks).waitFor();
      expect(await windowValue(u.page, '__xss')).toBeUndefined();
      // No element made from the payload: no image, no script, no javascript: anchor.
      const body = sentMessage(u.page, markup).getByTestId('message-body');
      expect(await body.locator('*').count()).toBe(0);
      const found = (await u.page.evaluate(`({
        imgX: document.querySelectorAll('img[src="x"], img[onerror], [onerror]').length,
        xssScripts: [...document.scripts].filter((s) => s.textContent.includes('__xss')).length,
        scriptLinks: [...document.querySelectorAll('a[href]')].filter((a) => !/^(https?|blob):$/.test(new URL(a.href, location.href).protocol)).length,
      })`)) as Record<string, number>;
      expect(found).toEqual({ imgX: 0, xssScripts: 0, scriptLinks: 0 });
      expect(await sentMessage(u.page, scriptLinks).locator('a').count()).toBe(0);

      // http(s) URLs are links that open in a new tab without access to this one.
      const anchors = sentMessage(u.page, links).locator('a');
      await expect.poll(() => anchors.count()).toBe(2);
      const attrs = (await anchors.evaluateAll((els) => els.map((a) => ({ href: a.getAttribute('href'), text: a.textContent, target: a.getAttribute('target'), rel: a.getAttribute('rel') })))) as {
        href: string;
        text: string;
        target: string;
        rel: string;
      }[];
      expect(attrs.map((a) => [a.href, a.text, a.target])).toEqual([
        ['https://example.com/docs?a=1&b=2', 'https://example.com/docs?a=1&b=2', '_blank'],
        ['http://example.org/x', 'http://example.org/x', '_blank'],
      ]);
      for (const a of attrs) expect(a.rel.split(/\s+/)).toContain('noopener');
    }
    // Bob's inbox preview shows the text as text too.
    const preview = inboxItem(bob.page, groupId).getByTestId('inbox-preview');
    await expect.poll(() => preview.textContent()).toContain('(http://example.org/x).');
    expect(await windowValue(bob.page, '__xss')).toBeUndefined();
    await screenshot(bob.page, 'xss-as-text');
  });

  // Issue 26.6: "\u202E" before a reversed URL made it read as an accounts.google.com link.
  it('shows a link behind a right-to-left override as the link it is, isolated from the text around it', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'Bidi');
    const spoof = 'sign in: \u202Ehttps://evil.example/moc.elgoog.stnuocca//:sptth';
    // Not sendFromComposer: it waits for the text as typed, which is not what is shown.
    const input = alice.page.getByTestId('composer-input');
    await input.fill(spoof);
    await input.press('Enter');
    const target = 'https://evil.example/moc.elgoog.stnuocca//:sptth';
    for (const u of [alice, bob]) {
      // Shown without the override (and so not reversed).
      await expect.poll(() => sentBodies(u.page)).toEqual([`sign in: ${target}`]);
      const a = sentMessages(u.page).locator('[data-testid="message-body"] a');
      const shown = await a.evaluate((el) => {
        const style = (globalThis as unknown as { getComputedStyle(e: unknown): { direction: string; unicodeBidi: string } }).getComputedStyle(el);
        return { href: el.getAttribute('href'), text: el.textContent, direction: style.direction, unicodeBidi: style.unicodeBidi };
      });
      expect(shown).toEqual({ href: target, text: target, direction: 'ltr', unicodeBidi: 'isolate' });
    }
  });

  it('previews an attached image before sending, and both sides see it load after', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'Pictures');
    const png = await sharp({ create: { width: 160, height: 90, channels: 3, background: { r: 30, g: 120, b: 200 } } })
      .composite([{ input: { create: { width: 60, height: 40, channels: 3, background: { r: 240, g: 200, b: 40 } } }, left: 20, top: 20 }])
      .png()
      .toBuffer();

    await alice.page.getByTestId('composer-file-input').setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: png });
    const chip = alice.page.getByTestId('composer-attachment');
    await chip.waitFor();
    await expect.poll(() => chip.textContent()).toContain('chart.png');
    await expect.poll(() => chip.locator('img').evaluate((img) => img.complete && img.naturalWidth)).toBe(160);
    await alice.page.getByTestId('composer-input').fill('the chart 图表');
    await alice.page.getByTestId('composer-send').click();

    for (const u of [alice, bob]) {
      const message = sentMessage(u.page, 'the chart 图表');
      await message.waitFor();
      const img = message.locator('[data-testid="attachment-image"] img');
      await img.waitFor();
      await img.scrollIntoViewIfNeeded();
      await expect.poll(() => img.evaluate((el) => el.complete && el.naturalWidth > 0 && el.naturalHeight > 0), { timeout: 10_000 }).toBe(true);
      expect(await img.getAttribute('alt')).toBe('chart.png');
      // The link opens the full file: the same bytes, served as a PNG.
      const href = await message.getByTestId('attachment-image').getAttribute('href');
      expect(href).toBeTruthy();
      const full = await u.page.request.get(href!);
      expect(full.status()).toBe(200);
      expect(full.headers()['content-type']).toMatch(/^image\/png/);
      expect(Buffer.compare(await full.body(), png)).toBe(0);
    }
    expect(await alice.page.getByTestId('composer-attachment').count()).toBe(0);
    expect(await sentMessages(bob.page).count()).toBe(1);
    await screenshot(bob.page, 'image-attachment');
  });

  // Slash commands (issue 22): suggested as you type, run by the server, the answer shown to you alone.
  it('suggests commands after /, completes with Tab, runs /shrug and /status, and sends an unknown /word as text', { timeout: 90_000 }, async () => {
    const { alice, bob } = await pairInGroup(e2e, 'Commands');
    const input = alice.page.getByTestId('composer-input');
    await input.fill('/s');
    const options = alice.page.getByTestId('command-option');
    await expect.poll(() => options.evaluateAll((els) => els.map((e) => e.getAttribute('data-command')))).toEqual(['shrug', 'status']);
    await input.press('Tab');
    await expect.poll(() => input.inputValue()).toBe('/shrug ');
    await input.pressSequentially('没办法');
    await input.press('Enter');
    await sentMessage(bob.page, '没办法 ¯\\_(ツ)_/¯').waitFor();

    // The server's answer is for Alice alone.
    await input.fill('/status 🌴 on holiday');
    await input.press('Enter');
    await alice.page.getByText('Your status is set.').waitFor();
    await expect.poll(() => input.inputValue()).toBe('');

    // Not a command: a path is a message like any other.
    await input.fill('/usr/bin is where it lives');
    await input.press('Enter');
    await sentMessage(bob.page, '/usr/bin is where it lives').waitFor();
  });
});
