/**
 * Incoming webhooks (issue 22): a group admin's secret URL that takes Slack's payload (JSON or a
 * form with `payload`), as CI, monitoring and Slack-targeted scripts send it, and posts into the
 * group as the hook's own integration user; Slack's answers for everything refused.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  // Rate limits on, with a small budget per hook (the other limits stay out of the way).
  t = await startTestApp({ RATE_LIMIT: 'on', RATE_LIMIT_INCOMING_WEBHOOK_POSTS: '12/min', RATE_LIMIT_REGISTER_PER_IP: 'off', RATE_LIMIT_GROUP_CREATIONS_PER_USER: 'off' });
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

async function setup(): Promise<{ admin: Account; member: Account; gid: string; url: string; hook: { id: string; userId: string; name: string; url: string } }> {
  const admin = await register(t.app);
  const member = await register(t.app);
  const gid = (await call('POST', '/groups', admin, { name: 'ops 运维', memberIds: [member.user.id] })).json().id as string;
  const res = await call('POST', `/groups/${gid}/incoming-webhooks`, admin, { name: 'CI 构建' });
  expect(res.statusCode, res.body).toBe(201);
  const hook = res.json();
  return { admin, member, gid, url: new URL(hook.url, 'http://x').pathname, hook };
}

const post = (url: string, payload: string, contentType = 'application/json') =>
  t.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });

async function lastMessage(who: Account, gid: string) {
  return (await call('GET', `/conversations/${gid}/messages?limit=1`, who)).json().messages[0] as { senderId: string; body: string };
}

describe('incoming webhooks', () => {
  it('posts Slack payloads (text, a form, attachments, blocks) into the group as the hook\'s own user', async () => {
    const { admin, member, gid, url, hook } = await setup();
    // No PUBLIC_URL here: a path the client resolves against the address it reached the server at.
    expect(hook.url).toMatch(/^\/hooks\/[A-Za-z0-9_-]{43}$/);
    // The integration user joined the group, added by the admin, and shows as a bot named after the hook.
    const members = (await call('GET', `/groups/${gid}/members`, admin)).json().members as { user: { id: string; displayName: string; bot: boolean } }[];
    expect(members.find((m) => m.user.id === hook.userId)?.user).toMatchObject({ displayName: 'CI 构建', bot: true });

    const ok = await post(url, JSON.stringify({ text: 'Build <https://ci.example.com/42|#42> passed ✅ 构建成功' }));
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.body).toBe('ok');
    expect(await lastMessage(member, gid)).toMatchObject({ senderId: hook.userId, body: 'Build [#42](https://ci.example.com/42) passed ✅ 构建成功' });

    // Slack's legacy form encoding (curl -d "payload=...").
    const form = await post(url, `payload=${encodeURIComponent(JSON.stringify({ text: 'from a form 表单' }))}`, 'application/x-www-form-urlencoded');
    expect(form.body).toBe('ok');
    expect((await lastMessage(member, gid)).body).toBe('from a form 表单');

    // Alertmanager's Slack receiver: attachments with title, link, text and fields.
    const alert = {
      channel: '#ignored',
      username: 'Alertmanager',
      attachments: [
        {
          color: 'danger',
          fallback: '[FIRING:1] HighLatency api',
          title: '[FIRING:1] HighLatency',
          title_link: 'https://alerts.example.com/#/alerts?receiver=slack',
          text: 'p99 latency above 500ms on api-1',
          fields: [{ title: 'severity', value: 'critical', short: true }],
          footer: 'Alertmanager',
        },
      ],
    };
    expect((await post(url, JSON.stringify(alert))).body).toBe('ok');
    expect((await lastMessage(member, gid)).body).toBe(
      '**[\\[FIRING:1\\] HighLatency](https://alerts.example.com/#/alerts?receiver=slack)**\np99 latency above 500ms on api-1\n**severity**: critical\n_Alertmanager_',
    );
    // Per-message names are not taken: the message says which hook sent it, whatever the payload claims.
    expect((await lastMessage(member, gid)).senderId).toBe(hook.userId);

    const blocks = { text: 'fallback only', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* finished <https://ci.example.com/log|log>' } }] };
    expect((await post(url, JSON.stringify(blocks))).body).toBe('ok');
    expect((await lastMessage(member, gid)).body).toBe('*Deploy* finished [log](https://ci.example.com/log)');
  });

  it("answers Slack's errors: invalid_payload, no_text, msg_too_long, payload_too_large, no_service, action_prohibited, rate_limited", async () => {
    const { admin, gid, url, hook } = await setup();
    const expectSlack = async (res: Awaited<ReturnType<typeof post>>, status: number, body: string) => {
      expect(res.statusCode).toBe(status);
      expect(res.body).toBe(body);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    };
    await expectSlack(await post(url, '{not json'), 400, 'invalid_payload');
    await expectSlack(await post(url, 'nothing=here', 'application/x-www-form-urlencoded'), 400, 'invalid_payload');
    await expectSlack(await post(url, JSON.stringify({ text: 7 })), 400, 'invalid_payload');
    await expectSlack(await post(url, JSON.stringify({ text: '  ' })), 400, 'no_text');
    await expectSlack(await post(url, JSON.stringify({ text: 'x'.repeat(8001) })), 400, 'msg_too_long');
    await expectSlack(await post(url, JSON.stringify({ text: 'x'.repeat(300_000) })), 413, 'payload_too_large');
    await expectSlack(await post('/hooks/not-a-key', JSON.stringify({ text: 'hi' })), 404, 'no_service');
    // Its integration user deactivated (a site admin's deactivation, an erasure): the URL stops too.
    await t.database.db.execute(sql`UPDATE users SET deactivated_at = now() WHERE id = ${hook.userId}::uuid`);
    await expectSlack(await post(url, JSON.stringify({ text: 'hi' })), 404, 'no_service');
    await t.database.db.execute(sql`UPDATE users SET deactivated_at = NULL WHERE id = ${hook.userId}::uuid`);
    // An announcement group: only admins post, and the hook's user is a plain member.
    await call('PATCH', `/groups/${gid}`, admin, { postingPolicy: 'admins' });
    await expectSlack(await post(url, JSON.stringify({ text: 'hi' })), 403, 'action_prohibited');
    await call('PATCH', `/groups/${gid}`, admin, { postingPolicy: 'everyone' });
    // <!here> is @here, which the group's mentionAllPolicy (admins, by default) refuses to a plain member.
    await expectSlack(await post(url, JSON.stringify({ text: 'deploying <!here>' })), 403, 'action_prohibited');
    // RATE_LIMIT_INCOMING_WEBHOOK_POSTS: 12 a minute for this hook (the posts above count too).
    let last = await post(url, JSON.stringify({ text: 'tick' }));
    for (let i = 0; i < 20 && last.statusCode === 200; i++) last = await post(url, JSON.stringify({ text: 'tick' }));
    await expectSlack(last, 429, 'rate_limited');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('only group admins make, list and revoke hooks; revoking stops the URL and takes its user out of the group', async () => {
    const { admin, member, gid, url, hook } = await setup();
    const outsider = await register(t.app);
    expect((await call('POST', `/groups/${gid}/incoming-webhooks`, member, { name: 'mine' })).statusCode).toBe(403);
    expect((await call('GET', `/groups/${gid}/incoming-webhooks`, member)).statusCode).toBe(403);
    expect((await call('GET', `/groups/${gid}/incoming-webhooks`, outsider)).statusCode).toBe(404);
    expect((await call('POST', `/groups/${gid}/incoming-webhooks`, admin, { name: '  ' })).statusCode).toBe(400);
    const list = (await call('GET', `/groups/${gid}/incoming-webhooks`, admin)).json().webhooks;
    expect(list).toEqual([expect.objectContaining({ id: hook.id, name: 'CI 构建', userId: hook.userId, createdBy: admin.user.id })]);
    expect(list[0]).not.toHaveProperty('url');
    expect((await call('DELETE', `/groups/${gid}/incoming-webhooks/${hook.id}`, member)).statusCode).toBe(403);

    expect((await call('DELETE', `/groups/${gid}/incoming-webhooks/${hook.id}`, admin)).statusCode).toBe(204);
    expect((await post(url, JSON.stringify({ text: 'after revoke' }))).statusCode).toBe(404);
    expect((await call('DELETE', `/groups/${gid}/incoming-webhooks/${hook.id}`, admin)).statusCode).toBe(404);
    const members = (await call('GET', `/groups/${gid}/members`, admin)).json().members as { user: { id: string } }[];
    expect(members.map((m) => m.user.id)).not.toContain(hook.userId);
    const left = (await call('GET', `/conversations/${gid}/events?types=member.left`, admin)).json().events;
    expect(left.at(-1)).toMatchObject({ member: { user: { id: hook.userId } }, reason: 'removed', by: admin.user.id });
    expect((await call('GET', `/groups/${gid}/incoming-webhooks`, admin)).json().webhooks).toEqual([]);
  });

  it('a group holds at most MAX_INCOMING_WEBHOOKS_PER_GROUP hooks', async () => {
    const small = await startTestApp({ MAX_INCOMING_WEBHOOKS_PER_GROUP: '2' });
    try {
      const c = apiCaller(() => small.app);
      const admin = await register(small.app);
      const gid = (await c('POST', '/groups', admin, { name: 'capped' })).json().id as string;
      for (let i = 0; i < 2; i++) expect((await c('POST', `/groups/${gid}/incoming-webhooks`, admin, { name: `h${i}` })).statusCode).toBe(201);
      const over = await c('POST', `/groups/${gid}/incoming-webhooks`, admin, { name: 'h2' });
      expect(over.statusCode).toBe(409);
      expect(over.json().error.details).toEqual({ max: 2 });
    } finally {
      await small.close();
    }
  });
});

describe('incoming webhooks under fuzzing', () => {
  it('any body, content type or key: never a 5xx, always a plain-text answer in Slack\'s words', async () => {
    const { url } = await setup();
    const fc = await import('fast-check');
    const json = fc.json({ maxDepth: 3 });
    const body = fc.oneof(
      json,
      fc.string({ maxLength: 300 }),
      json.map((j) => `payload=${encodeURIComponent(j)}`),
      fc.record({ text: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), attachments: fc.anything({ maxDepth: 3 }), blocks: fc.anything({ maxDepth: 3 }) }).map((o) => JSON.stringify(o)),
    );
    const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-8', 'multipart/form-data');
    const key = fc.oneof(fc.constant(url), fc.string({ maxLength: 200 }).map((k) => `/hooks/${encodeURIComponent(k)}`));
    await fc.assert(
      fc.asyncProperty(body, contentType, key, async (b, ct, path) => {
        const res = await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': ct }, payload: b });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode !== 404 || path.startsWith('/hooks/')) expect(res.headers['content-type']).toMatch(/^text\/plain/);
        expect(res.body).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 150 },
    );
  });
});
