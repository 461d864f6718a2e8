/**
 * Fetching what a link preview shows: the page (OpenGraph, Twitter card, or its <title> and meta
 * description) and its image, through the webhooks' SSRF guard. Every hop (the first request and
 * each redirect, at most a few) is checked by the guard and connected to the very address it
 * checked; reads are capped in bytes, only HTML pages and common images are read, and every fetch
 * is time-boxed. Errors carry a message safe to log and store, never an address.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Parser } from 'htmlparser2';
import { cleanDisplayText } from '../../core/display-text.js';
import { Semaphore } from '../../core/semaphore.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { MAX_INPUT_PIXELS } from '../files/uploads.service.js';
import { parseWebhookUrl, type ResolvedAddress, WebhookTargetError } from '../integrations/webhook-guard.js';
import { getPinned } from '../integrations/webhook-http.js';

/** Checks where a URL leads and answers the one address to connect to (the SSRF guard). */
export type TargetResolver = (url: URL, timeoutMs: number) => Promise<ResolvedAddress>;

export interface PreviewFetchLimits {
  /** Time box of the page (every redirect included), and again of its image. */
  timeoutMs: number;
  /** HTML read at most (the rest of a longer page is not read). */
  htmlMaxBytes: number;
  /** Largest image taken (a larger one gives a preview without an image). */
  imageMaxBytes: number;
  /** Redirects followed at most, each checked by the guard. */
  maxRedirects: number;
  /** Side of the box the stored image is scaled into, in pixels. */
  imagePx: number;
}

/** What a page says of itself, cleaned and shortened; its image as an absolute http(s) URL. */
export interface PageMeta {
  title: string | null;
  description: string | null;
  siteName: string | null;
  imageUrl: string | null;
}

/** A refused or failed fetch, with a message fit for the log and the cache (no address). */
export class PreviewFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreviewFetchError';
  }
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TITLE_MAX = 300;
const DESCRIPTION_MAX = 1_000;
const SITE_NAME_MAX = 100;

/** The blob key of a preview image: the SHA-256 of its WebP copy, beside (never among) upload files. */
export const previewImageBlobKey = (key: string): string => `${key}.preview.webp`;
export const PREVIEW_IMAGE_KEY = /^[a-f0-9]{64}$/;

/** A link as the cache keys it: http(s), no credentials, no fragment, host lower-cased; null if not a link we fetch. */
export function normalizeLink(raw: string): string | null {
  try {
    return parseWebhookUrl(raw).href;
  } catch {
    return null;
  }
}

/** A link runs to a space, a quote or angle bracket, or CJK punctuation (看https://a.test/x。: the link ends at 。). */
const LINK = /\bhttps?:\/\/[^\s<>"'`。，、！？；：「」『』（）【】《》]+/gi;

/**
 * The http(s) links of a message body, normalized, each once, in order, at most `max`. Trailing
 * punctuation that ends a sentence or closes a bracket around the link is not part of it.
 */
export function extractLinks(body: string, max: number): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(LINK)) {
    let raw = m[0];
    for (;;) {
      const last = raw.at(-1)!;
      if (/[.,;:!?'"*_~]/.test(last)) raw = raw.slice(0, -1);
      else if (last === ')' && (raw.match(/\(/g)?.length ?? 0) < (raw.match(/\)/g)?.length ?? 0)) raw = raw.slice(0, -1);
      else if (last === ']' && !raw.includes('[')) raw = raw.slice(0, -1);
      else break;
    }
    const link = normalizeLink(raw);
    if (link && !out.includes(link)) out.push(link);
    if (out.length >= max) break;
  }
  return out;
}

/** True when a body has something that looks like a link (cheap: the send path calls it). */
export const hasLink = (body: string): boolean => /https?:\/\//i.test(body);

const clip = (s: string | null | undefined, max: number): string | null => {
  if (!s) return null;
  const text = cleanDisplayText(s);
  if (!text) return null;
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
};

/** Reads a page's OpenGraph and Twitter card tags, its <title> and meta description. */
export function parsePageMeta(html: string, pageUrl: URL): PageMeta {
  const meta = new Map<string, string>();
  let title = '';
  let inTitle = false;
  let titleDone = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'title' && !titleDone) inTitle = true;
        if (name !== 'meta') return;
        const key = (attrs.property ?? attrs.name ?? '').trim().toLowerCase();
        const content = attrs.content;
        if (key && content !== undefined && !meta.has(key)) meta.set(key, content);
      },
      ontext(text) {
        if (inTitle) title += text;
      },
      onclosetag(name) {
        if (name === 'title' && inTitle) {
          inTitle = false;
          titleDone = true;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  const first = (...keys: string[]): string | null => {
    for (const k of keys) {
      const v = meta.get(k)?.trim();
      if (v) return v;
    }
    return null;
  };
  const rawImage = first('og:image:secure_url', 'og:image:url', 'og:image', 'twitter:image', 'twitter:image:src');
  let imageUrl: string | null = null;
  if (rawImage) {
    try {
      const u = new URL(rawImage, pageUrl);
      if (u.protocol === 'http:' || u.protocol === 'https:') imageUrl = u.href;
    } catch {
      imageUrl = null;
    }
  }
  return {
    title: clip(first('og:title', 'twitter:title') ?? title, TITLE_MAX),
    description: clip(first('og:description', 'twitter:description', 'description'), DESCRIPTION_MAX),
    siteName: clip(first('og:site_name', 'application-name'), SITE_NAME_MAX),
    imageUrl,
  };
}

/** The media type of a Content-Type header, lower-cased, and its charset. */
function mediaType(header: string | undefined): { type: string; charset: string | null } {
  const [type = '', ...params] = (header ?? '').split(';');
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p)?.[1]).find(Boolean) ?? null;
  return { type: type.trim().toLowerCase(), charset };
}

/** `<meta charset="x">` or `<meta http-equiv="Content-Type" content="…; charset=x">` near the top of a page. */
const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})/i;

/**
 * Text of a page's bytes: in the charset its Content-Type names, else the one a <meta> tag in
 * its first 1,024 bytes names (older Chinese and Japanese sites often serve GBK or Shift_JIS
 * that way), else UTF-8.
 */
export function decodePage(body: Buffer, charset: string | null): string {
  const declared = charset ?? META_CHARSET.exec(body.subarray(0, 1024).toString('latin1'))?.[1] ?? null;
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** The response body, decompressed when the server compressed it (the cap then counts the decompressed bytes). */
function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const inflate =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  if (!inflate) return res;
  // pipe() does not pass a broken connection on: the reader must hear of it.
  res.on('error', (err) => inflate.destroy(err));
  return res.pipe(inflate);
}

/** Reads a response up to `max` bytes: when longer, the rest is not read (`truncate`) or the read fails. */
function readCapped(res: Readable, max: number, truncate: boolean, signal: AbortSignal): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null): void => {
      signal.removeEventListener('abort', onAbort);
      res.removeAllListeners('data');
      if (err) {
        res.destroy();
        reject(err);
        return;
      }
      resolve(Buffer.concat(chunks).subarray(0, max));
    };
    const onAbort = (): void => done(new PreviewFetchError('timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size >= max) {
        if (!truncate) return done(new PreviewFetchError('too large'));
        res.destroy();
        done(null);
      }
    });
    res.on('end', () => done(null));
    res.on('error', (err) => done(signal.aborted ? new PreviewFetchError('timed out') : new PreviewFetchError(`the response could not be read${(err as { code?: string }).code?.startsWith('Z_') ? ' (bad compression)' : ''}`)));
  });
}

/** Fetches pages and images for previews, each hop through the guard. */
export class PreviewFetcher {
  /** Images are decoded whole: one at a time per node. */
  private readonly images = new Semaphore(1);

  constructor(
    private readonly resolveTarget: TargetResolver,
    private readonly blobs: BlobStore,
    private readonly limits: PreviewFetchLimits,
    private readonly userAgent: string,
  ) {}

  /**
   * GETs a URL, following at most `maxRedirects` redirects (each checked again), and reads the
   * body of an accepted type up to `maxBytes`.
   */
  private async get(start: URL, accept: Set<string>, maxBytes: number, truncate: boolean, signal: AbortSignal): Promise<{ url: URL; body: Buffer; charset: string | null }> {
    // Name lookups count against the same time box as the requests.
    const deadline = Date.now() + this.limits.timeoutMs;
    let url = start;
    for (let hop = 0; ; hop++) {
      const address = await this.resolveTarget(url, Math.max(1, deadline - Date.now()));
      if (signal.aborted) throw new PreviewFetchError('timed out');
      let res: IncomingMessage;
      try {
        res = await getPinned({
          url,
          address,
          headers: {
            'user-agent': this.userAgent,
            accept: [...accept].join(', '),
            'accept-encoding': 'gzip, deflate, br',
          },
          signal,
        });
      } catch (err) {
        if (signal.aborted) throw new PreviewFetchError('timed out');
        const code = (err as { code?: unknown }).code;
        throw new PreviewFetchError(typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? `request failed: ${code}` : 'request failed');
      }
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        const location = res.headers.location;
        res.destroy();
        if (!location) throw new PreviewFetchError(`HTTP ${status} without a location`);
        if (hop >= this.limits.maxRedirects) throw new PreviewFetchError(`more than ${this.limits.maxRedirects} redirects`);
        let next: URL;
        try {
          next = parseWebhookUrl(new URL(location, url).href);
        } catch (err) {
          throw new PreviewFetchError(err instanceof WebhookTargetError ? `redirect refused: ${err.message}` : 'redirect to an invalid url');
        }
        url = next;
        continue;
      }
      if (status < 200 || status >= 300) {
        res.destroy();
        throw new PreviewFetchError(`HTTP ${status}`);
      }
      const { type, charset } = mediaType(res.headers['content-type']);
      if (!accept.has(type)) {
        res.destroy();
        throw new PreviewFetchError(`not fetched: ${type || 'no content type'}`);
      }
      const declared = Number(res.headers['content-length']);
      if (!truncate && Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        throw new PreviewFetchError('too large');
      }
      const body = decoded(res);
      try {
        return { url, body: await readCapped(body, maxBytes, truncate, signal), charset };
      } finally {
        res.destroy();
      }
    }
  }

  /** What a page says of itself. */
  async page(url: URL, stop: AbortSignal): Promise<PageMeta> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.limits.timeoutMs), stop]);
    const got = await this.guarded(() => this.get(url, HTML_TYPES, this.limits.htmlMaxBytes, true, signal), signal);
    return parsePageMeta(decodePage(got.body, got.charset), got.url);
  }

  /**
   * Downloads an image and stores a WebP copy scaled into the preview box in the blob store:
   * its key (the copy's SHA-256) and size. Only common image types, at most `imageMaxBytes`.
   */
  async image(url: string, stop: AbortSignal): Promise<{ key: string; width: number; height: number }> {
    const parsed = parseWebhookUrl(url);
    const signal = AbortSignal.any([AbortSignal.timeout(this.limits.timeoutMs), stop]);
    const got = await this.guarded(() => this.get(parsed, IMAGE_TYPES, this.limits.imageMaxBytes, false, signal), signal);
    return this.images.run(async () => {
      const { default: sharp } = await import('sharp');
      let out: { data: Buffer; info: { width: number; height: number } };
      try {
        out = await sharp(got.body, { limitInputPixels: MAX_INPUT_PIXELS, animated: false })
          .rotate()
          .resize(this.limits.imagePx, this.limits.imagePx, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: 80 })
          .toBuffer({ resolveWithObject: true });
      } catch {
        throw new PreviewFetchError('the image could not be decoded');
      }
      const key = createHash('sha256').update(out.data).digest('hex');
      const blob = previewImageBlobKey(key);
      if (!(await this.blobs.exists(blob))) await this.blobs.putBuffer(blob, out.data);
      return { key, width: out.info.width, height: out.info.height };
    });
  }

  /** Runs a fetch, turning the guard's refusals and a timeout into PreviewFetchErrors. */
  private async guarded<T>(fetch: () => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await fetch();
    } catch (err) {
      if (err instanceof PreviewFetchError) throw err;
      if (err instanceof WebhookTargetError) throw new PreviewFetchError(err.message);
      if (signal.aborted) throw new PreviewFetchError('timed out');
      throw err;
    }
  }
}
