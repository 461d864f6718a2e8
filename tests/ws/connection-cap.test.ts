/**
 * WS_CONNECTIONS_PER_USER: one user's open WebSockets on a node are capped; one more handshake
 * gets an error frame saying why (rate_limited, details.reason too_many_connections, the limit,
 * retryAfter) and close 4429. Other users are not affected, and closing a socket frees its place.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { ParleyRealtime } from '../../src/client/index.js';
import { register, uniqueName } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';
import { waitFor } from '../helpers/kit.js';

let t: TestServer;
const sockets: WsClient[] = [];

beforeAll(async () => {
  t = await startTestServer({ WS_CONNECTIONS_PER_USER: '2' });
});

afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await t?.close();
});

async function open(token: string): Promise<WsClient> {
  const c = await WsClient.open(t.wsUrl);
  sockets.push(c);
  c.send({ type: 'auth', token });
  return c;
}

describe('open WebSockets per user', () => {
  it('refuses one more than WS_CONNECTIONS_PER_USER with an error frame and close 4429; others and freed places are served', async () => {
    const ada = await register(t.app, uniqueName('ada'));
    const bob = await register(t.app, uniqueName('bob'));
    const first = await open(ada.token);
    const second = await open(ada.token);
    await first.next((f) => f.type === 'ready');
    await second.next((f) => f.type === 'ready');

    const third = await open(ada.token);
    expect(await third.closed).toBe(4429);
    expect(third.closeReason).toMatch(/too many connections/);
    expect(third.frames).toHaveLength(1);
    expect(third.frames[0]).toMatchObject({
      type: 'error',
      error: { code: 'rate_limited', details: { reason: 'too_many_connections', limit: 2, retryAfter: 10 } },
    });
    expect(third.frames[0]!.error.message).toMatch(/too many open connections.*2/);
    expect(first.closeCode).toBeNull();

    // Another user is counted apart.
    const other = await open(bob.token);
    await other.next((f) => f.type === 'ready');

    // Closing one frees its place.
    first.close();
    await first.closed;
    await waitFor(() => ((t.app as ParleyApp).gateway.registry.forUser(ada.user.id)?.size ?? 0) === 1, 'the closed socket gone');
    const again = await open(ada.token);
    await again.next((f) => f.type === 'ready');
  });

  it('ParleyRealtime refused that way reports it in `disconnected` and waits before trying again', async () => {
    const cy = await register(t.app, uniqueName('cy'));
    const a = await open(cy.token);
    const b = await open(cy.token);
    await a.next((f) => f.type === 'ready');
    await b.next((f) => f.type === 'ready');
    const rt = new ParleyRealtime({ url: t.wsUrl, token: cy.token, WebSocket: WebSocket as never, backoff: { minMs: 10, maxMs: 50, jitter: 0 } });
    const why: { code: number; message: string; retryAt: number | null }[] = [];
    rt.on('disconnected', (d) => why.push(d));
    rt.on('error', () => undefined);
    try {
      rt.start();
      await waitFor(() => why.length > 0, 'disconnected');
      expect(why[0]!.code).toBe(4429);
      expect(why[0]!.message).toMatch(/too many open connections/);
      expect(rt.state).toBe('offline');
      expect(rt.retryAt! - Date.now()).toBeGreaterThan(8_000);
    } finally {
      rt.stop();
    }
  });
});
