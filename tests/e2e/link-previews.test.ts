/** Link preview cards in the browser: shown live to both sides with Parley's copy of the image; the sender removes one. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { pairInGroup, postMessageApi, screenshot, useE2e } from '../helpers/browser.js';

function byId(page: Page, messageId: string): Locator {
  return page.locator(`[data-testid="message"][data-message-id="${messageId}"]`);
}

describe.runIf(dbKind === 'pglite')('e2e: link previews', () => {
  // The page server below is on loopback: allowed as for webhooks in tests.
  const e2e = useE2e({ WEBHOOK_ALLOW_PRIVATE: 'on' });
  let pages: http.Server;
  let base = '';
  beforeAll(async () => {
    const png = await sharp({ create: { width: 640, height: 320, channels: 3, background: { r: 40, g: 90, b: 200 } } }).png().toBuffer();
    pages = http.createServer((req, res) => {
      if (req.url === '/img.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(png);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<html><head><meta property="og:title" content="Release notes 发布说明"><meta property="og:site_name" content="Example Blog">' +
          '<meta property="og:description" content="Everything that changed in this release, described at some length so that the card has to clamp it to a few lines of text.">' +
          '<meta property="og:image" content="/img.png"></head></html>',
      );
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    pages.closeAllConnections();
    await new Promise((r) => pages.close(r));
  });

  it('shows the card live on both sides with the image from Parley; only the sender can remove it', { timeout: 90_000 }, async () => {
    const { alice, bob, aliceAcc, groupId } = await pairInGroup(e2e, 'Previews');
    const id = await postMessageApi(e2e.server, aliceAcc, groupId, `Out now: ${base}/notes`);
    for (const page of [alice.page, bob.page]) {
      const card = byId(page, id).getByTestId('link-preview');
      await card.waitFor();
      const title = card.getByTestId('link-preview-title');
      expect(await title.textContent()).toBe('Release notes 发布说明');
      expect(await title.getAttribute('href')).toBe(`${base}/notes`);
      expect(await title.getAttribute('rel')).toBe('noopener noreferrer nofollow');
      const img = card.locator('img');
      expect(await img.getAttribute('src')).toMatch(/^\/api\/v1\/link-previews\/images\/[a-f0-9]{64}\?/);
      await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
      // Not marked as edited by the preview.
      expect(await byId(page, id).getByTestId('message-edited').count()).toBe(0);
    }
    await screenshot(bob.page, 'link-preview-card');
    expect(await byId(bob.page, id).getByTestId('link-preview-remove').count()).toBe(0);
    await byId(alice.page, id).getByTestId('link-preview-remove').click();
    for (const page of [alice.page, bob.page]) await byId(page, id).getByTestId('link-preview').waitFor({ state: 'detached' });
  });
});
