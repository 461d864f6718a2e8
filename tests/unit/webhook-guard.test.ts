/** The webhook SSRF guard and URL rules (src/services/integrations/webhook-guard.ts), and the signature format. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isBlockedAddress,
  parseWebhookUrl,
  resolveWebhookTarget,
  TARGET_NOT_ALLOWED,
  TARGET_UNRESOLVED,
  WebhookTargetError,
} from '../../src/services/integrations/webhook-guard.js';
import { signWebhookBody } from '../../src/services/integrations/webhook-http.js';

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1', '127.255.0.9', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254',
    '100.64.0.1', '100.127.255.255', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '::', '::1', 'fe80::1', 'febf::1', 'fc00::1', 'fdff::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:a00:1', '::ffff:192.168.1.1', '::127.0.0.1',
  ])('refuses %s', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['8.8.8.8', '203.0.113.7', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'allows %s',
    (address) => expect(isBlockedAddress(address)).toBe(false),
  );

  it('refuses what is not an address', () => expect(isBlockedAddress('localhost')).toBe(true));

  // NAT64 (64:ff9b::/96): on a network with a NAT64 gateway the last 32 bits are the IPv4
  // address reached, so each is checked as that address, in any spelling.
  it.each([
    '64:ff9b::a9fe:a9fe', '64:ff9b::169.254.169.254', '64:FF9B:0:0:0:0:A9FE:A9FE', '64:ff9b::7f00:1', '64:ff9b::127.0.0.1',
    '64:ff9b::a00:1', '64:ff9b::c0a8:101', '64:ff9b::ac10:1', '64:ff9b::1', '64:ff9b::', '64:ff9b::e000:1',
  ])('refuses the NAT64 form %s of an internal IPv4 address', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['64:ff9b::808:808', '64:ff9b::8.8.8.8', '64:ff9b::cb00:7107'])('allows the NAT64 form %s of a public IPv4 address', (address) =>
    expect(isBlockedAddress(address)).toBe(false),
  );

  it('checks the IPv4-translated form (::ffff:0:a.b.c.d) as its IPv4 address too', () => {
    expect(isBlockedAddress('::ffff:0:a9fe:a9fe')).toBe(true);
    expect(isBlockedAddress('::ffff:0:127.0.0.1')).toBe(true);
    expect(isBlockedAddress('::ffff:0:808:808')).toBe(false);
  });

  it('reads only 64:ff9b::/96 as NAT64; 64:ff9b:1::/48 (local-use translation) stays refused as a whole', () => {
    expect(isBlockedAddress('64:ff9b:1::808:808')).toBe(true);
    expect(isBlockedAddress('64:ff9b:0:0:1::808:808')).toBe(false);
  });

  // Issue 24.5: the other IPv6 forms that carry an IPv4 address are judged by it as well.
  it.each([
    ['6to4 of 127.0.0.1', '2002:7f00:1::'],
    ['6to4 of 127.0.0.1, a host behind it', '2002:7f00:1:1::5'],
    ['6to4 of 169.254.169.254', '2002:a9fe:a9fe::1'],
    ['6to4 of 10.0.0.1', '2002:a00:1::'],
    ['6to4 of 192.168.1.1', '2002:c0a8:101::'],
    ['Teredo with server 127.0.0.1', '2001:0:7f00:1::'],
    ['Teredo with client 10.0.0.1 (inverted)', '2001:0:808:808:0:0:f5ff:fffe'],
    ['Teredo with client 127.0.0.1 (inverted)', '2001:0:4136:e378:8000:63bf:80ff:fffe'],
    ['ISATAP of 127.0.0.1', '2606:4700::5efe:7f00:1'],
    ['ISATAP (universal bit) of 192.168.0.1', '2606:4700::200:5efe:c0a8:1'],
    ['IPv4-compatible 10.0.0.1', '::10.0.0.1'],
    ['IPv4-mapped 169.254.169.254, hex', '::ffff:a9fe:a9fe'],
    ['local-use NAT64 of a public address', '64:ff9b:1::8.8.8.8'],
  ])('refuses %s (%s)', (_what, address) => expect(isBlockedAddress(address)).toBe(true));

  it.each([
    ['6to4 of 8.8.8.8', '2002:808:808::1'],
    ['Teredo with public server and client', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    ['ISATAP of 8.8.8.8', '2606:4700::5efe:808:808'],
  ])('allows %s (%s)', (_what, address) => expect(isBlockedAddress(address)).toBe(false));

  it('refuses a webhook URL on the 6to4 form of loopback', async () => {
    const url = parseWebhookUrl('http://[2002:7f00:1::]/');
    await expect(resolveWebhookTarget(url, false)).rejects.toThrow(TARGET_NOT_ALLOWED);
  });

  it('refuses an IPv6 address it cannot read (a zone id)', () => expect(isBlockedAddress('fe80::1%eth0')).toBe(true));
});

describe('parseWebhookUrl', () => {
  it('normalizes numeric hosts and drops the fragment', () => {
    expect(parseWebhookUrl('http://0x7f000001:8080/a?b=1#c').href).toBe('http://127.0.0.1:8080/a?b=1');
  });

  it.each(['ftp://x.example/', 'http://a:b@x.example/', 'http://a@x.example/', 'javascript:alert(1)', 'nope', `https://x.example/${'a'.repeat(2040)}`])(
    'refuses %s',
    (raw) => expect(() => parseWebhookUrl(raw)).toThrow(WebhookTargetError),
  );
});

describe('resolveWebhookTarget', () => {
  it('refuses a name that resolves to loopback, and allows it when private targets are allowed', async () => {
    await expect(resolveWebhookTarget(new URL('http://localhost/'), false)).rejects.toThrow(TARGET_NOT_ALLOWED);
    const addresses = await resolveWebhookTarget(new URL('http://localhost/'), true);
    expect(addresses.length).toBeGreaterThan(0);
  });

  it('takes IP literals as they are, brackets removed', async () => {
    expect(await resolveWebhookTarget(new URL('http://[::1]/'), true)).toEqual([{ address: '::1', family: 6 }]);
    await expect(resolveWebhookTarget(new URL('http://[::1]/'), false)).rejects.toThrow(WebhookTargetError);
  });

  it('refuses a host that does not resolve', async () => {
    await expect(resolveWebhookTarget(new URL('http://no-such-host.invalid/'), true, 2_000)).rejects.toThrow(/could not be resolved/);
  });

  // Users see these messages (400s, a hook's lastError): an address or a resolver code would
  // let anyone who may add a hook map the server's internal network. The log gets the detail.
  it('refuses without naming the address: the detail is for the log only', async () => {
    const err = (await resolveWebhookTarget(new URL('http://localhost/'), false).catch((e: unknown) => e)) as WebhookTargetError;
    expect(err).toBeInstanceOf(WebhookTargetError);
    expect(err.message).toBe(TARGET_NOT_ALLOWED);
    expect(err.message).not.toMatch(/127\.0\.0\.1|::1|localhost/);
    expect(['127.0.0.1', '::1']).toContain(err.detail.address);
    const nat64 = (await resolveWebhookTarget(new URL('http://[64:ff9b::a9fe:a9fe]/'), false).catch((e: unknown) => e)) as WebhookTargetError;
    expect(nat64.message).toBe(TARGET_NOT_ALLOWED);
    expect(nat64.message).not.toMatch(/a9fe|169\.254/);
  });

  it('says a host does not resolve without the resolver code or the host', async () => {
    const err = (await resolveWebhookTarget(new URL('http://no-such-host.invalid/'), true, 2_000).catch((e: unknown) => e)) as WebhookTargetError;
    expect(err).toBeInstanceOf(WebhookTargetError);
    expect(err.message).toBe(TARGET_UNRESOLVED);
    expect(err.message).not.toMatch(/ENOTFOUND|EAI_AGAIN|ESERVFAIL|no-such-host/);
    expect(err.detail.host).toBe('no-such-host.invalid');
  });
});

it('signs as sha256=<lowercase hex HMAC-SHA256 of the UTF-8 body, keyed by the secret string>', () => {
  const body = '{"message":{"body":"你好"}}';
  expect(signWebhookBody('s3cret', body)).toBe(`sha256=${createHmac('sha256', Buffer.from('s3cret', 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex')}`);
  expect(signWebhookBody('s3cret', body)).toMatch(/^sha256=[0-9a-f]{64}$/);
});
