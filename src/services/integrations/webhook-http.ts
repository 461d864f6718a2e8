/** One webhook POST: signed, time-boxed, no redirects, connected to the address that was checked. */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './webhook-guard.js';

/** The response body is read up to this and then dropped: only the status matters. */
const RESPONSE_READ_MAX = 64 * 1024;

/** `sha256=<lowercase hex HMAC-SHA256 of body, keyed by the secret string's UTF-8 bytes>`. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * A lookup that always answers `address`: the connection goes where the SSRF guard looked, even
 * if the name now resolves elsewhere (DNS rebinding). It answers both call styles of net.connect.
 */
export function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

export interface WebhookPost {
  url: URL;
  address: ResolvedAddress;
  body: string;
  headers: Record<string, string>;
  /** Aborts the request: its time box, or the dispatcher stopping. */
  signal: AbortSignal;
}

/** Sends a POST connected to the address the guard checked; resolves once the response's headers arrive. */
function sendPost(post: WebhookPost): Promise<http.IncomingMessage> {
  const { url, address, body, signal } = post;
  const client = url.protocol === 'https:' ? https : http;
  const payload = Buffer.from(body, 'utf8');
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = client.request(url, {
      method: 'POST',
      headers: { ...post.headers, 'content-length': String(payload.length) },
      // A fresh connection each time: a pooled socket could lead to an address checked earlier.
      agent: false,
      lookup: pinnedLookup(address),
      signal,
    });
    req.on('response', resolve);
    req.on('error', (err) => reject(err));
    req.end(payload);
  });
}

/**
 * POSTs a body and resolves with the response status once the headers arrive (a 3xx is returned
 * as is, never followed). The body is drained up to 64 KiB in the background, then the
 * connection is dropped. Rejects on a network error or an abort.
 */
export async function postWebhook(post: WebhookPost): Promise<number> {
  const res = await sendPost(post);
  let read = 0;
  res.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read > RESPONSE_READ_MAX) res.destroy();
  });
  res.on('error', () => undefined);
  return res.statusCode ?? 0;
}

/** A reply's body was larger than the caller takes. */
export class ReplyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the reply is larger than ${maxBytes} bytes`);
    this.name = 'ReplyTooLarge';
  }
}

/**
 * POSTs a body (as `postWebhook`) and reads the whole reply, at most `maxBytes` of it: rejects
 * with ReplyTooLarge past that, or on a network error or an abort (the signal covers the body too).
 */
export async function postForReply(post: WebhookPost, maxBytes: number): Promise<{ status: number; contentType: string; body: string }> {
  const res = await sendPost(post);
  const chunks: Buffer[] = [];
  let read = 0;
  await new Promise<void>((resolve, reject) => {
    res.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) {
        res.destroy();
        reject(new ReplyTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', resolve);
    res.on('error', reject);
    res.on('close', () => (res.complete ? resolve() : reject(post.signal.reason ?? new Error('the connection closed early'))));
  });
  return { status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') };
}

export interface PinnedGet {
  url: URL;
  address: ResolvedAddress;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/**
 * A GET connected to the address the guard checked (as `postWebhook`), resolving with the
 * response once its headers arrive; redirects are not followed (the caller checks each one
 * with the guard). The caller reads or destroys the response. Rejects on a network error or an
 * abort.
 */
export function getPinned(get: PinnedGet): Promise<http.IncomingMessage> {
  const { url, address, signal } = get;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = client.request(url, { method: 'GET', headers: get.headers, agent: false, lookup: pinnedLookup(address), signal });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}
