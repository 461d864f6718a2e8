/**
 * What a webhook may point at: the URL rules and the SSRF guard. A webhook URL is chosen by a
 * user and fetched by the server, so by default it must not reach loopback, private or other
 * internal addresses, whatever its host name resolves to (checked at creation and again before
 * each delivery, whose connection goes to the very address checked).
 */
import dns from 'node:dns';
import net from 'node:net';
import { withTimeout } from '../../core/timeout.js';
import { WEBHOOK_URL_MAX_LENGTH as WEBHOOK_URL_MAX } from '../../protocol/rest.js';

/** A resolved address, as `dns.lookup` gives it. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Why a URL or its target was refused: a message safe to show the admin who gave it (and to
 * keep as a hook's `lastError`), which never names an address or a resolver code, since these
 * would map the server's internal network for anyone who may add a hook. `detail` has them, for
 * the server's log (at debug level) only.
 */
export class WebhookTargetError extends Error {
  constructor(
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

/** The message of a refused (internal) target. */
export const TARGET_NOT_ALLOWED =
  "the url's host is not allowed: loopback, private and reserved addresses are refused (WEBHOOK_ALLOW_PRIVATE=on allows them)";
/** The message of a host name that does not resolve (or not in time). */
export const TARGET_UNRESOLVED = "the url's host could not be resolved";

const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible forms
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address, or null if it cannot be read (a zone id, say). */
function ipv6Groups(address: string): number[] | null {
  let host: string;
  try {
    // The URL parser writes every spelling of an IPv6 address (dotted tail included) in one
    // compressed form of hex groups.
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const [head, tail] = host.split('::') as [string, string | undefined];
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const dotted = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 addresses an IPv6 one carries, each of which it may reach: IPv4-mapped
 * (`::ffff:127.0.0.1`), IPv4-translated (`::ffff:0:127.0.0.1`, SIIT), the NAT64 well-known prefix
 * (`64:ff9b::/96`, where `64:ff9b::a9fe:a9fe` reaches 169.254.169.254 through the network's NAT64
 * gateway), 6to4 (`2002:AABB:CCDD::/48` is the site behind A.B.C.D: `2002:7f00:1::` is
 * 127.0.0.1's), Teredo (`2001:0::/32`: the server's address in bits 32-63 and the client's,
 * inverted, in the last 32) and an ISATAP interface identifier (`…:0:5efe:a.b.c.d`, or `200:5efe`).
 * Each is checked as well as the IPv6 address itself: one internal address refuses it.
 */
function embeddedIpv4(groups: readonly number[]): string[] {
  const [a, b, c, d, e, f, hi, lo] = groups as [number, number, number, number, number, number, number, number];
  const found: string[] = [];
  const mapped = a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff;
  const translated = a === 0 && b === 0 && c === 0 && d === 0 && e === 0xffff && f === 0;
  const nat64 = a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0;
  if (mapped || translated || nat64) found.push(dotted(hi, lo));
  if (a === 0x2002) found.push(dotted(b, c));
  if (a === 0x2001 && b === 0) found.push(dotted(c, d), dotted(~hi & 0xffff, ~lo & 0xffff));
  if ((e === 0 || e === 0x200) && f === 0x5efe) found.push(dotted(hi, lo));
  return found;
}

/** True for an address a webhook may not reach unless private targets are allowed. */
export function isBlockedAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  if (family === 4) return blocked.check(address, 'ipv4');
  const groups = ipv6Groups(address);
  if (!groups) return true;
  return blocked.check(address, 'ipv6') || embeddedIpv4(groups).some((v4) => blocked.check(v4, 'ipv4'));
}

/**
 * Parses a webhook URL: http or https, no credentials, at most 2048 characters. Returns the URL
 * in its normal form (numeric hosts like `0x7f000001` become `127.0.0.1`), without a fragment.
 */
export function parseWebhookUrl(raw: string): URL {
  if (raw.length > WEBHOOK_URL_MAX) throw new WebhookTargetError(`url is longer than ${WEBHOOK_URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new WebhookTargetError('url is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookTargetError('url must be http or https');
  if (url.username || url.password) throw new WebhookTargetError('url must not contain credentials');
  if (!url.hostname) throw new WebhookTargetError('url has no host');
  url.hash = '';
  if (url.href.length > WEBHOOK_URL_MAX) throw new WebhookTargetError(`url is longer than ${WEBHOOK_URL_MAX} characters`);
  return url;
}

/** The host of a URL without IPv6 brackets. */
const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * The addresses a webhook URL's host resolves to, every one of them checked: one private or
 * loopback address refuses the target (unless `allowPrivate`), so a name cannot mix a public
 * address with an internal one and hope for the internal one.
 */
export async function resolveWebhookTarget(url: URL, allowPrivate: boolean, timeoutMs = 5_000): Promise<ResolvedAddress[]> {
  const host = bareHost(url);
  const literal = net.isIP(host);
  let addresses: ResolvedAddress[];
  if (literal !== 0) {
    addresses = [{ address: host, family: literal as 4 | 6 }];
  } else {
    try {
      const found = await withTimeout(dns.promises.lookup(host, { all: true, verbatim: true }), timeoutMs, 'DNS lookup timed out');
      addresses = found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new WebhookTargetError(TARGET_UNRESOLVED, { host, code: e.code ?? null, error: e.message ?? String(err) });
    }
    if (addresses.length === 0) throw new WebhookTargetError(TARGET_UNRESOLVED, { host, code: null });
  }
  if (!allowPrivate) {
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) throw new WebhookTargetError(TARGET_NOT_ALLOWED, { host, address: bad.address });
  }
  return addresses;
}
