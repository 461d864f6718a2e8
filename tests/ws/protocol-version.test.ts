/**
 * Rolling upgrades, WebSocket side: `ready` says which release and protocol range the node runs;
 * a client older than the node's minimum protocol is told to reload (error frame, close 4426) and
 * the model client stops retrying; a newer client is served in the node's own protocol.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ParleyRealtime } from '../../src/client/index.js';
import { PROTOCOL_VERSION } from '../../src/protocol/limits.js';
import { register, uniqueName, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('protocol versions in the handshake', () => {
  let current: TestServer;
  let newer: TestServer;
  let alice: Account;
  let bob: Account;
  beforeAll(async () => {
    current = await startTestServer();
    // A node of a later release that no longer serves protocol 1 clients.
    newer = await startTestServer({}, { gateway: { minProtocol: PROTOCOL_VERSION + 1 } });
    alice = await register(current.app, uniqueName('pva'));
    bob = await register(newer.app, uniqueName('pvb'));
  });
  afterAll(async () => {
    await current?.close();
    await newer?.close();
  });

  it('ready carries the server release and its protocol range', async () => {
    const c = await WsClient.connect(current.wsUrl, alice.token);
    expect(c.frames[0]).toMatchObject({ type: 'ready', protocol: PROTOCOL_VERSION, minProtocol: 1, serverVersion: VERSION });
    c.close();
    const health = await current.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok', version: VERSION, protocol: PROTOCOL_VERSION, minProtocol: 1 });
  });

  it('a client that names no protocol or a newer one is served in the server protocol', async () => {
    for (const protocol of [undefined, PROTOCOL_VERSION, PROTOCOL_VERSION + 5]) {
      const c = await WsClient.open(current.wsUrl);
      c.send({ type: 'auth', token: alice.token, ...(protocol === undefined ? {} : { protocol }) });
      const ready = await c.next((f) => f.type === 'ready');
      expect(ready.protocol).toBe(PROTOCOL_VERSION);
      c.close();
    }
  });

  it('a client older than the minimum gets protocol_unsupported and close 4426, whatever its token', async () => {
    for (const token of [bob.token, 'not-a-token-at-all-xxxxxxxx']) {
      const c = await WsClient.open(newer.wsUrl);
      c.send({ type: 'auth', token, protocol: PROTOCOL_VERSION });
      const error = await c.next((f) => f.type === 'error');
      expect(error.error.code).toBe('protocol_unsupported');
      expect(error.error.message).toMatch(/reload/);
      expect(await c.closed).toBe(4426);
      expect(c.frames.some((f) => f.type === 'ready')).toBe(false);
    }
    // An auth frame without `protocol` is protocol 1.
    const c = await WsClient.open(newer.wsUrl);
    c.send({ type: 'auth', token: bob.token });
    expect(await c.closed).toBe(4426);
  });

  it('a malformed protocol is a 1008 like any malformed auth frame', async () => {
    const c = await WsClient.open(current.wsUrl);
    c.send({ type: 'auth', token: alice.token, protocol: 'one' });
    expect(await c.closed).toBe(1008);
  });

  it('the model client reports `outdated` and stops retrying; against a current node it reports the server release', async () => {
    const stale = new ParleyRealtime({ url: newer.wsUrl, token: bob.token, WebSocket: WebSocket as never, backoff: { minMs: 20, maxMs: 50 } });
    const outdated = new Promise<{ code: number; message: string | null }>((resolve) => stale.on('outdated', resolve));
    let readies = 0;
    stale.on('ready', () => readies++);
    stale.start();
    const got = await outdated;
    expect(got.code).toBe(4426);
    expect(got.message).toMatch(/reload/);
    await new Promise((r) => setTimeout(r, 300));
    expect(stale.state).toBe('closed');
    expect(readies).toBe(0);
    stale.stop();

    const fresh = new ParleyRealtime({ url: current.wsUrl, token: alice.token, WebSocket: WebSocket as never });
    const ready = new Promise<{ serverVersion: string | null; protocol: number; minProtocol: number }>((resolve) => fresh.on('ready', resolve));
    fresh.start();
    expect(await ready).toMatchObject({ serverVersion: VERSION, protocol: PROTOCOL_VERSION, minProtocol: 1 });
    fresh.stop();
  });
});
