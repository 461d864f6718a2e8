/**
 * Link previews (docs/protocol.md, "Link previews"), against a local HTTP server this file starts
 * on a free loopback port: OpenGraph pages, redirects (a redirect to a private address refused
 * when the guard is on), a huge page, a slow page (the time limit), a non-HTML answer, a page with
 * an image (proxied: its URL points at Parley), the shared cache (two messages, one fetch), the
 * sender removing a preview, the admin switch, and a send acked without waiting for the fetch.
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkPreviewJobs, linkPreviews, messages as messagesTable } from '../../src/db/schema.js';
import type { LinkPreview, Message } from '../../src/protocol/entities.js';
import { resolveWebhookTarget } from '../../src/services/integrations/webhook-guard.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/kit.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

const ADMIN = 'previewadmin';
/** Shortened so the slow page's time limit is reached quickly. */
const FAST = { pollIntervalMs: 50, timeoutMs: 1_500, busyRetryMs: 100 };

/** The page server: what each path answers, and how often each was asked for. */
interface PageServer {
  url: string;
  port: number;
  hits: Map<string, number>;
  /** Bytes of the huge page written before the client went away. */
  hugeSent: number;
  /** Releases the held page (`/held`). */
  release(): void;
  close(): Promise<void>;
}

const HUGE_BYTES = 20 * 1024 * 1024;

const page = (head: string): string => `<!doctype html><html><head><meta charset="utf-8">${head}</head><body><p>hello</p></body></html>`;

async function startPageServer(): Promise<PageServer> {
  const hits = new Map<string, number>();
  const png = await sharp({ create: { width: 800, height: 400, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();
  let releaseHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  const state = { hugeSent: 0 };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const html = (body: string): void => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    };
    const n = /^\/redirect\/(\d+)$/.exec(path);
    if (n) {
      const left = Number(n[1]);
      res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}` : '/og' });
      res.end();
      return;
    }
    switch (path) {
      case '/og':
      case '/og-cached':
      case '/og-remove':
      case '/og-switch':
      case '/og-held-target':
        return html(
          page(
            '<title>Fallback title</title><meta property="og:title" content="Parley &amp; friends 你好">' +
              '<meta property="og:description" content="A chat server, described.">' +
              '<meta property="og:site_name" content="Example Site">',
          ),
        );
      case '/plain-title':
        return html(page('<title>  Just a title  </title><meta name="description" content="Meta description here">'));
      case '/with-image':
        return html(page('<meta property="og:title" content="With a picture"><meta property="og:image" content="/img.png">'));
      case '/img.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
        res.end(png);
        return;
      case '/gzip': {
        // Compressed, as most servers answer (the request accepts gzip, deflate and br).
        const zipped = gzipSync(page('<meta property="og:title" content="Compressed page 压缩">'));
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' });
        res.end(zipped);
        return;
      }
      case '/bomb': {
        // 50 MiB of HTML in ~50 KiB: read only up to the cap, decompressed.
        const zipped = gzipSync(Buffer.concat([Buffer.from(page('<meta property="og:title" content="Bomb">')), Buffer.alloc(50 * 1024 * 1024, ' ')]));
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        res.end(zipped);
        return;
      }
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('<meta property="og:title" content="not html">');
        return;
      case '/huge': {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write(page('<meta property="og:title" content="Huge page">'));
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = (): void => {
          while (state.hugeSent < HUGE_BYTES && !res.destroyed) {
            state.hugeSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      case '/slow':
        // Headers never come (until the client gives up and the socket closes).
        return;
      case '/held':
        void held.then(() => html(page('<meta property="og:title" content="Held page">')));
        return;
      case '/to-private':
        // Another loopback port: a private address the guard refuses.
        res.writeHead(302, { location: 'http://127.0.0.2:9/og' });
        res.end();
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    get hugeSent() {
      return state.hugeSent;
    },
    release: () => releaseHeld(),
    close: () =>
      new Promise<void>((resolve) => {
        releaseHeld();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let pages: PageServer;
beforeAll(async () => {
  pages = await startPageServer();
});
afterAll(async () => pages?.close());

/** Helpers over one app. */
function helpers(getApp: () => TestApp) {
  const call = apiCaller(() => getApp().app);
  const group = async (owner: Account, memberIds: string[] = []): Promise<string> => {
    const res = await call('POST', '/groups', owner, { name: 'previews', memberIds });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  };
  const send = async (who: Account, conversationId: string, body: string): Promise<Message> => {
    const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Message;
  };
  const get = async (who: Account, id: string): Promise<Message> => {
    const res = await call('GET', `/messages/${id}`, who);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Message;
  };
  /** Waits until the message's job has left the queue (previews stored, or none to make). */
  const settled = async (messageId: string): Promise<void> => {
    const db = getApp().database.db;
    await getApp().app.services.linkPreviews.flush();
    await waitFor(async () => (await db.select().from(linkPreviewJobs).where(eq(linkPreviewJobs.messageId, messageId))).length === 0, 'the preview job to finish', 10_000);
  };
  const previewsOf = async (who: Account, id: string): Promise<LinkPreview[]> => {
    await settled(id);
    return (await get(who, id)).previews ?? [];
  };
  return { call, group, send, get, settled, previewsOf };
}

describe('link previews, private targets allowed (WEBHOOK_ALLOW_PRIVATE=on)', () => {
  let t: TestServer;
  const h = helpers(() => t);
  let alice: Account, bob: Account, admin: Account;
  let gid: string;
  beforeAll(async () => {
    t = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'on', ADMIN_USERNAME: ADMIN }, { linkPreviews: FAST });
    admin = await register(t.app, ADMIN);
    [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
    gid = await h.group(alice, [bob.user.id]);
  }, 120_000);
  afterAll(async () => t?.close());

  it('a send with a link acks without waiting for the fetch; the preview follows as message.updated, not an edit', async () => {
    const ws = await WsClient.connect(t.wsUrl, bob.token);
    const sender = await WsClient.connect(t.wsUrl, alice.token);
    try {
      const ack = await sender.request({ type: 'message.send', conversationId: gid, body: `look ${pages.url}/held`, clientMsgId: 'held-1' });
      expect(ack.type).toBe('ack');
      const id = ack.message.id as string;
      // The page has been asked for and is not answered yet: the ack came first.
      await waitFor(() => (pages.hits.get('/held') ?? 0) > 0, 'the fetch to start', 10_000);
      expect(ws.frames.some((f) => f.type === 'message.updated' && f.message.id === id)).toBe(false);
      pages.release();
      const updated = await ws.next((f) => f.type === 'message.updated' && f.message.id === id, 10_000);
      expect(updated.message.previews).toEqual([{ url: `${pages.url}/held`, title: 'Held page', description: null, siteName: null, image: null }]);
      expect(updated.message.editedAt).toBeNull();
      expect(updated.message.body).toBe(`look ${pages.url}/held`);
      // The REST history shows it too.
      const history = await h.call('GET', `/conversations/${gid}/messages`, bob);
      expect((history.json() as { messages: Message[] }).messages.find((m) => m.id === id)?.previews?.[0]?.title).toBe('Held page');
    } finally {
      ws.close();
      sender.close();
    }
  });

  it('reads OpenGraph tags (entities decoded), falling back to <title> and meta description', async () => {
    const m = await h.send(alice, gid, `see ${pages.url}/og, and ${pages.url}/plain-title.`);
    const previews = await h.previewsOf(bob, m.id);
    expect(previews).toEqual([
      { url: `${pages.url}/og`, title: 'Parley & friends 你好', description: 'A chat server, described.', siteName: 'Example Site', image: null },
      { url: `${pages.url}/plain-title`, title: 'Just a title', description: 'Meta description here', siteName: null, image: null },
    ]);
    expect((await h.get(bob, m.id)).editedAt).toBeNull();
  });

  it('proxies the image: stored as a WebP copy on Parley, served from a signed URL, never the linked address', async () => {
    const m = await h.send(alice, gid, `${pages.url}/with-image`);
    const [preview] = await h.previewsOf(bob, m.id);
    expect(preview?.title).toBe('With a picture');
    const image = preview!.image!;
    expect(image.url).toMatch(/^\/api\/v1\/link-previews\/images\/[a-f0-9]{64}\?expires=\d+&sig=/);
    expect(image.url).not.toContain('127.0.0.1');
    // 800x400 scaled into the 600 px box.
    expect({ width: image.width, height: image.height }).toEqual({ width: 600, height: 300 });
    const res = await t.app.inject({ method: 'GET', url: image.url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    expect((await sharp(res.rawPayload).metadata()).format).toBe('webp');
    // Without (or with a wrong) signature: 404, as uploads.
    const bare = image.url.split('?')[0]!;
    expect((await t.app.inject({ method: 'GET', url: bare })).statusCode).toBe(404);
    // (Another first character: a fixed one was the signature's own one time in 64.)
    const wrongSig = image.url.replace(/sig=(.)/, (_: string, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await t.app.inject({ method: 'GET', url: wrongSig })).statusCode).toBe(404);
    // An upload URL's signature does not open an image (its own scope).
    const key = bare.split('/').pop()!;
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/link-previews/images/${key}?expires=9999999999&sig=x` })).statusCode).toBe(404);
    expect(pages.hits.get('/img.png')).toBe(1);
  });

  it('fetches a URL once for every message that links to it (the shared cache)', async () => {
    const first = await h.send(alice, gid, `${pages.url}/og-cached`);
    const second = await h.send(bob, gid, `again: ${pages.url}/og-cached#fragment`);
    const [a, b] = [await h.previewsOf(bob, first.id), await h.previewsOf(alice, second.id)];
    expect(a[0]?.title).toBe('Parley & friends 你好');
    expect(b).toEqual(a);
    expect(pages.hits.get('/og-cached')).toBe(1);
    const [row] = await t.database.db.select().from(linkPreviews).where(eq(linkPreviews.url, `${pages.url}/og-cached`));
    expect(row?.ok).toBe(true);
    expect(row!.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('gives previews to the first 3 links only', async () => {
    const links = ['/og', '/plain-title', '/og-cached', '/with-image'].map((p) => `${pages.url}${p}`);
    const m = await h.send(alice, gid, links.join(' '));
    expect((await h.previewsOf(bob, m.id)).map((p) => p.url)).toEqual(links.slice(0, 3));
  });

  it('follows up to 3 redirects (each checked), and gives up past them', async () => {
    const ok = await h.send(alice, gid, `${pages.url}/redirect/3`);
    expect((await h.previewsOf(bob, ok.id)).map((p) => [p.url, p.title])).toEqual([[`${pages.url}/redirect/3`, 'Parley & friends 你好']]);
    const tooMany = await h.send(alice, gid, `${pages.url}/redirect/4`);
    expect(await h.previewsOf(bob, tooMany.id)).toEqual([]);
    const [row] = await t.database.db.select().from(linkPreviews).where(eq(linkPreviews.url, `${pages.url}/redirect/4`));
    expect(row).toMatchObject({ ok: false, error: 'more than 3 redirects' });
  });

  it('reads at most 512 KiB of a huge page, and still previews its head', async () => {
    const m = await h.send(alice, gid, `${pages.url}/huge`);
    expect((await h.previewsOf(bob, m.id))[0]?.title).toBe('Huge page');
    // The connection was dropped long before the 20 MiB were written.
    expect(pages.hugeSent).toBeLessThan(HUGE_BYTES / 2);
  });

  it('reads compressed pages, and a compression bomb only up to the cap', async () => {
    const m = await h.send(alice, gid, `${pages.url}/gzip ${pages.url}/bomb`);
    expect((await h.previewsOf(bob, m.id)).map((p) => p.title)).toEqual(['Compressed page 压缩', 'Bomb']);
  });

  it('gives up on a page that does not answer in time, and remembers the failure (no second fetch)', async () => {
    const started = Date.now();
    const m = await h.send(alice, gid, `${pages.url}/slow`);
    expect(await h.previewsOf(bob, m.id)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(FAST.timeoutMs + 5_000);
    const [row] = await t.database.db.select().from(linkPreviews).where(eq(linkPreviews.url, `${pages.url}/slow`));
    expect(row).toMatchObject({ ok: false, error: 'timed out' });
    const again = await h.send(bob, gid, `${pages.url}/slow`);
    expect(await h.previewsOf(alice, again.id)).toEqual([]);
    expect(pages.hits.get('/slow')).toBe(1);
  });

  it('does not read what is not HTML', async () => {
    const m = await h.send(alice, gid, `${pages.url}/text`);
    expect(await h.previewsOf(bob, m.id)).toEqual([]);
    const [row] = await t.database.db.select().from(linkPreviews).where(eq(linkPreviews.url, `${pages.url}/text`));
    expect(row).toMatchObject({ ok: false, error: 'not fetched: text/plain' });
  });

  it('the sender removes a preview (message.updated, not an edit); it never comes back; others may not', async () => {
    const ws = await WsClient.connect(t.wsUrl, bob.token);
    try {
      const m = await h.send(alice, gid, `${pages.url}/og-remove ${pages.url}/plain-title`);
      expect(await h.previewsOf(bob, m.id)).toHaveLength(2);
      expect((await h.call('DELETE', `/messages/${m.id}/previews`, bob)).statusCode).toBe(403);
      const bad = await h.call('DELETE', `/messages/${m.id}/previews?url=${encodeURIComponent('javascript:alert(1)')}`, alice);
      expect([bad.statusCode, (bad.json() as { error: { code: string } }).error.code]).toEqual([400, 'validation_failed']);
      const unknown = await h.call('DELETE', `/messages/${m.id}/previews?url=${encodeURIComponent(`${pages.url}/nope`)}`, alice);
      expect([unknown.statusCode, (unknown.json() as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
      expect((await h.call('DELETE', `/messages/00000000-0000-7000-8000-000000000000/previews`, alice)).statusCode).toBe(404);

      const one = await h.call('DELETE', `/messages/${m.id}/previews?url=${encodeURIComponent(`${pages.url}/og-remove`)}`, alice);
      expect(one.statusCode, one.body).toBe(204);
      const event = await ws.next((f) => f.type === 'message.updated' && f.message.id === m.id && f.message.previews?.length === 1);
      expect(event.message.previews[0].url).toBe(`${pages.url}/plain-title`);
      expect(event.message.editedAt).toBeNull();

      expect((await h.call('DELETE', `/messages/${m.id}/previews`, alice)).statusCode).toBe(204);
      await ws.next((f) => f.type === 'message.updated' && f.message.id === m.id && f.message.previews === undefined);
      expect((await h.get(bob, m.id)).previews).toBeUndefined();
      expect((await h.get(alice, m.id)).editedAt).toBeNull();
    } finally {
      ws.close();
    }
  });

  it('removing before the preview came stops it coming', async () => {
    const m = await h.send(alice, gid, `${pages.url}/og-held-target?x=1`);
    expect((await h.call('DELETE', `/messages/${m.id}/previews`, alice)).statusCode).toBe(204);
    await h.settled(m.id);
    expect((await h.get(bob, m.id)).previews).toBeUndefined();
  });

  it('an edit drops the previews of links it took out, and gives a message without previews those of links it brought', async () => {
    const m = await h.send(alice, gid, `two ${pages.url}/og and ${pages.url}/plain-title`);
    expect(await h.previewsOf(bob, m.id)).toHaveLength(2);
    const edited = await h.call('PATCH', `/messages/${m.id}`, alice, { body: `one ${pages.url}/plain-title` });
    expect(edited.statusCode, edited.body).toBe(200);
    expect((edited.json() as Message).previews?.map((p) => p.url)).toEqual([`${pages.url}/plain-title`]);
    expect((await h.get(bob, m.id)).previews?.map((p) => p.url)).toEqual([`${pages.url}/plain-title`]);

    const bare = await h.send(alice, gid, 'no link yet');
    await h.call('PATCH', `/messages/${bare.id}`, alice, { body: `now one: ${pages.url}/og` });
    const [added] = await h.previewsOf(bob, bare.id);
    expect(added?.url).toBe(`${pages.url}/og`);
    expect((await h.get(bob, bare.id)).editedAt).not.toBeNull();

    // Previews the sender removed stay removed, whatever the edit brings.
    const removed = await h.send(alice, gid, `${pages.url}/og`);
    expect(await h.previewsOf(bob, removed.id)).toHaveLength(1);
    expect((await h.call('DELETE', `/messages/${removed.id}/previews`, alice)).statusCode).toBe(204);
    await h.call('PATCH', `/messages/${removed.id}`, alice, { body: `${pages.url}/og ${pages.url}/plain-title` });
    expect(await h.previewsOf(bob, removed.id)).toEqual([]);
  });

  it('a deleted message loses its previews, and its previews cannot be removed (409)', async () => {
    const m = await h.send(alice, gid, `${pages.url}/og`);
    expect(await h.previewsOf(bob, m.id)).toHaveLength(1);
    expect((await h.call('DELETE', `/messages/${m.id}`, alice)).statusCode).toBe(204);
    expect((await h.get(bob, m.id)).previews).toBeUndefined();
    const res = await h.call('DELETE', `/messages/${m.id}/previews`, alice);
    expect([res.statusCode, (res.json() as { error: { code: string } }).error.code]).toEqual([409, 'conflict']);
  });

  it("an account erased with its messages takes its messages' previews with them", async () => {
    const carol = await register(t.app);
    expect((await h.call('POST', `/groups/${gid}/members`, alice, { userId: carol.user.id })).statusCode).toBe(201);
    const m = await h.send(carol, gid, `mine ${pages.url}/og`);
    expect(await h.previewsOf(bob, m.id)).toHaveLength(1);
    const erased = await h.call('DELETE', '/users/me', carol, { password: 'correct horse', deleteMessages: true });
    expect(erased.statusCode, erased.body).toBe(204);
    const after = await h.get(bob, m.id);
    expect(after.deletedAt).not.toBeNull();
    expect(after.previews).toBeUndefined();
    const [row] = await t.database.db.select({ previews: messagesTable.previews }).from(messagesTable).where(eq(messagesTable.id, m.id));
    expect(row?.previews).toBeNull();
  });

  it('the queue is durable: a message queued while no worker runs gets its previews when one starts', async () => {
    const service = t.app.services.linkPreviews;
    await service.stop();
    try {
      const m = await h.send(alice, gid, `queued ${pages.url}/og`);
      await service.flush();
      const queued = await t.database.db.select().from(linkPreviewJobs).where(eq(linkPreviewJobs.messageId, m.id));
      expect(queued).toHaveLength(1);
      expect((await h.get(bob, m.id)).previews).toBeUndefined();
      service.start();
      expect((await h.previewsOf(bob, m.id))[0]?.siteName).toBe('Example Site');
    } finally {
      service.start();
    }
  });

  it('the group export carries the previews', async () => {
    const m = await h.send(alice, gid, `export ${pages.url}/og`);
    expect(await h.previewsOf(bob, m.id)).toHaveLength(1);
    const res = await h.call('GET', `/groups/${gid}/export`, alice);
    expect(res.statusCode).toBe(200);
    const exported = (res.json() as { messages: { id: string; previews?: unknown }[] }).messages.find((x) => x.id === m.id);
    expect(exported?.previews).toEqual([{ url: `${pages.url}/og`, title: 'Parley & friends 你好', description: 'A chat server, described.', siteName: 'Example Site' }]);
  });

  it('a site admin turns previews off and on (PATCH /admin/settings linkPreviews); others may not; bad values are 400', async () => {
    const patch = (who: Account, body: unknown) => h.call('PATCH', '/admin/settings', who, body);
    expect((await patch(alice, { linkPreviews: false })).statusCode).toBe(403);
    const bad = await patch(admin, { linkPreviews: 'no' });
    expect([bad.statusCode, (bad.json() as { error: { code: string } }).error.code]).toEqual([400, 'validation_failed']);
    const off = await patch(admin, { linkPreviews: false });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ linkPreviews: false });
    try {
      const m = await h.send(alice, gid, `${pages.url}/og-switch`);
      expect(await h.previewsOf(bob, m.id)).toEqual([]);
      expect(pages.hits.get('/og-switch')).toBeUndefined();
    } finally {
      expect((await patch(admin, { linkPreviews: true })).json()).toMatchObject({ linkPreviews: true });
    }
    const m = await h.send(alice, gid, `${pages.url}/og-switch`);
    expect((await h.previewsOf(bob, m.id))[0]?.title).toBe('Parley & friends 你好');
  });
});

describe('link previews with the SSRF guard on', () => {
  let t: TestApp;
  const h = helpers(() => t);
  let alice: Account;
  let gid: string;
  beforeAll(async () => {
    // The guard as in production (private targets refused), except this file's page server itself,
    // which stands in for a public site: every other address, redirects included, meets the real guard.
    t = await startTestApp(
      {},
      {
        linkPreviews: {
          ...FAST,
          resolveTarget: async (url, timeoutMs) =>
            url.hostname === '127.0.0.1' && url.port === String(pages.port)
              ? { address: '127.0.0.1', family: 4 }
              : (await resolveWebhookTarget(url, false, timeoutMs))[0]!,
        },
      },
    );
    alice = await register(t.app);
    gid = await h.group(alice);
  }, 120_000);
  afterAll(async () => t?.close());

  it('refuses a redirect to a private address', async () => {
    const m = await h.send(alice, gid, `${pages.url}/to-private`);
    expect(await h.previewsOf(alice, m.id)).toEqual([]);
    const [row] = await t.database.db.select().from(linkPreviews).where(eq(linkPreviews.url, `${pages.url}/to-private`));
    expect(row?.ok).toBe(false);
    expect(row?.error).toMatch(/not allowed/);
    expect(row?.error).not.toContain('127.0.0.2');
  });

  it('refuses a link to a loopback or private address', async () => {
    const m = await h.send(alice, gid, 'http://127.0.0.2:9/og http://10.0.0.1/ http://[::1]/x');
    expect(await h.previewsOf(alice, m.id)).toEqual([]);
    const rows = await t.database.db.select().from(linkPreviews);
    for (const url of ['http://127.0.0.2:9/og', 'http://10.0.0.1/', 'http://[::1]/x']) {
      expect(rows.find((r) => r.url === url)?.ok, url).toBe(false);
    }
  });

  it('still previews the allowed page', async () => {
    const m = await h.send(alice, gid, `${pages.url}/og`);
    expect((await h.previewsOf(alice, m.id))[0]?.siteName).toBe('Example Site');
  });
});
