/**
 * The e-mail digest of unread mentions (issue 10), against a real SMTP server on loopback: one
 * e-mail per user once their oldest unread mention is older than their delay, listing every
 * unread mention (Chinese and emoji intact, HTML escaped); nothing for mentions read in time,
 * nothing twice, nothing from muted conversations, nothing while online; SMTP refusing and then
 * accepting delivers exactly once; without SMTP the job does nothing.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { queryRows } from '../../src/db/sql.js';
import { apiCaller, notificationQueueDrained, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { WsClient } from '../helpers/ws.js';
import { waitFor } from '../helpers/kit.js';

let t: TestApp;
let sink: SmtpSink;
let wsUrl: string;
const call = apiCaller(() => t.app);
const notifications = () => (t.app as ParleyApp).services.notifications;

async function ok<T>(res: Promise<{ statusCode: number; body: string; json(): unknown }>, status = 200): Promise<T> {
  const r = await res;
  expect(r.statusCode, r.body).toBe(status);
  return (r.body ? r.json() : undefined) as T;
}

/** A user with an e-mail address (set in the database: how it is set is the sign-up part's business). */
async function withEmail(): Promise<Account & { email: string }> {
  const a = await register(t.app);
  const email = `${a.user.username.toLowerCase()}@example.com`;
  await t.database.db.execute(sql`UPDATE users SET email = ${email} WHERE id = ${a.user.id}::uuid`);
  return { ...a, email };
}

async function group(owner: Account, members: Account[], name: string): Promise<string> {
  return (await ok<{ id: string }>(call('POST', '/groups', owner, { name, memberIds: members.map((m) => m.user.id) }), 201)).id;
}

async function send(who: Account, conversationId: string, body: string): Promise<{ id: string; seq: number }> {
  return ok(call('POST', `/conversations/${conversationId}/messages`, who, { body, clientMsgId: randomUUID() }), 201);
}

/** Makes messages look `minutes` older, as if the delay had passed. */
async function age(messageIds: string[], minutes: number): Promise<void> {
  for (const id of messageIds) {
    await t.database.db.execute(sql`UPDATE messages SET created_at = created_at - ${minutes} * interval '1 minute' WHERE id = ${id}::uuid`);
  }
}

/** Runs the digest and waits until what it queued has been sent (or retried away). */
async function digestNow(): Promise<void> {
  await notifications().runDigestOnce();
  await notificationQueueDrained(t, 'email');
}

const mailsTo = (who: { email: string }): ReceivedMail[] => sink.mails.filter((m) => m.to.includes(who.email));

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp(
    { SMTP_URL: sink.url, MAIL_FROM: 'Parley <chat@example.com>', PUBLIC_URL: 'https://chat.example.com' },
    // The digest runs by itself every 200 ms here; the tests also run it directly.
    { presenceGraceMs: 50, notifications: { pollIntervalMs: 50, retryDelaysMs: Array.from({ length: 20 }, () => 250), digestIntervalMs: 200 } },
  );
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  wsUrl = `ws://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/v1/ws`;
}, 180_000);

afterAll(async () => {
  await t?.close();
  await sink?.close();
});

describe('the e-mail digest', { timeout: 90_000 }, () => {
  it('sends one e-mail after the delay listing the unread mentions, with Chinese, emoji and escaped HTML intact', async () => {
    const [alice, bob] = await Promise.all([register(t.app), withEmail()]);
    await ok(call('PATCH', '/users/me/notification-prefs', bob, { emailDigestDelayMinutes: 10 }));
    const g1 = await group(alice, [bob], '设计评审 🎨');
    const g2 = await group(alice, [bob], 'ops <on-call>');
    const m1 = await send(alice, g1, `@${bob.user.username} 请看一下新版首页 🙏`);
    await send(alice, g1, 'no mention here');
    const m2 = await send(alice, g2, `@${bob.user.username} the <script>alert(1)</script> page is down & out`);
    // Not yet: the mentions are younger than the delay.
    await digestNow();
    expect(mailsTo(bob)).toEqual([]);
    await age([m1.id, m2.id], 11);
    const mail = await sink.waitFor((m) => m.to.includes(bob.email), 20_000);
    await digestNow();
    expect(mailsTo(bob)).toHaveLength(1);
    expect(mail.subject).toBe('You were mentioned 2 times on Parley');
    expect(mail.text).toContain('设计评审 🎨');
    expect(mail.text).toContain('请看一下新版首页 🙏');
    expect(mail.text).toContain(`${alice.user.displayName} in 设计评审 🎨`);
    expect(mail.text).toContain(`https://chat.example.com/c/${g1}`);
    expect(mail.text).toContain(`https://chat.example.com/c/${g2}`);
    expect(mail.text).not.toContain('no mention here');
    expect(mail.html).toContain('ops &lt;on-call&gt;');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; page is down &amp; out');
    expect(mail.html).not.toContain('<script>');
  });

  it('writes the digest in the language the recipient chose (Simplified Chinese)', async () => {
    const [alice, bob] = await Promise.all([register(t.app), withEmail()]);
    await ok(call('PATCH', '/users/me', bob, { locale: 'zh-CN' }));
    const gid = await group(alice, [bob], 'launch');
    const m = await send(alice, gid, `@${bob.user.username} ready?`);
    await age([m.id], 31);
    const mail = await sink.waitFor((x) => x.to.includes(bob.email), 20_000);
    expect(mail.subject).toBe(`${alice.user.displayName} 在 Parley 上提及了你`);
    expect(mail.text).toContain(`${bob.user.displayName}，你好：`);
    expect(mail.text).toContain(`${alice.user.displayName} 在 launch（`);
    expect(mail.html).toContain('打开会话');
    expect(mail.text).not.toContain('You were mentioned');
  });

  it('sends nothing for mentions read before the delay', async () => {
    const [alice, bob] = await Promise.all([register(t.app), withEmail()]);
    const gid = await group(alice, [bob], 'read in time');
    const m = await send(alice, gid, `@${bob.user.username} quick question`);
    await ok(call('POST', `/conversations/${gid}/read`, bob, { seq: m.seq }), 204);
    await age([m.id], 60);
    await digestNow();
    expect(mailsTo(bob)).toEqual([]);
  });

  it('never e-mails a mention twice; a later mention comes in the next digest alone', async () => {
    const [alice, bob] = await Promise.all([register(t.app), withEmail()]);
    const gid = await group(alice, [bob], 'twice?');
    const first = await send(alice, gid, `@${bob.user.username} first`);
    await age([first.id], 31);
    await digestNow();
    await digestNow();
    expect(mailsTo(bob)).toHaveLength(1);
    const second = await send(alice, gid, `@${bob.user.username} second`);
    await digestNow();
    expect(mailsTo(bob)).toHaveLength(1);
    await age([second.id], 31);
    await digestNow();
    const mails = mailsTo(bob);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toBe(`${alice.user.displayName} mentioned you on Parley`);
    expect(mails[1]!.text).toContain('second');
    expect(mails[1]!.text).not.toContain('first');
  });

  it('sends nothing from a muted conversation, one set to "none", with the digest off, or to someone online', async () => {
    const [alice, muted, none, off, online] = await Promise.all([register(t.app), withEmail(), withEmail(), withEmail(), withEmail()]);
    const gid = await group(alice, [muted, none, off, online], 'quiet please');
    await ok(call('PUT', `/conversations/${gid}/notifications`, muted, { muted: true }));
    await ok(call('PUT', `/conversations/${gid}/notifications`, none, { level: 'none' }));
    await ok(call('PATCH', '/users/me/notification-prefs', off, { emailDigest: false }));
    const ws = await WsClient.connect(wsUrl, online.token);
    try {
      const m = await send(alice, gid, [muted, none, off, online].map((u) => `@${u.user.username}`).join(' ') + ' hello');
      await age([m.id], 60);
      await digestNow();
      for (const who of [muted, none, off, online]) expect(mailsTo(who), who.user.username).toEqual([]);
    } finally {
      ws.close();
    }
    // Offline again (after the grace period), the one who was online gets it.
    await sink.waitFor((m) => m.to.includes(online.email), 20_000);
    await digestNow();
    expect(mailsTo(online)).toHaveLength(1);
    expect(mailsTo(muted)).toEqual([]);
  });

  it('a deleted message is not listed', async () => {
    const [alice, bob] = await Promise.all([register(t.app), withEmail()]);
    const gid = await group(alice, [bob], 'deleted');
    const gone = await send(alice, gid, `@${bob.user.username} never mind`);
    await ok(call('DELETE', `/messages/${gone.id}`, alice), 204);
    await age([gone.id], 60);
    await digestNow();
    expect(mailsTo(bob)).toEqual([]);
  });

  it('SMTP refusing, then accepting: the e-mail is delivered exactly once', async () => {
    const [alice, bob] = await Promise.all([register(t.app), withEmail()]);
    const gid = await group(alice, [bob], 'flaky smtp');
    const m = await send(alice, gid, `@${bob.user.username} are you there? 👀`);
    sink.setRefusing(true);
    try {
      await age([m.id], 60);
      await notifications().runDigestOnce();
      // Two refused attempts.
      await waitFor(
        async () => {
          const [row] = await queryRows<{ attempts: number }>(
            t.database.db,
            sql`SELECT max(attempts)::int AS attempts FROM notification_deliveries WHERE user_id = ${bob.user.id}::uuid AND channel = 'email'`,
          );
          return Number(row?.attempts ?? 0) >= 2;
        },
        'two refused attempts',
        20_000,
        50,
      );
      expect(mailsTo(bob)).toEqual([]);
    } finally {
      sink.setRefusing(false);
    }
    await sink.waitFor((mail) => mail.to.includes(bob.email), 20_000);
    // The queue is empty once digestNow returns: nothing is left to send it twice.
    await digestNow();
    expect(mailsTo(bob)).toHaveLength(1);
    expect(mailsTo(bob)[0]!.text).toContain('are you there? 👀');
  });
});

describe('without SMTP', { timeout: 90_000 }, () => {
  let bare: TestApp;
  beforeAll(async () => {
    bare = await startTestApp({}, { notifications: { digestIntervalMs: 3_600_000 } });
  }, 180_000);
  afterAll(async () => bare?.close());

  it('the digest job does nothing', async () => {
    const [alice, bob] = await Promise.all([register(bare.app), register(bare.app)]);
    await bare.database.db.execute(sql`UPDATE users SET email = 'nosmtp@example.com' WHERE id = ${bob.user.id}::uuid`);
    const gid = (
      await bare.app.inject({ method: 'POST', url: '/api/v1/groups', headers: { authorization: `Bearer ${alice.token}` }, payload: { name: 'g', memberIds: [bob.user.id] } })
    ).json() as { id: string };
    const res = await bare.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${gid.id}/messages`,
      headers: { authorization: `Bearer ${alice.token}` },
      payload: { body: `@${bob.user.username} hi` },
    });
    expect(res.statusCode).toBe(201);
    await bare.database.db.execute(sql`UPDATE messages SET created_at = created_at - interval '2 hours'`);
    expect(await (bare.app as ParleyApp).services.notifications.runDigestOnce()).toBe(0);
    const [row] = await queryRows<{ n: number }>(bare.database.db, sql`SELECT count(*)::int AS n FROM notification_deliveries`);
    expect(Number(row?.n)).toBe(0);
  });
});
