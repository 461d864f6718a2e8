/**
 * Web Push to people who are away (issue 10): the subscription API, who gets a push (levels,
 * mute, online, the sender), and what arrives at a real push service on loopback: VAPID-signed,
 * aes128gcm-encrypted, decrypted by the test with the subscription's own keys. 410 removes a
 * subscription, 500 is retried, a deleted message is not pushed, private endpoints are refused
 * by default, and a 500-member group costs one query for its recipients.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { newId } from '../../src/core/ids.js';
import { queryRows } from '../../src/db/sql.js';
import { apiCaller, notificationQueueDrained, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { startPushEndpoint, type PushEndpoint, type TestSubscription } from '../helpers/push-endpoint.js';
import { WsClient } from '../helpers/ws.js';
import { waitFor } from '../helpers/kit.js';

const TEXT = '你好 @{name}，会议改到三点 🎉 please read';
let t: TestApp;
let push: PushEndpoint;
let wsUrl: string;
const call = apiCaller(() => t.app);
const services = () => (t.app as ParleyApp).services;

async function ok<T>(res: Promise<{ statusCode: number; body: string; json(): unknown }>, status = 200): Promise<T> {
  const r = await res;
  expect(r.statusCode, r.body).toBe(status);
  return (r.body ? r.json() : undefined) as T;
}

async function subscribed(who: Account): Promise<TestSubscription> {
  const sub = push.subscribe();
  await ok(call('POST', '/users/me/push-subscriptions', who, sub), 201);
  return sub;
}

async function group(owner: Account, members: Account[], name = '产品组 🚀'): Promise<string> {
  return (await ok<{ id: string }>(call('POST', '/groups', owner, { name, memberIds: members.map((m) => m.user.id) }), 201)).id;
}

async function send(who: Account, conversationId: string, body: string): Promise<{ id: string; seq: number }> {
  return ok(call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: randomUUID() }), 201);
}

/** Waits until every push queued so far has been decided (queued and then sent or dropped). */
/**
 * Runs `change` with the dispatcher stopped, so pushes queued meanwhile wait until it ends (then
 * the dispatcher starts again); `queued` resolves once every send so far has queued its pushes.
 */
async function whileQueued<T>(change: (queued: () => Promise<void>) => Promise<T>): Promise<T> {
  const notifications = services().notifications;
  await notifications.dispatcher.stop();
  try {
    return await change(() => notifications.flush());
  } finally {
    notifications.dispatcher.start();
  }
}

async function settle(): Promise<void> {
  await services().notifications.flush();
  await notificationQueueDrained(t, 'push');
}

const pushesOf = (sub: TestSubscription, messageId?: string) => push.to(sub).filter((p) => !messageId || p.payload?.messageId === messageId);

beforeAll(async () => {
  push = await startPushEndpoint();
  t = await startTestApp(
    { PUSH_ALLOW_PRIVATE: 'on', PUBLIC_URL: 'https://chat.example.com' },
    { presenceGraceMs: 50, notifications: { pollIntervalMs: 50, retryDelaysMs: [100, 100], requestTimeoutMs: 2_000, digestIntervalMs: 3_600_000 } },
  );
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  wsUrl = `ws://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/v1/ws`;
}, 180_000);

afterAll(async () => {
  await t?.close();
  await push?.close();
});

describe('push subscriptions', { timeout: 90_000 }, () => {
  it('registers (201), lists, moves an endpoint to whoever registers it again (200), deletes (204)', async () => {
    const [a, b] = await Promise.all([register(t.app), register(t.app)]);
    const sub = push.subscribe();
    const created = await ok<{ id: string; endpoint: string; createdAt: string }>(call('POST', '/users/me/push-subscriptions', a, sub), 201);
    expect(created.endpoint).toBe(sub.endpoint);
    expect(created.createdAt).toMatch(/Z$/);
    expect((await ok<{ subscriptions: { id: string }[] }>(call('GET', '/users/me/push-subscriptions', a))).subscriptions.map((s) => s.id)).toEqual([created.id]);
    const moved = await ok<{ id: string }>(call('POST', '/users/me/push-subscriptions', b, sub), 200);
    expect(moved.id).toBe(created.id);
    expect((await ok<{ subscriptions: unknown[] }>(call('GET', '/users/me/push-subscriptions', a))).subscriptions).toEqual([]);
    expect((await call('DELETE', `/users/me/push-subscriptions/${created.id}`, a)).statusCode).toBe(404);
    expect((await call('DELETE', `/users/me/push-subscriptions/${created.id}`, b)).statusCode).toBe(204);
    expect((await call('DELETE', '/users/me/push-subscriptions/not-an-id', b)).statusCode).toBe(404);
  });

  it('refuses bad keys, and more than 20 subscriptions per user (409)', async () => {
    const a = await register(t.app);
    const good = push.subscribe();
    for (const keys of [{ ...good.keys, p256dh: 'AAAA' }, { ...good.keys, auth: 'not base64!' }]) {
      const res = await call('POST', '/users/me/push-subscriptions', a, { endpoint: good.endpoint, keys });
      expect(res.statusCode, res.body).toBe(400);
    }
    for (let i = 0; i < 20; i++) await subscribed(a);
    const res = await call('POST', '/users/me/push-subscriptions', a, push.subscribe());
    expect(res.statusCode, res.body).toBe(409);
  });

  it('signing out removes the subscriptions that session registered', async () => {
    const a = await register(t.app);
    const second = await ok<{ token: string }>(
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: a.user.username, password: 'correct horse' } }),
    );
    const other: Account = { ...a, token: second.token };
    await subscribed(other);
    const kept = await subscribed(a);
    await ok(call('POST', '/auth/logout', other), 204);
    const left = await ok<{ subscriptions: { endpoint: string }[] }>(call('GET', '/users/me/push-subscriptions', a));
    expect(left.subscriptions.map((s) => s.endpoint)).toEqual([kept.endpoint]);
  });

  it('hands out the VAPID public key: 65 bytes of P-256, the same on every call', async () => {
    const a = await register(t.app);
    const { publicKey } = await ok<{ publicKey: string }>(call('GET', '/push/vapid-public-key', a));
    expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
    expect((await ok<{ publicKey: string }>(call('GET', '/push/vapid-public-key', a))).publicKey).toBe(publicKey);
  });
});

describe('who gets a push', { timeout: 90_000 }, () => {
  it('an offline member gets the message, signed and encrypted: title, excerpt, link, seq; the sender gets nothing', async () => {
    const [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
    const [aliceSub, bobSub] = [await subscribed(alice), await subscribed(bob)];
    const gid = await group(alice, [bob]);
    const m = await send(alice, gid, TEXT.replace('{name}', bob.user.username));
    const got = await push.waitFor((p) => p.payload?.messageId === m.id);
    expect(got.problems).toEqual([]);
    const { publicKey } = await ok<{ publicKey: string }>(call('GET', '/push/vapid-public-key', bob));
    expect(got.vapidKey).toBe(publicKey);
    expect(got.payload).toEqual({
      type: 'message',
      conversationId: gid,
      messageId: m.id,
      seq: m.seq,
      title: `${alice.user.displayName} in 产品组 🚀`,
      body: TEXT.replace('{name}', bob.user.username),
      url: `https://chat.example.com/c/${gid}`,
    });
    expect(got.headers.urgency).toBe('high');
    expect(Number(got.headers.ttl)).toBeGreaterThan(0);
    expect(got.subscription).toBe(bobSub.endpoint.split('/').pop());
    await settle();
    expect(pushesOf(aliceSub)).toEqual([]);
  });

  it('a member with an open socket gets nothing, one without does', async () => {
    const [alice, online, offline] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    const [onlineSub, offlineSub] = [await subscribed(online), await subscribed(offline)];
    const gid = await group(alice, [online, offline]);
    for (const who of [online, offline]) await ok(call('PUT', `/conversations/${gid}/notifications`, who, { level: 'all' }));
    const ws = await WsClient.connect(wsUrl, online.token);
    try {
      const m = await send(alice, gid, 'is anybody there?');
      await push.waitFor((p) => p.payload?.messageId === m.id);
      await settle();
      expect(pushesOf(onlineSub)).toEqual([]);
      expect(pushesOf(offlineSub, m.id)).toHaveLength(1);
    } finally {
      ws.close();
    }
    // Gone (once the grace period is over and others see them offline): pushed again.
    await waitFor(async () => (await call('GET', `/users/${online.user.id}`, alice)).json().online === false, 'the member shown offline');
    const later = await send(alice, gid, 'now?');
    await push.waitFor((p) => p.payload?.messageId === later.id && p.subscription === onlineSub.endpoint.split('/').pop());
  });

  it('levels: a group defaults to mentions, "all" gets everything, "none" and mute get nothing, a direct chat defaults to all', async () => {
    const [alice, dflt, all, none, muted] = await Promise.all([register(t.app), register(t.app), register(t.app), register(t.app), register(t.app)]);
    const subs = { dflt: await subscribed(dflt), all: await subscribed(all), none: await subscribed(none), muted: await subscribed(muted) };
    const gid = await group(alice, [dflt, all, none, muted]);
    expect(await ok(call('PUT', `/conversations/${gid}/notifications`, all, { level: 'all' }))).toEqual({ level: 'all', muted: false });
    expect(await ok(call('PUT', `/conversations/${gid}/notifications`, none, { level: 'none' }))).toEqual({ level: 'none', muted: false });
    expect(await ok(call('PUT', `/conversations/${gid}/notifications`, muted, { muted: true, level: 'all' }))).toEqual({ level: 'all', muted: true });

    const plain = await send(alice, gid, 'lunch at noon');
    const mention = await send(alice, gid, `@${dflt.user.username} @${none.user.username} @${muted.user.username} @${all.user.username} see this`);
    await push.waitFor((p) => p.payload?.messageId === mention.id && p.subscription === subs.dflt.endpoint.split('/').pop());
    await settle();
    expect(pushesOf(subs.dflt).map((p) => p.payload?.messageId)).toEqual([mention.id]);
    expect(pushesOf(subs.all).map((p) => p.payload?.messageId).sort()).toEqual([plain.id, mention.id].sort());
    // Not mentioned, level all: normal urgency; mentioned: high.
    expect(pushesOf(subs.all, plain.id)[0]!.headers.urgency).toBe('normal');
    expect(pushesOf(subs.all, mention.id)[0]!.headers.urgency).toBe('high');
    expect(pushesOf(subs.none)).toEqual([]);
    expect(pushesOf(subs.muted)).toEqual([]);

    const direct = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: dflt.user.id }), 201)).id;
    const dm = await send(alice, direct, 'a direct word 👋');
    const got = await push.waitFor((p) => p.payload?.messageId === dm.id);
    expect(got.payload).toMatchObject({ title: alice.user.displayName, body: 'a direct word 👋', conversationId: direct });
    expect(got.headers.urgency).toBe('high');
  });

  it('a thread-only reply reaches its followers (whatever their level but none), not members at "all" who do not follow it', async () => {
    const [alice, bob, all, quiet] = await Promise.all([register(t.app), register(t.app), register(t.app), register(t.app)]);
    const subs = { alice: await subscribed(alice), bob: await subscribed(bob), all: await subscribed(all), quiet: await subscribed(quiet) };
    const gid = await group(alice, [bob, all, quiet]);
    await ok(call('PUT', `/conversations/${gid}/notifications`, all, { level: 'all' }));
    await ok(call('PUT', `/conversations/${gid}/notifications`, quiet, { level: 'none' }));
    const root = await send(alice, gid, 'the plan');
    await ok(call('PUT', `/threads/${root.id}/follow`, quiet));
    // alice follows as the root's author from the first reply on; quiet follows but hears nothing at level none.
    const reply = await ok<{ id: string }>(call('POST', `/conversations/${gid}/messages`, bob, { body: 'in the thread', threadId: root.id }), 201);
    const got = await push.waitFor((p) => p.payload?.messageId === reply.id && p.subscription === subs.alice.endpoint.split('/').pop());
    expect(got.payload).toMatchObject({ threadId: root.id, conversationId: gid });
    // Also sent to the conversation: the levels apply as to any message (all hears it).
    const shared = await ok<{ id: string }>(call('POST', `/conversations/${gid}/messages`, bob, { body: 'for everyone', threadId: root.id, alsoInConversation: true }), 201);
    await push.waitFor((p) => p.payload?.messageId === shared.id && p.subscription === subs.all.endpoint.split('/').pop());
    await settle();
    expect(pushesOf(subs.all).map((p) => p.payload?.messageId)).toEqual([root.id, shared.id]);
    expect(pushesOf(subs.quiet)).toEqual([]);
    expect(pushesOf(subs.bob)).toEqual([]);
  });

  it('do not disturb holds pushes while it lasts', async () => {
    const [alice, quiet] = await Promise.all([register(t.app), register(t.app)]);
    const sub = await subscribed(quiet);
    const direct = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: quiet.user.id }), 201)).id;
    await ok(call('PUT', '/users/me/dnd', quiet, { until: new Date(Date.now() + 3_600_000).toISOString() }));
    const held = await send(alice, direct, 'while you rest');
    await settle();
    expect(pushesOf(sub, held.id)).toEqual([]);
    await ok(call('DELETE', '/users/me/dnd', quiet));
    const later = await send(alice, direct, 'now it rings');
    await push.waitFor((p) => p.payload?.messageId === later.id && p.subscription === sub.endpoint.split('/').pop());
  });

  it('the push preference off means no push at all', async () => {
    const [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
    const sub = await subscribed(bob);
    expect(await ok(call('PATCH', '/users/me/notification-prefs', bob, { push: false }))).toMatchObject({ push: false });
    const direct = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: bob.user.id }), 201)).id;
    await send(alice, direct, 'hello?');
    await settle();
    expect(pushesOf(sub)).toEqual([]);
  });

  it('an attachments-only message says so', async () => {
    const [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
    await subscribed(bob);
    const direct = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: bob.user.id }), 201)).id;
    const boundary = 'x' + randomUUID();
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/uploads',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`),
    });
    expect(up.statusCode, up.body).toBe(201);
    const m = await ok<{ id: string }>(call('POST', `/conversations/${direct}/messages`, alice, { body: '', attachmentIds: [(up.json() as { id: string }).id] }), 201);
    const got = await push.waitFor((p) => p.payload?.messageId === m.id);
    expect(got.payload?.body).toBe('sent an attachment');
  });
});

describe('the push service answers', { timeout: 90_000 }, () => {
  it('410 removes the subscription; 500 is retried until it is accepted', async () => {
    const [alice, gone, flaky] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    const goneSub = await subscribed(gone);
    const flakySub = await subscribed(flaky);
    const goneId = goneSub.endpoint.split('/').pop();
    const flakyId = flakySub.endpoint.split('/').pop();
    let flakyCount = 0;
    push.answer((_n, sub) => (sub === goneId ? 410 : sub === flakyId && flakyCount++ === 0 ? 500 : 201));
    try {
      const d1 = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: gone.user.id }), 201)).id;
      const d2 = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: flaky.user.id }), 201)).id;
      await send(alice, d1, 'first');
      const m2 = await send(alice, d2, 'will you take it?');
      await push.waitFor((p) => p.payload?.messageId === m2.id && p.status === 201);
      await settle();
      expect(pushesOf(flakySub, m2.id).map((p) => p.status)).toEqual([500, 201]);
      expect(pushesOf(goneSub).map((p) => p.status)).toEqual([410]);
      expect((await ok<{ subscriptions: unknown[] }>(call('GET', '/users/me/push-subscriptions', gone))).subscriptions).toEqual([]);
      // Nothing more goes to it.
      await send(alice, d1, 'second');
      await settle();
      expect(pushesOf(goneSub)).toHaveLength(1);
    } finally {
      push.answer(() => 201);
    }
  });

  it('a message deleted before its push goes is not pushed', async () => {
    const [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
    const sub = await subscribed(bob);
    const direct = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: bob.user.id }), 201)).id;
    await whileQueued(async (queued) => {
      const m = await send(alice, direct, 'oops, wrong chat');
      await queued();
      await ok(call('DELETE', `/messages/${m.id}`, alice), 204);
    });
    const after = await send(alice, direct, 'this one is fine');
    await push.waitFor((p) => p.payload?.messageId === after.id);
    await settle();
    expect(pushesOf(sub).map((p) => p.payload?.messageId)).toEqual([after.id]);
  });
});

describe('a message edited before its push goes', { timeout: 90_000 }, () => {
  it('is pushed with its text as edited', async () => {
    const [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
    const sub = await subscribed(bob);
    const direct = (await ok<{ id: string }>(call('POST', '/conversations/direct', alice, { userId: bob.user.id }), 201)).id;
    const m = await whileQueued(async (queued) => {
      const sent = await send(alice, direct, 'meet at 3 in room 关');
      await queued();
      await ok(call('PATCH', `/messages/${sent.id}`, alice, { body: 'meet at 4 in room 开 (moved)' }), 200);
      return sent;
    });
    const got = await push.waitFor((p) => p.payload?.messageId === m.id);
    expect(got.payload?.body).toBe('meet at 4 in room 开 (moved)');
    await settle();
    expect(pushesOf(sub, m.id)).toHaveLength(1);
  });
});

describe('a big group', { timeout: 90_000 }, () => {
  it('500 members: one query finds the offline recipients and their subscriptions, one queues them', async () => {
    const owner = await register(t.app);
    const gid = await group(owner, [], 'everyone');
    const keys = push.subscribe().keys;
    const ids = Array.from({ length: 500 }, () => newId());
    const values = (fn: (id: string, i: number) => ReturnType<typeof sql>) => sql.join(ids.map(fn), sql`, `);
    await t.database.db.execute(
      sql`INSERT INTO users (id, username, display_name, password_hash) VALUES ${values((id, i) => sql`(${id}::uuid, ${`big${i}_${id.slice(0, 8)}`}, ${`Big ${i}`}, NULL)`)}`,
    );
    await t.database.db.execute(
      sql`INSERT INTO members (conversation_id, user_id, role, notify_level) VALUES ${values((id) => sql`(${gid}::uuid, ${id}::uuid, 'member', 'all')`)}`,
    );
    await t.database.db.execute(
      sql`INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth) VALUES ${values((id) => sql`(${newId()}::uuid, ${id}::uuid, ${`${push.origin}/push/big-${id}`}, ${keys.p256dh}, ${keys.auth})`)}`,
    );
    const dispatcher = services().notifications.dispatcher;
    await dispatcher.stop();
    try {
      const m = await send(owner, gid, 'all hands at 3');
      await services().notifications.flush();
      // Someone subscribes here and now: this node knows subscriptions exist (no lookup of that below).
      await subscribed(owner);
      // Only the fan-out's own queries count: the app's background workers (digest, sweeps,
      // dispatchers) share the database and may run one meanwhile.
      const fanOut = new AsyncLocalStorage<true>();
      let queries = 0;
      const detach = t.database.observe({ queryStarted: () => void (fanOut.getStore() && queries++), queryFinished: () => undefined });
      try {
        fanOut.run(true, () => services().notifications.onMessageCreated(gid, {
          type: 'message.created',
          conversationId: gid,
          seq: m.seq,
          createdAt: new Date().toISOString(),
          message: { ...(m as never as Record<string, unknown>), mentions: [], attachments: [], body: 'all hands at 3' } as never,
        }));
        await services().notifications.flush();
      } finally {
        detach();
      }
      expect(queries).toBe(2);
      const [row] = await queryRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM notification_deliveries WHERE payload->>'messageId' = ${m.id}`);
      expect(Number(row?.n)).toBe(1000);
    } finally {
      await t.database.db.execute(sql`DELETE FROM notification_deliveries`);
      await t.database.db.execute(sql`DELETE FROM push_subscriptions WHERE endpoint LIKE ${`${push.origin}/push/big-%`}`);
      dispatcher.start();
    }
  }, 180_000);
});

describe('levels in the API', { timeout: 90_000 }, () => {
  it('shows notifyLevel and muted to members in GET /conversations, /conversations/{id} and /groups/{id}; refuses outsiders and bad values', async () => {
    const [alice, bob, outsider] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    const gid = await group(alice, [bob]);
    const fresh = await ok<{ notifyLevel: string; muted: boolean }>(call('GET', `/conversations/${gid}`, bob));
    expect({ notifyLevel: fresh.notifyLevel, muted: fresh.muted }).toEqual({ notifyLevel: 'default', muted: false });
    await ok(call('PUT', `/conversations/${gid}/notifications`, bob, { level: 'mentions', muted: true }));
    for (const url of [`/conversations/${gid}`, `/groups/${gid}`]) {
      expect(await ok(call('GET', url, bob))).toMatchObject({ notifyLevel: 'mentions', muted: true });
    }
    const inbox = await ok<{ conversations: { id: string; notifyLevel: string; muted: boolean }[] }>(call('GET', '/conversations', bob));
    expect(inbox.conversations.find((c) => c.id === gid)).toMatchObject({ notifyLevel: 'mentions', muted: true });
    // Alice's own setting is untouched.
    expect(await ok(call('GET', `/conversations/${gid}`, alice))).toMatchObject({ notifyLevel: 'default', muted: false });
    // Only the level changes when only the level is given.
    expect(await ok(call('PUT', `/conversations/${gid}/notifications`, bob, { level: 'all' }))).toEqual({ level: 'all', muted: true });
    expect((await call('PUT', `/conversations/${gid}/notifications`, outsider, { level: 'all' })).statusCode).toBe(404);
    expect((await call('PUT', `/conversations/${randomUUID()}/notifications`, bob, { level: 'all' })).statusCode).toBe(404);
    for (const body of [{ level: 'loud' }, { muted: 'yes' }, { level: 'all', extra: 1 }]) {
      expect((await call('PUT', `/conversations/${gid}/notifications`, bob, body)).statusCode).toBe(400);
    }
  });

  it("a change reaches every open connection of that person at once (notifications.updated), and no one else's", async () => {
    const [alice, bob] = await Promise.all([register(t.app), register(t.app)]);
    const gid = await group(alice, [bob]);
    const [phone, laptop, other] = await Promise.all([WsClient.connect(wsUrl, bob.token), WsClient.connect(wsUrl, bob.token), WsClient.connect(wsUrl, alice.token)]);
    try {
      await ok(call('PUT', `/conversations/${gid}/notifications`, bob, { level: 'none', muted: true }));
      const expected = { type: 'notifications.updated', conversationId: gid, level: 'none', muted: true };
      for (const ws of [phone, laptop]) expect(await ws.next((f) => f.type === 'notifications.updated')).toEqual(expected);
      await ok(call('PUT', `/conversations/${gid}/notifications`, bob, { muted: false }));
      expect(await laptop.next((f) => f.type === 'notifications.updated' && f.muted === false)).toEqual({ ...expected, muted: false });
      await settle();
      expect(other.frames.filter((f) => f.type === 'notifications.updated')).toEqual([]);
    } finally {
      for (const ws of [phone, laptop, other]) ws.close();
    }
  });

  it('preferences: defaults, partial updates, the delay within 5..1440', async () => {
    const a = await register(t.app);
    expect(await ok(call('GET', '/users/me/notification-prefs', a))).toEqual({ push: true, emailDigest: true, emailDigestDelayMinutes: 30, dndSchedule: null });
    expect(await ok(call('PATCH', '/users/me/notification-prefs', a, { emailDigestDelayMinutes: 5 }))).toEqual({ push: true, emailDigest: true, emailDigestDelayMinutes: 5, dndSchedule: null });
    expect(await ok(call('PATCH', '/users/me/notification-prefs', a, { emailDigest: false }))).toEqual({ push: true, emailDigest: false, emailDigestDelayMinutes: 5, dndSchedule: null });
    for (const body of [{ emailDigestDelayMinutes: 4 }, { emailDigestDelayMinutes: 1441 }, { emailDigestDelayMinutes: 7.5 }, { push: 'no' }, { other: true }]) {
      expect((await call('PATCH', '/users/me/notification-prefs', a, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('private endpoints (PUSH_ALLOW_PRIVATE off, the default)', { timeout: 90_000 }, () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp();
  }, 180_000);
  afterAll(async () => strict?.close());

  it.each(['http://127.0.0.1:9/push/x', 'https://127.0.0.1/push/x', 'https://10.0.0.1/push', 'https://[::1]/push', 'https://192.168.1.1/', 'http://push.example.com/x', 'ftp://push.example.com/x'])(
    'refuses %s with 400',
    async (endpoint) => {
      const a = await register(strict.app);
      const res = await strict.app.inject({
        method: 'POST',
        url: '/api/v1/users/me/push-subscriptions',
        headers: { authorization: `Bearer ${a.token}` },
        payload: { endpoint, keys: push.subscribe().keys },
      });
      expect(res.statusCode, res.body).toBe(400);
      expect((res.json() as { error: { code: string } }).error.code).toBe('validation_failed');
    },
  );
});
