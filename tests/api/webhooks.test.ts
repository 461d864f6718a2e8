/**
 * Outgoing webhooks (CONTRACT.md: POST/GET/DELETE /groups/{id}/webhooks): admin-only CRUD, the
 * SSRF guard, signed message.created deliveries, retries, disabling, a hanging receiver not
 * delaying sends, and the durable queue surviving a restart.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { WebhooksRepository } from '../../src/db/repositories/webhooks.repository.js';
import { auditLog } from '../../src/db/schema.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { startWebhookReceiver, waitUntil, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const TEXT = '你好，世界 👋🏽 webhook';
const FAST = { pollIntervalMs: 50, requestTimeoutMs: 2_000, retryDelaysMs: [150, 150], disableAfter: 2 };

let t: TestApp;
const call = apiCaller(() => t.app);

function expectError(res: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: res.statusCode, code: (res.json() as { error?: { code?: string } }).error?.code }, res.body).toEqual({ status, code });
}

async function group(owner: Account, visibility: 'public' | 'private' = 'private', memberIds: string[] = []): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: 'hooks 群', visibility, memberIds });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
}

async function send(who: Account, conversationId: string, body = TEXT): Promise<{ id: string; seq: number }> {
  const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const auditRows = (action: string, conversationId: string) =>
  t.database.db.select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.conversationId, conversationId)));

describe('webhook management, private targets refused (the default)', () => {
  let owner: Account, member: Account, outsider: Account;
  let gid: string;
  beforeAll(async () => {
    t = await startTestApp();
    [owner, member, outsider] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    gid = await group(owner, 'private', [member.user.id]);
  });
  afterAll(async () => t?.close());

  it.each([
    'http://127.0.0.1:9/', 'http://localhost:9/', 'http://[::1]/', 'http://0x7f000001/', 'http://2130706433/',
    'http://10.1.2.3/', 'http://172.16.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/', 'http://0.0.0.0/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:10.0.0.1]/',
    'http://[fe80::1]/', 'http://[fd00::1]/', 'http://224.0.0.1/',
  ])('refuses the loopback or private target %s with 400', async (url) => {
    const res = await call('POST', `/groups/${gid}/webhooks`, owner, { url });
    expectError(res, 400, 'validation_failed');
  });

  it.each(['ftp://example.com/', 'http://user:pw@203.0.113.7/', 'not a url', '/relative', `http://203.0.113.7/${'a'.repeat(2048)}`, ''])(
    'refuses the bad url %s with 400',
    async (url) => expectError(await call('POST', `/groups/${gid}/webhooks`, owner, { url }), 400, 'validation_failed'),
  );

  it('refuses unknown fields and a missing url with 400', async () => {
    expectError(await call('POST', `/groups/${gid}/webhooks`, owner, { url: 'http://203.0.113.7/', events: ['x'] }), 400, 'validation_failed');
    expectError(await call('POST', `/groups/${gid}/webhooks`, owner, {}), 400, 'validation_failed');
  });

  it('lets an admin add a public target: 201 {id, url, secret}; GET lists it without the secret; DELETE is 204', async () => {
    const res = await call('POST', `/groups/${gid}/webhooks`, owner, { url: 'http://203.0.113.7/hook#frag' });
    expect(res.statusCode, res.body).toBe(201);
    const hook = res.json() as { id: string; url: string; secret: string };
    expect(Object.keys(hook).sort()).toEqual(['id', 'secret', 'url']);
    expect(hook.url).toBe('http://203.0.113.7/hook');
    expect(hook.secret).toMatch(/^[0-9a-f]{64}$/);
    const list = await call('GET', `/groups/${gid}/webhooks`, owner);
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(hook.secret);
    const listed = (list.json() as { webhooks: Record<string, unknown>[] }).webhooks.find((w) => w.id === hook.id)!;
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'disabledAt', 'id', 'lastDeliveredAt', 'lastError', 'url']);
    expect(listed).toMatchObject({ url: hook.url, disabledAt: null, lastError: null, lastDeliveredAt: null });
    expect((await call('DELETE', `/groups/${gid}/webhooks/${hook.id}`, owner)).statusCode).toBe(204);
    expectError(await call('DELETE', `/groups/${gid}/webhooks/${hook.id}`, owner), 404, 'not_found');
    const created = await auditRows('webhook.created', gid);
    expect(created).toHaveLength(1);
    // The audit log keeps the origin only: a URL's path or query may carry the receiver's token.
    expect(created[0]!.details).toEqual({ webhookId: hook.id, target: 'http://203.0.113.7' });
    expect((await auditRows('webhook.deleted', gid))[0]).toMatchObject({ actorId: owner.user.id, details: { webhookId: hook.id } });
  });

  it('allows admins only: a plain member gets 403, a non-member of a private group 404, of a public group 403', async () => {
    const url = { url: 'http://203.0.113.7/' };
    expectError(await call('POST', `/groups/${gid}/webhooks`, member, url), 403, 'forbidden');
    expectError(await call('GET', `/groups/${gid}/webhooks`, member), 403, 'forbidden');
    expectError(await call('POST', `/groups/${gid}/webhooks`, outsider, url), 404, 'not_found');
    expectError(await call('GET', `/groups/${gid}/webhooks`, outsider), 404, 'not_found');
    const pub = await group(owner, 'public');
    expectError(await call('GET', `/groups/${pub}/webhooks`, outsider), 403, 'forbidden');
    const hook = (await call('POST', `/groups/${pub}/webhooks`, owner, url)).json() as { id: string };
    expectError(await call('DELETE', `/groups/${pub}/webhooks/${hook.id}`, outsider), 403, 'forbidden');
    // Another group's hook, a malformed id, an unknown group: 404.
    expectError(await call('DELETE', `/groups/${gid}/webhooks/${hook.id}`, owner), 404, 'not_found');
    expectError(await call('DELETE', `/groups/${gid}/webhooks/nope`, owner), 404, 'not_found');
    expectError(await call('GET', '/groups/nope/webhooks', owner), 404, 'not_found');
    const direct = (await call('POST', '/conversations/direct', owner, { userId: member.user.id })).json() as { id: string };
    expectError(await call('GET', `/groups/${direct.id}/webhooks`, owner), 404, 'not_found');
  });

  it('allows at most 10 hooks per group (409 beyond)', async () => {
    const g = await group(owner);
    for (let i = 0; i < 10; i++) expect((await call('POST', `/groups/${g}/webhooks`, owner, { url: `http://203.0.113.7/${i}` })).statusCode).toBe(201);
    expectError(await call('POST', `/groups/${g}/webhooks`, owner, { url: 'http://203.0.113.7/x' }), 409, 'conflict');
    expect((await call('GET', `/groups/${g}/webhooks`, owner)).json().webhooks).toHaveLength(10);
  });
});

describe('webhook delivery (WEBHOOK_ALLOW_PRIVATE=on)', () => {
  let rx: WebhookReceiver;
  let owner: Account;
  beforeAll(async () => {
    rx = await startWebhookReceiver();
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'on' }, { webhooks: FAST });
    owner = await register(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  async function hook(gid: string, path: string): Promise<{ id: string; secret: string }> {
    const res = await call('POST', `/groups/${gid}/webhooks`, owner, { url: rx.url(path) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  it('POSTs message.created, signed with the secret, with the message as sent (Chinese intact)', async () => {
    const gid = await group(owner);
    const h = await hook(gid, '/signed');
    const res = await call('POST', `/conversations/${gid}/messages`, owner, { body: TEXT, clientMsgId: 'c1' });
    const message = res.json() as { id: string; seq: number; createdAt: string };
    await waitUntil(() => rx.received('/signed').length === 1, 5_000, 'the delivery');
    const got = rx.received('/signed')[0]!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('Parley-Webhook/1');
    expect(got.headers['x-parley-event']).toBe('message.created');
    const expected = `sha256=${createHmac('sha256', h.secret).update(got.body).digest('hex')}`;
    const signature = String(got.headers['x-parley-signature']);
    expect(signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
    const body = JSON.parse(got.body) as Record<string, unknown>;
    const events = (await call('GET', `/conversations/${gid}/events`, owner)).json() as { events: { seq: number; createdAt: string }[] };
    expect(body).toEqual({
      type: 'message.created',
      conversationId: gid,
      seq: message.seq,
      createdAt: events.events.find((e) => e.seq === message.seq)!.createdAt,
      message: { ...message, reactions: [] },
      webhookId: h.id,
      deliveryId: got.headers['x-parley-delivery'],
    });
    expect((body.message as { body: string }).body).toBe(TEXT);
    // Edits and deletes are not sent (only message.created is in the contract), nor is a repeat.
    await call('POST', `/conversations/${gid}/messages`, owner, { body: TEXT, clientMsgId: 'c1' });
    await call('PATCH', `/messages/${message.id}`, owner, { body: 'edited' });
    await call('DELETE', `/messages/${message.id}`, owner);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.received('/signed')).toHaveLength(1);
    const listed = (await call('GET', `/groups/${gid}/webhooks`, owner)).json().webhooks[0];
    expect(listed.lastDeliveredAt).not.toBeNull();
  });

  it('asks the database about hooks once per conversation, not once per message, and sees a new hook at once', async () => {
    const gid = await group(owner);
    const spy = vi.spyOn(WebhooksRepository.prototype, 'liveIds');
    try {
      for (let i = 0; i < 5; i++) await send(owner, gid);
      await new Promise((r) => setTimeout(r, 50));
      expect(spy.mock.calls.filter(([id]) => id === gid)).toHaveLength(1);
      await hook(gid, '/late');
      await send(owner, gid);
      await waitUntil(() => rx.received('/late').length === 1, 5_000, 'the delivery to a new hook');
    } finally {
      spy.mockRestore();
    }
  });

  it('retries a failing receiver with back-off and delivers once, with the same delivery id', async () => {
    const gid = await group(owner);
    await hook(gid, '/flaky');
    rx.answer('/flaky', (n) => (n < 2 ? 500 : 200));
    await send(owner, gid);
    await waitUntil(() => rx.received('/flaky').length === 3, 5_000, 'three attempts');
    await new Promise((r) => setTimeout(r, 400));
    const got = rx.received('/flaky');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((g) => g.headers['x-parley-delivery'])).size).toBe(1);
    expect(new Set(got.map((g) => g.body)).size).toBe(1);
    expect(got[1]!.receivedAt - got[0]!.receivedAt).toBeGreaterThanOrEqual(100); // 150 ms ± 20%
    const listed = (await call('GET', `/groups/${gid}/webhooks`, owner)).json().webhooks[0];
    expect(listed).toMatchObject({ disabledAt: null, lastError: null });
  });

  it('disables a hook after repeated failed deliveries, audits it, and sends it nothing more', async () => {
    const gid = await group(owner);
    const h = await hook(gid, '/down');
    rx.answer('/down', () => 500);
    await send(owner, gid);
    await send(owner, gid);
    await waitUntil(async () => (await auditRows('webhook.disabled', gid)).length === 1, 8_000, 'the hook disabled');
    const [entry] = await auditRows('webhook.disabled', gid);
    expect(entry).toMatchObject({ actorId: null, details: { webhookId: h.id, lastError: 'HTTP 500' } });
    const listed = (await call('GET', `/groups/${gid}/webhooks`, owner)).json().webhooks[0];
    expect(listed.disabledAt).not.toBeNull();
    expect(listed.lastError).toBe('HTTP 500');
    expect(rx.received('/down')).toHaveLength(6); // two deliveries, three attempts each
    await send(owner, gid);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.received('/down')).toHaveLength(6);
  });

  it('never delays a send: the ack arrives while the receiver still holds the previous delivery', async () => {
    const gid = await group(owner);
    await hook(gid, '/hang');
    rx.answer('/hang', (n) => (n === 0 ? 'hold' : 200));
    await send(owner, gid);
    await waitUntil(() => rx.held() === 1, 5_000, 'the receiver holding a delivery');
    const started = performance.now();
    await send(owner, gid, 'second');
    const elapsed = performance.now() - started;
    expect(rx.held()).toBe(1);
    expect(elapsed).toBeLessThan(1_000);
    rx.release();
  });
});

describe('the delivery queue across a restart', () => {
  let rx: WebhookReceiver;
  beforeAll(async () => {
    rx = await startWebhookReceiver();
  });
  afterAll(async () => rx?.close());

  it('keeps a delivery whose request was cut short by shutdown, and the next app on the database delivers it', async () => {
    const opts = { ...FAST, retryDelaysMs: [300, 300] };
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'on' }, { webhooks: opts });
    const first = t.app;
    const owner = await register(first);
    const gid = await group(owner);
    await call('POST', `/groups/${gid}/webhooks`, owner, { url: rx.url('/restart') });
    rx.answer('/restart', (n) => (n === 0 ? 500 : n === 1 ? 'hold' : 200));
    await send(owner, gid);
    // The first attempt fails, the retry is on its way when the app stops.
    await waitUntil(() => rx.held() === 1, 5_000, 'the retry in flight');
    await first.close();
    const second = await buildApp({ config: t.config, database: t.database, logger: createLogger({ level: 'silent', logDir: null }), webhooks: opts });
    await second.ready();
    try {
      await waitUntil(() => rx.received('/restart').length === 3, 5_000, 'the delivery by the new app');
      const ids = new Set(rx.received('/restart').map((g) => g.headers['x-parley-delivery']));
      expect(ids.size).toBe(1);
    } finally {
      await second.close();
      await t.close(); // closes the first app again (a no-op) and the database
    }
  });
});
