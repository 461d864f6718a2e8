/**
 * Secrets compared in constant time: upload URL signatures and METRICS_TOKEN go through
 * crypto.timingSafeEqual (spied on here), and refuse every near miss. Bearer tokens are looked
 * up by their SHA-256 only (see hashToken), so no comparison ever touches a stored token.
 */
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';

const spy = vi.hoisted(() => ({ calls: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  const timingSafeEqual: typeof crypto.timingSafeEqual = (a, b) => {
    spy.calls += 1;
    return crypto.timingSafeEqual(a, b);
  };
  return { ...crypto, default: { ...crypto, timingSafeEqual }, timingSafeEqual };
});

const { UrlSigner } = await import('../../src/services/files/url-signer.js');
const { installMetricsRoute } = await import('../../src/api/metrics.js');
const { installErrorHandlers } = await import('../../src/api/errors.js');
const { Metrics } = await import('../../src/core/metrics.js');
const { hashToken } = await import('../../src/services/identity/identity.js');

afterEach(() => {
  spy.calls = 0;
});

describe('signed upload URLs', () => {
  const signer = new UrlSigner(Buffer.alloc(32, 7));
  const now = Date.UTC(2026, 10, 29, 12, 0, 0);
  const id = '01a227ab-ddb5-7001-add2-333494cafa12';
  const parts = (url: string) => {
    const q = new URL(url, 'http://x').searchParams;
    return { expires: q.get('expires')!, sig: q.get('sig')! };
  };

  it('accepts its own signature, compared in constant time', () => {
    const { expires, sig } = parts(signer.url(id, 'file', now));
    expect(signer.verify(id, 'file', expires, sig, now)).toBe(true);
    expect(spy.calls).toBe(1);
  });

  it('refuses every near miss: one character off, truncated, extended, another variant, id or key, expired', () => {
    const { expires, sig } = parts(signer.url(id, 'file', now));
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const bad of [flip(sig, 0), flip(sig, sig.length - 1), sig.slice(0, -1), `${sig}A`, '', sig.toUpperCase()]) {
      expect(signer.verify(id, 'file', expires, bad, now), bad).toBe(false);
    }
    // Same-length forgeries were compared with timingSafeEqual, not ===.
    expect(spy.calls).toBeGreaterThanOrEqual(3);
    expect(signer.verify(id, 'thumbnail', expires, sig, now)).toBe(false);
    expect(signer.verify('01a227ab-ddb5-7001-add2-333494cafa13', 'file', expires, sig, now)).toBe(false);
    expect(new UrlSigner(Buffer.alloc(32, 8)).verify(id, 'file', expires, sig, now)).toBe(false);
    expect(signer.verify(id, 'file', String(Number(expires) + 3600), sig, now)).toBe(false);
    expect(signer.verify(id, 'file', expires, sig, Number(expires) * 1000 + 1)).toBe(false);
    expect(signer.verify(id, 'file', `${expires}.0`, sig, now)).toBe(false);
    expect(signer.verify(id, 'file', undefined, sig, now)).toBe(false);
  });
});

describe('METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789';
  async function metricsApp() {
    const app = Fastify();
    installErrorHandlers(app);
    installMetricsRoute(app, new Metrics({ openConnections: () => 0, dbPoolSize: 1 }), TOKEN);
    await app.ready();
    return app;
  }

  it('accepts the token and refuses near misses, each compared in constant time', async () => {
    const app = await metricsApp();
    try {
      const get = (token: string) => app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      expect((await get(TOKEN)).statusCode).toBe(200);
      expect(spy.calls).toBe(1);
      for (const bad of [`${TOKEN.slice(0, -1)}X`, TOKEN.slice(0, -1), `${TOKEN}0`, TOKEN.toUpperCase()]) {
        expect((await get(bad)).statusCode, bad).toBe(401);
      }
      // Every guess, whatever its length, went through timingSafeEqual (of digests).
      expect(spy.calls).toBe(5);
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('bearer tokens', () => {
  it('are looked up by their SHA-256 only: near misses hash to unrelated values', () => {
    const token = 'parley_pat_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_';
    const h = hashToken(token);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const near = hashToken(`${token.slice(0, -1)}A`);
    // No shared prefix to learn from an index's comparison timing.
    let common = 0;
    while (common < h.length && h[common] === near[common]) common += 1;
    expect(common).toBeLessThan(8);
  });
});
