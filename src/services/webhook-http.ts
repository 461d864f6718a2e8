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

/**
 * POSTs a body and resolves with the response status once the headers arrive (a 3xx is returned
 * as is, never followed). The body is drained up to 64 KiB in the background, then the
 * connection is dropped. Rejects on a network error or an abort.
 */
export function postWebhook(post: WebhookPost): Promise<number> {
  const { url, address, body, signal } = post;
  const client = url.protocol === 'https:' ? https : http;
  const payload = Buffer.from(body, 'utf8');
  return new Promise<number>((resolve, reject) => {
    const req = client.request(url, {
      method: 'POST',
      headers: { ...post.headers, 'content-length': String(payload.length) },
      // A fresh connection each time: a pooled socket could lead to an address checked earlier.
      agent: false,
      lookup: pinnedLookup(address),
      signal,
    });
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > RESPONSE_READ_MAX) res.destroy();
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => reject(err));
    req.end(payload);
  });
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
