/**
 * Outgoing webhooks (CONTRACT.md: POST/GET/DELETE /groups/{id}/webhooks): admin-only CRUD, the
 * SSRF guard, signed message.created deliveries, retries, disabling, a hanging receiver not
 * delaying sends, and the durable queue surviving a restart. Also what must not leave: a hook
 * whose creator lost access, a deleted message, a deleted group; one slow receiver not starving
 * the rest, a capped queue, and the enqueues of a closing app.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { newId } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { WebhooksRepository } from '../../src/db/repositories/webhooks.repository.js';
import { auditLog, messages, webhookDeliveries, webhooks as webhooksTable } from '../../src/db/schema.js';
import { TARGET_NOT_ALLOWED, TARGET_UNRESOLVED } from '../../src/services/integrations/webhook-guard.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { expectError, sleep, waitFor } from '../helpers/kit.js';

const TEXT = '你好，世界 👋🏽 webhook';
const FAST = { pollIntervalMs: 50, requestTimeoutMs: 2_000, retryDelaysMs: [150, 150], disableAfter: 2 };

let t: TestApp;
const call = apiCaller(() => t.app);

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

/** The app's webhooks service (its dispatcher, and flush() to wait for the background enqueues). */
const hooksService = () => (t.app as ParleyApp).services.webhooks;
/** A hook's queued deliveries (in flight included). */
const queuedFor = (webhookId: string) => t.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));

/**
 * Until nothing is queued or in flight for a hook, its enqueues finished first. A delivery is
 * recorded by the receiver before it answers, and its row deleted after the answer: past this,
 * every delivery the hook will ever get is in `rx.received`, with no time allowed for stragglers.
 */
async function hookSettled(webhookId: string): Promise<void> {
  expect(await hooksService().flush()).toBe(true);
  await waitFor(async () => (await queuedFor(webhookId)).length === 0, 'the hook queue to empty', 5_000);
}

/**
 * Runs `fn` with the dispatcher stopped, so what is queued stays queued and can be looked at;
 * the enqueues of the messages sent are finished first, and the dispatcher restarted after.
 */
async function withDispatcherStopped(fn: () => Promise<void>): Promise<void> {
  const service = hooksService();
  await service.dispatcher.stop();
  try {
    await fn();
  } finally {
    service.dispatcher.start();
  }
}

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
    // NAT64: reaches 169.254.169.254 and 127.0.0.1 on a network with a NAT64 gateway.
    'http://[64:ff9b::a9fe:a9fe]/', 'http://[64:ff9b::7f00:1]/',
  ])('refuses the loopback or private target %s with 400', async (url) => {
    const res = await call('POST', `/groups/${gid}/webhooks`, owner, { url });
    expectError(res, 400, 'validation_failed');
  });

  it.each(['ftp://example.com/', 'http://user:pw@203.0.113.7/', 'not a url', '/relative', `http://203.0.113.7/${'a'.repeat(2048)}`, ''])(
    'refuses the bad url %s with 400',
    async (url) => {
      expectError(await call('POST', `/groups/${gid}/webhooks`, owner, { url }), 400, 'validation_failed');
    },
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

  it('refuses a private target without saying where the name leads, and an unresolvable one without the resolver code', async () => {
    const refused = await call('POST', `/groups/${gid}/webhooks`, owner, { url: 'http://localhost:9/' });
    expectError(refused, 400, 'validation_failed');
    expect((refused.json() as { error: { message: string } }).error.message).toBe(TARGET_NOT_ALLOWED);
    expect(refused.body).not.toMatch(/127\.0\.0\.1|::1/);
    const unresolved = await call('POST', `/groups/${gid}/webhooks`, owner, { url: 'http://no-such-host.invalid/' });
    expectError(unresolved, 400, 'validation_failed');
    expect((unresolved.json() as { error: { message: string } }).error.message).toBe(TARGET_UNRESOLVED);
    expect(unresolved.body).not.toMatch(/ENOTFOUND|EAI_AGAIN|ESERVFAIL|EAI_NONAME/);
  });

  it("keeps a hook's lastError free of addresses when the guard refuses a delivery", async () => {
    const g = await group(owner);
    // Stored as is, as if its name had resolved to a public address when it was added.
    const hook = await new WebhooksRepository(t.database.db).insert({
      id: newId(), conversationId: g, url: 'http://127.0.0.1:9/', secret: 'x'.repeat(64), createdBy: owner.user.id,
    });
    await send(owner, g);
    let lastError: string | null = null;
    await waitFor(async () => {
      lastError = (await call('GET', `/groups/${g}/webhooks`, owner)).json().webhooks[0].lastError as string | null;
      return lastError !== null;
    }, 'the refused attempt', 10_000);
    expect(lastError).toBe(TARGET_NOT_ALLOWED);
    expect((await call('DELETE', `/groups/${g}/webhooks/${hook.id}`, owner)).statusCode).toBe(204);
  });

  it('allows at most 10 hooks per group (409 beyond)', async () => {
    const g = await group(owner);
    for (let i = 0; i < 10; i++) expect((await call('POST', `/groups/${g}/webhooks`, owner, { url: `http://203.0.113.7/${i}` })).statusCode).toBe(201);
    expectError(await call('POST', `/groups/${g}/webhooks`, owner, { url: 'http://203.0.113.7/x' }), 409, 'conflict');
    expect((await call('GET', `/groups/${g}/webhooks`, owner)).json().webhooks).toHaveLength(10);
  });

  it('claims at most one delivery per hook, none of a hook with one in flight, and no more than asked', async () => {
    await hooksService().dispatcher.stop(); // claimed by hand here (the app closes after this block)
    const g = await group(owner);
    const ids: string[] = [];
    for (const i of [1, 2, 3]) ids.push((await call('POST', `/groups/${g}/webhooks`, owner, { url: `http://203.0.113.7/claim${i}` })).json().id);
    for (let i = 0; i < 3; i++) await send(owner, g);
    await hooksService().flush();
    const queued = await t.database.db.select().from(webhookDeliveries);
    expect(queued.filter((d) => ids.includes(d.webhookId))).toHaveLength(9);
    const repo = new WebhooksRepository(t.database.db);
    const first = await repo.claimDue(2, 60_000);
    expect(first).toHaveLength(2);
    expect(new Set(first.map((d) => d.webhookId)).size).toBe(2);
    // The third hook only: the other two have a delivery in flight.
    const second = await repo.claimDue(10, 60_000);
    expect(second).toHaveLength(1);
    expect(first.map((d) => d.webhookId)).not.toContain(second[0]!.webhookId);
    expect(await repo.claimDue(10, 60_000)).toEqual([]);
    // Handed back: the same delivery, the oldest of its hook, is taken again.
    await repo.release(first[0]!.id);
    expect((await repo.claimDue(10, 60_000)).map((d) => d.id)).toEqual([first[0]!.id]);
  });
});

describe('webhook delivery (WEBHOOK_ALLOW_PRIVATE=on)', () => {
  let rx: WebhookReceiver;
  let owner: Account;
  beforeAll(async () => {
    rx = await startWebhookReceiver();
    // A queue of 3 per hook, so the cap can be reached here.
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'on' }, { webhooks: { ...FAST, maxQueuedPerHook: 3 } });
    owner = await register(t.app); // the first account: a site admin too
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
    await waitFor(() => rx.received('/signed').length === 1, 'the delivery', 5_000);
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
    await hookSettled(h.id);
    expect(rx.received('/signed')).toHaveLength(1);
    const listed = (await call('GET', `/groups/${gid}/webhooks`, owner)).json().webhooks[0];
    expect(listed.lastDeliveredAt).not.toBeNull();
  });

  it('asks the database about hooks once per conversation, not once per message, and sees a new hook at once', async () => {
    const gid = await group(owner);
    const spy = vi.spyOn(WebhooksRepository.prototype, 'liveIds');
    try {
      for (let i = 0; i < 5; i++) await send(owner, gid);
      expect(await hooksService().flush()).toBe(true);
      expect(spy.mock.calls.filter(([id]) => id === gid)).toHaveLength(1);
      await hook(gid, '/late');
      await send(owner, gid);
      await waitFor(() => rx.received('/late').length === 1, 'the delivery to a new hook', 5_000);
    } finally {
      spy.mockRestore();
    }
  });

  it('retries a failing receiver with back-off and delivers once, with the same delivery id', async () => {
    const gid = await group(owner);
    const flaky = await hook(gid, '/flaky');
    rx.answer('/flaky', (n) => (n < 2 ? 500 : 200));
    await send(owner, gid);
    await waitFor(() => rx.received('/flaky').length === 3, 'three attempts', 5_000);
    await hookSettled(flaky.id);
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
    await waitFor(async () => (await auditRows('webhook.disabled', gid)).length === 1, 'the hook disabled', 8_000);
    const [entry] = await auditRows('webhook.disabled', gid);
    expect(entry).toMatchObject({ actorId: null, details: { webhookId: h.id, lastError: 'HTTP 500' } });
    const listed = (await call('GET', `/groups/${gid}/webhooks`, owner)).json().webhooks[0];
    expect(listed.disabledAt).not.toBeNull();
    expect(listed.lastError).toBe('HTTP 500');
    expect(rx.received('/down')).toHaveLength(6); // two deliveries, three attempts each
    await send(owner, gid);
    await hooksService().flush();
    expect(await queuedFor(h.id)).toEqual([]);
    expect(rx.received('/down')).toHaveLength(6);
  });

  it('never delays a send: the ack arrives while the receiver still holds the previous delivery', async () => {
    const gid = await group(owner);
    await hook(gid, '/hang');
    rx.answer('/hang', (n) => (n === 0 ? 'hold' : 200));
    await send(owner, gid);
    await waitFor(() => rx.held() === 1, 'the receiver holding a delivery', 5_000);
    const started = performance.now();
    await send(owner, gid, 'second');
    const elapsed = performance.now() - started;
    expect(rx.held()).toBe(1);
    expect(elapsed).toBeLessThan(1_000);
    rx.release();
  });

  /** A new member of the group, made an admin by the owner. */
  async function newAdmin(gid: string): Promise<Account> {
    const a = await register(t.app);
    expect((await call('POST', `/groups/${gid}/members`, owner, { userId: a.user.id })).statusCode).toBe(201);
    expect((await call('PATCH', `/groups/${gid}/members/${a.user.id}`, owner, { role: 'admin' })).statusCode).toBe(200);
    return a;
  }

  type Revoke = (gid: string, admin: Account, hookId: string) => Promise<LightMyRequestResponse | null>;
  it.each<[string, Revoke]>([
    ['demoted to a plain member', (gid, a) => call('PATCH', `/groups/${gid}/members/${a.user.id}`, owner, { role: 'member' })],
    ['removed by the owner', (gid, a) => call('DELETE', `/groups/${gid}/members/${a.user.id}`, owner)],
    ['leaving the group', (gid, a) => call('DELETE', `/groups/${gid}/members/${a.user.id}`, a)],
    ['banned', (gid, a) => call('PUT', `/groups/${gid}/bans/${a.user.id}`, owner)],
    ['deactivated', (_gid, a) => call('POST', `/admin/users/${a.user.id}/deactivate`, owner)],
    ['erased (created_by null)', async (_gid, _a, hookId) => {
      await t.database.db.update(webhooksTable).set({ createdBy: null }).where(eq(webhooksTable.id, hookId));
      return null;
    }],
  ])('stops the hook of an admin %s: what was queued is dropped unsent, and nothing more is queued', async (how, revoke) => {
    const gid = await group(owner);
    const admin = await newAdmin(gid);
    const path = `/revoked-${how.replace(/\W+/g, '-')}`;
    const created = await call('POST', `/groups/${gid}/webhooks`, admin, { url: rx.url(path) });
    expect(created.statusCode, created.body).toBe(201);
    const hookId = (created.json() as { id: string }).id;
    await send(owner, gid);
    await waitFor(() => rx.received(path).length === 1, 'the delivery while an admin', 5_000);
    // Received is not yet done: the dispatcher deletes the row after the answer (stopping it
    // earlier would hand the delivery back to the queue).
    await waitFor(async () => (await queuedFor(hookId)).length === 0, 'the first delivery to complete', 5_000);
    await withDispatcherStopped(async () => {
      await send(owner, gid, 'queued while an admin');
      await send(owner, gid, 'queued while an admin');
      await hooksService().flush();
      expect(await queuedFor(hookId)).toHaveLength(2);
      const res = await revoke(gid, admin, hookId);
      if (res) expect(res.statusCode, res.body).toBeLessThan(300);
      await send(owner, gid, 'sent after');
      await hooksService().flush();
      expect(await queuedFor(hookId)).toHaveLength(2); // the enqueue skipped it
    });
    // The claim drops the two queued before: none reaches the URL.
    await hookSettled(hookId);
    expect(rx.received(path)).toHaveLength(1);
  });

  it('does not send a message deleted while its delivery waits (deleted through the API, or behind the queue)', async () => {
    const gid = await group(owner);
    const h = await hook(gid, '/deleted');
    let kept!: { id: string }, deleted!: { id: string }, late!: { id: string };
    await withDispatcherStopped(async () => {
      kept = await send(owner, gid, 'kept');
      deleted = await send(owner, gid, 'deleted through the API');
      late = await send(owner, gid, 'deleted after the claim query began');
      await hooksService().flush();
      // Each delivery names its message.
      expect((await queuedFor(h.id)).map((d) => d.messageId).sort()).toEqual([kept.id, deleted.id, late.id].sort());
      expect((await call('DELETE', `/messages/${deleted.id}`, owner)).statusCode).toBe(204);
      expect((await queuedFor(h.id)).map((d) => d.messageId).sort()).toEqual([kept.id, late.id].sort());
      // As if the delete committed after an enqueue had read the message as live: the claim looks again.
      await t.database.db.update(messages).set({ deletedAt: new Date() }).where(eq(messages.id, late.id));
    });
    await hookSettled(h.id);
    expect(rx.received('/deleted').map((r) => (JSON.parse(r.body) as { message: { id: string } }).message.id)).toEqual([kept.id]);
  });

  it("deletes a deleted group's hooks, and their queued deliveries with them", async () => {
    const gid = await group(owner);
    const h = await hook(gid, '/group-deleted');
    await withDispatcherStopped(async () => {
      await send(owner, gid);
      await hooksService().flush();
      expect(await queuedFor(h.id)).toHaveLength(1);
      expect((await call('DELETE', `/groups/${gid}`, owner)).statusCode).toBe(204);
      expect(await queuedFor(h.id)).toHaveLength(0);
      expect(await t.database.db.select().from(webhooksTable).where(eq(webhooksTable.conversationId, gid))).toEqual([]);
    });
    // Nothing was in flight (the dispatcher was stopped) and nothing is queued: nothing can come.
    expect(rx.received('/group-deleted')).toHaveLength(0);
  });

  it('gives a slow receiver one delivery at a time, so it cannot starve the other hooks', async () => {
    const slowGroup = await group(owner);
    const slow = await hook(slowGroup, '/slow');
    rx.answer('/slow', () => 'hold');
    for (let i = 0; i < 5; i++) await send(owner, slowGroup);
    await waitFor(() => rx.held() === 1, 'the slow receiver holding a delivery', 5_000);
    const quickGroup = await group(owner);
    await hook(quickGroup, '/quick');
    await send(owner, quickGroup);
    // Four slots on this node: without the limit the slow hook would hold them all until its time box (2 s).
    await waitFor(() => rx.received('/quick').length === 1, 'the other hook delivered meanwhile', 1_500);
    expect(rx.held()).toBe(1);
    expect(rx.received('/slow')).toHaveLength(1);
    expect((await call('DELETE', `/groups/${slowGroup}/webhooks/${slow.id}`, owner)).statusCode).toBe(204);
    rx.release();
  });

  it('caps a hook\'s queue (maxQueuedPerHook, 3 here): beyond it new deliveries are not queued', async () => {
    const gid = await group(owner);
    const h = await hook(gid, '/capped');
    const sent: { id: string }[] = [];
    await withDispatcherStopped(async () => {
      for (let i = 0; i < 5; i++) {
        sent.push(await send(owner, gid, `capped ${i}`));
        await hooksService().flush();
      }
      expect((await queuedFor(h.id)).map((d) => d.messageId).sort()).toEqual(sent.slice(0, 3).map((m) => m.id).sort());
    });
    await waitFor(() => rx.received('/capped').length === 3, 'the queued deliveries', 5_000);
    await hookSettled(h.id);
    const bodies = () => rx.received('/capped').map((r) => (JSON.parse(r.body) as { message: { body: string } }).message.body);
    expect(bodies().sort()).toEqual(['capped 0', 'capped 1', 'capped 2']);
    // Drained: queued again.
    await send(owner, gid, 'capped again');
    await waitFor(() => rx.received('/capped').length === 4, 'a delivery after the queue drained', 5_000);
    expect(bodies()[3]).toBe('capped again');
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
    await waitFor(() => rx.held() === 1, 'the retry in flight', 5_000);
    await first.close();
    const second = await buildApp({ config: t.config, database: t.database, logger: createLogger({ level: 'silent', logDir: null }), webhooks: opts });
    await second.ready();
    try {
      await waitFor(() => rx.received('/restart').length === 3, 'the delivery by the new app', 5_000);
      const ids = new Set(rx.received('/restart').map((g) => g.headers['x-parley-delivery']));
      expect(ids.size).toBe(1);
    } finally {
      await second.close();
      await t.close(); // closes the first app again (a no-op) and the database
    }
  });

  it('finishes queueing the deliveries of messages just sent before the app closes', async () => {
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'on' }, { webhooks: FAST });
    const owner = await register(t.app);
    const gid = await group(owner);
    expect((await call('POST', `/groups/${gid}/webhooks`, owner, { url: rx.url('/shutdown') })).statusCode).toBe(201);
    rx.answer('/shutdown', () => 'hold'); // were it sent before the app stops, it stays queued
    // A slow enqueue: the app must wait for it before the database closes.
    const original = WebhooksRepository.prototype.enqueue;
    const spy = vi.spyOn(WebhooksRepository.prototype, 'enqueue').mockImplementation(async function (this: WebhooksRepository, ...args) {
      await sleep(1_500);
      return original.apply(this, args);
    });
    try {
      const message = await send(owner, gid);
      await t.app.close();
      expect(spy).toHaveBeenCalledTimes(1);
      const rows = await t.database.db.select().from(webhookDeliveries);
      expect(rows.map((r) => r.messageId)).toEqual([message.id]);
    } finally {
      spy.mockRestore();
      await t.close();
    }
  });
});
