/**
 * Web Push over the wire: the server's VAPID keys (from the config, else generated once and kept
 * in the settings table so every node signs with the same ones), and one push: encrypted
 * (aes128gcm) and signed (VAPID) by the `web-push` package, then POSTed by us to the address
 * the SSRF guard checked (web-push's own sender would resolve the name again, and speaks https
 * only). `web-push` is loaded when first needed, not at start.
 */
import http from 'node:http';
import https from 'node:https';
import type { PushConfig } from '../../core/config.js';
import type { Repositories } from '../../db/repositories/index.js';
import { resolveWebhookTarget } from '../integrations/webhook-guard.js';
import { pinnedLookup } from '../integrations/webhook-http.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

const SETTINGS_KEY = 'vapid_keys';

const webPush = async () => (await import('web-push')).default;

/**
 * The VAPID keys: VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY when set, else the pair stored in the
 * settings table (made by the first node that needed one; the others read it).
 */
export async function loadVapidKeys(repos: Pick<Repositories, 'uploads' | 'settings'>, config: PushConfig, fallbackSubject: string): Promise<VapidKeys> {
  const subject = config.subject ?? fallbackSubject;
  if (config.vapid) return { ...config.vapid, subject };
  // Insert-if-absent then read: two nodes starting together end up with the same pair.
  const webpush = await webPush();
  const stored = await repos.uploads.setting(SETTINGS_KEY, () => JSON.stringify(webpush.generateVAPIDKeys()));
  const keys = JSON.parse(stored) as { publicKey: string; privateKey: string };
  return { publicKey: keys.publicKey, privateKey: keys.privateKey, subject };
}

/** A contact for push services when VAPID_SUBJECT is unset: the public URL if https, else a mailto: of MAIL_FROM. */
export function defaultVapidSubject(publicUrl: string, mailFrom: string | null): string {
  if (publicUrl.startsWith('https://') && !/^https:\/\/localhost(?::|\/|$)/.test(publicUrl)) return publicUrl;
  const address = mailFrom ? /<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom.trim() : null;
  return `mailto:${address && /^[^\s@]+@[^\s@]+$/.test(address) ? address : 'postmaster@parley.invalid'}`;
}

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushOptions {
  /** Seconds the push service keeps an undelivered push. */
  ttl: number;
  urgency: 'normal' | 'high';
  /** Replaces an undelivered push of the same topic (32 URL-safe base64 characters at most). */
  topic?: string;
  allowPrivate: boolean;
  signal: AbortSignal;
  timeoutMs: number;
}

/** The outcome of one push: the push service's status, or a network failure. */
export type PushOutcome = { status: number; retryAfterMs: number | null } | { error: unknown };

/** The Retry-After of a 429 or 503, in ms (seconds or an HTTP date); null when absent or unreadable. */
function retryAfter(header: string | string[] | undefined): number | null {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return null;
  if (/^\d{1,7}$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** Encrypts `payload` for the subscription, signs with VAPID, and POSTs it once. */
export async function sendPush(target: PushTarget, payload: string, vapid: VapidKeys, opts: PushOptions): Promise<PushOutcome> {
  try {
    const webpush = await webPush();
    const details = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, payload, {
      vapidDetails: vapid,
      TTL: opts.ttl,
      urgency: opts.urgency,
      contentEncoding: 'aes128gcm',
      ...(opts.topic ? { topic: opts.topic } : {}),
    });
    const url = new URL(details.endpoint);
    // Checked again now: the name may resolve elsewhere since the subscription was made.
    const [address] = await resolveWebhookTarget(url, opts.allowPrivate, opts.timeoutMs);
    const client = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(details.headers)) headers[k] = String(v);
    return await new Promise<PushOutcome>((resolve, reject) => {
      const req = client.request(url, {
        method: 'POST',
        headers,
        agent: false,
        lookup: pinnedLookup(address!),
        signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal]),
      });
      req.on('response', (res) => {
        resolve({ status: res.statusCode ?? 0, retryAfterMs: retryAfter(res.headers['retry-after']) });
        // Only the status matters; a little of the body is read so the socket can close cleanly.
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 16 * 1024) res.destroy();
        });
        res.on('error', () => undefined);
      });
      req.on('error', reject);
      req.end(details.body ?? undefined);
    });
  } catch (error) {
    return { error };
  }
}
