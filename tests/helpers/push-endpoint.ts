/**
 * A push service on 127.0.0.1 for tests: the real protocol peer of Web Push. It makes browser-like
 * subscriptions (a P-256 key pair and an auth secret of its own, as a browser would), and for
 * each POST it checks the VAPID Authorization header (an ES256 JWT whose audience is the
 * endpoint's origin, not expired, signed by the key in `k=`) and decrypts the aes128gcm body
 * (RFC 8188 and RFC 8291) with the subscription's private key, using node:crypto only. It answers
 * 201, or whatever the test asks for.
 */
import { createECDH, createHmac, createDecipheriv, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** One push as it arrived, decrypted and checked. */
export interface ReceivedPush {
  /** The subscription's id (the last segment of its endpoint path). */
  subscription: string;
  headers: http.IncomingHttpHeaders;
  /** The decrypted payload parsed as JSON (null when it could not be). */
  payload: Record<string, unknown> | null;
  /** The decrypted payload as text ('' when decryption failed). */
  text: string;
  /** The encrypted body's size in bytes. */
  bodyBytes: number;
  /** Problems found with the request (VAPID, encryption); empty when all is well. */
  problems: string[];
  /** The VAPID public key the request was signed with (`k=`). */
  vapidKey: string | null;
  /** What the push service answered. */
  status: number;
}

export interface PushEndpoint {
  origin: string;
  /** A new subscription, as PushSubscription.toJSON() gives it. */
  subscribe(): TestSubscription;
  received: ReceivedPush[];
  /** Pushes to one subscription. */
  to(sub: TestSubscription): ReceivedPush[];
  /** The status to answer to the nth request (0-based, over all subscriptions); 201 unless set. */
  answer(fn: (n: number, sub: string) => number): void;
  /** The first push (already received or still to come) that matches, or a rejection after `timeoutMs`. */
  waitFor(match: (p: ReceivedPush) => boolean, timeoutMs?: number): Promise<ReceivedPush>;
  close(): Promise<void>;
}

const b64u = (b: Buffer): string => b.toString('base64url');
const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 8291 §3.4 and RFC 8188 §2: one aes128gcm record, decrypted with the user agent's keys. */
export function decryptAes128gcm(body: Buffer, ecdh: ECDH, authSecret: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (idlen !== 65) throw new Error(`keyid of ${idlen} bytes, expected the 65-byte sender key`);
  if (ciphertext.length > rs) throw new Error('more than one record');
  const uaPublic = ecdh.getPublicKey();
  const shared = ecdh.computeSecret(asPublic);
  const prkKey = hmac(authSecret, shared);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = hmac(prkKey, Buffer.concat([keyInfo, Buffer.from([1])])).subarray(0, 32);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record: content, then the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record padding delimiter');
  return padded.subarray(0, end);
}

/** Checks `Authorization: vapid t=<jwt>, k=<key>`; returns the problems found and the key. */
export function checkVapid(header: string | undefined, origin: string): { problems: string[]; key: string | null } {
  const problems: string[] = [];
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) return { problems: [`Authorization is not "vapid t=..., k=...": ${header ?? '(none)'}`], key: null };
  const [, jwt, key] = m as unknown as [string, string, string];
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string; typ?: string };
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { aud?: string; exp?: number; sub?: string };
  if (head.alg !== 'ES256') problems.push(`alg ${head.alg}, expected ES256`);
  if (claims.aud !== origin) problems.push(`aud ${claims.aud}, expected ${origin}`);
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= now) problems.push(`exp ${claims.exp} is not in the future`);
  else if (claims.exp > now + 24 * 3600 + 60) problems.push(`exp ${claims.exp} is more than 24 hours ahead`);
  if (!claims.sub || !/^(mailto:|https:)/.test(claims.sub)) problems.push(`sub ${claims.sub} is not mailto: or https:`);
  const point = Buffer.from(key, 'base64url');
  if (point.length !== 65 || point[0] !== 4) {
    problems.push('k is not an uncompressed P-256 point');
    return { problems, key };
  }
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) }, format: 'jwk' });
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) problems.push('the JWT signature does not verify with k');
  return { problems, key };
}

export async function startPushEndpoint(): Promise<PushEndpoint> {
  const subs = new Map<string, { ecdh: ECDH; auth: Buffer }>();
  const received: ReceivedPush[] = [];
  const waiters: { match: (p: ReceivedPush) => boolean; resolve: (p: ReceivedPush) => void }[] = [];
  let answer: (n: number, sub: string) => number = () => 201;
  let count = 0;
  let origin = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const id = (req.url ?? '').split('/').pop() ?? '';
      const sub = subs.get(id);
      const { problems, key } = checkVapid(req.headers.authorization, origin);
      let text = '';
      let payload: Record<string, unknown> | null = null;
      if (req.method !== 'POST') problems.push(`method ${req.method}`);
      if (req.headers['content-encoding'] !== 'aes128gcm') problems.push(`Content-Encoding ${req.headers['content-encoding']}`);
      if (!req.headers.ttl || !/^\d+$/.test(String(req.headers.ttl))) problems.push('no TTL header');
      if (!sub) problems.push(`unknown subscription ${id}`);
      else {
        try {
          text = decryptAes128gcm(body, sub.ecdh, sub.auth).toString('utf8');
          payload = JSON.parse(text) as Record<string, unknown>;
        } catch (err) {
          problems.push(`decryption failed: ${(err as Error).message}`);
        }
      }
      const status = answer(count++, id);
      const push: ReceivedPush = { subscription: id, headers: req.headers, payload, text, bodyBytes: body.length, problems, vapidKey: key, status };
      received.push(push);
      for (const w of [...waiters]) {
        if (w.match(push)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(push);
        }
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? '' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    received,
    subscribe() {
      const id = randomBytes(8).toString('hex');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      subs.set(id, { ecdh, auth });
      return { endpoint: `${origin}/push/${id}`, keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) } };
    },
    to: (sub) => received.filter((p) => p.subscription === sub.endpoint.split('/').pop()),
    answer(fn) {
      answer = fn;
    },
    waitFor(match, timeoutMs = 20_000) {
      const found = received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (p: ReceivedPush) => (clearTimeout(timer), resolve(p)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching push within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
