/**
 * Custom slash commands (issue 22), Slack's outgoing kind: a group admin registers /trigger with a
 * URL; running it POSTs Slack's signed form to a real receiver on a loopback port, and its answer
 * goes to the caller alone or into the group as the command's integration user. The run's
 * response_url takes 5 answers within 30 minutes. Failures answer the caller, never a 5xx; the
 * SSRF guard refuses loopback unless WEBHOOK_ALLOW_PRIVATE=on.
 */
import { createHmac } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, slashCommands } from '../../src/db/schema.js';
import { hashToken } from '../../src/services/identity/identity.js';
import { TARGET_NOT_ALLOWED } from '../../src/services/integrations/webhook-guard.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { startIntegration, type Answer, type Integration } from '../helpers/command-integration.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
let integration: Integration;
const call = apiCaller(() => t.app);

beforeAll(async () => {
  integration = await startIntegration();
  // Commands answer within 2 s: long enough for a loaded 2-core CI machine (0.5 s once timed out an answer there), short for the test of a command that hangs.
  t = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'on', MAX_SLASH_COMMANDS_PER_GROUP: '3' }, { commandTimeoutMs: 2_000 });
});
afterAll(async () => {
  await t.close();
  await integration.close();
});

interface Created {
  id: string;
  trigger: string;
  userId: string;
  signingSecret: string;
}

async function setup(trigger: string, path: string): Promise<{ admin: Account; member: Account; gid: string; cmd: Created }> {
  const admin = await register(t.app);
  const member = await register(t.app);
  const gid = (await call('POST', '/groups', admin, { name: '运维 ops', memberIds: [member.user.id] })).json().id as string;
  const res = await call('POST', `/groups/${gid}/commands`, admin, { trigger, url: integration.url(path), description: 'Deploy a build', usage: '[environment]' });
  expect(res.statusCode, res.body).toBe(201);
  return { admin, member, gid, cmd: res.json() as Created };
}

const run = (who: Account, gid: string, command: string, text?: string) => call('POST', `/conversations/${gid}/commands`, who, { command, ...(text === undefined ? {} : { text }) });
const lastMessage = async (who: Account, gid: string) => (await call('GET', `/conversations/${gid}/messages?limit=1`, who)).json().messages[0] as { senderId: string; body: string } | undefined;
const respond = (responseUrl: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url: new URL(responseUrl).pathname, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

describe('custom slash commands', () => {
  it("POSTs Slack's form, signed both ways, and answers the caller alone with an ephemeral reply", async () => {
    const { admin, member, gid, cmd } = await setup('deploy', '/deploy');
    expect(cmd).toMatchObject({ trigger: 'deploy', signingSecret: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The list never shows the secret again.
    const listed = (await call('GET', `/groups/${gid}/commands`, admin)).json();
    expect(listed.commands).toEqual([expect.objectContaining({ id: cmd.id, trigger: 'deploy', description: 'Deploy a build', usage: '[environment]' })]);
    expect(JSON.stringify(listed)).not.toContain(cmd.signingSecret);
    // The composer's suggestions carry it, with its usage.
    const suggested = (await call('GET', `/conversations/${gid}/commands`, member)).json().commands as { name: string; usage: string; description: string }[];
    expect(suggested.at(-1)).toEqual({ name: 'deploy', usage: '/deploy [environment]', description: 'Deploy a build', groupsOnly: true });

    integration.answer('/deploy', () => ({ body: JSON.stringify({ response_type: 'ephemeral', text: 'Deploying *staging* 部署中 <https://ci.example.com/1|log>' }) }));
    const before = await lastMessage(member, gid);
    const res = await run(member, gid, '/deploy', 'staging 预发');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ message: null, response: { text: 'Deploying *staging* 部署中 [log](https://ci.example.com/1)' } });
    expect(await lastMessage(member, gid)).toEqual(before);

    const [req] = integration.received('/deploy');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(req!.form)).toMatchObject({
      command: '/deploy',
      text: 'staging 预发',
      user_id: member.user.id,
      user_name: member.user.username,
      channel_id: gid,
      channel_name: '运维 ops',
      team_id: 'parley',
      response_url: expect.stringMatching(/\/hooks\/commands\/[A-Za-z0-9_-]{43}$/),
      trigger_id: expect.any(String),
    });
    const parley = `sha256=${createHmac('sha256', cmd.signingSecret).update(req!.body).digest('hex')}`;
    expect(req!.headers['x-parley-signature']).toBe(parley);
    const ts = req!.headers['x-slack-request-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    expect(req!.headers['x-slack-signature']).toBe(`v0=${createHmac('sha256', cmd.signingSecret).update(`v0:${ts}:${req!.body}`).digest('hex')}`);

    // Plain text is an ephemeral reply too; an empty 200 says nothing.
    integration.answer('/deploy', () => ({ type: 'text/plain', body: 'queued 已排队' }));
    expect((await run(member, gid, 'deploy')).json()).toEqual({ message: null, response: { text: 'queued 已排队' } });
    integration.answer('/deploy', () => ({ body: '' }));
    expect((await run(member, gid, 'deploy')).json()).toEqual({ message: null, response: null });
  });

  it('posts an in_channel reply into the group as the command\'s integration user', async () => {
    const { member, gid, cmd } = await setup('build', '/build');
    const members = (await call('GET', `/groups/${gid}/members`, member)).json().members as { user: { id: string; displayName: string; bot: boolean } }[];
    expect(members.find((m) => m.user.id === cmd.userId)?.user).toMatchObject({ displayName: '/build', bot: true });
    integration.answer('/build', () => ({
      body: JSON.stringify({ response_type: 'in_channel', username: 'ignored', text: 'fallback', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Build *42* passed ✅' } }] }),
    }));
    const res = (await run(member, gid, '/build', '42')).json();
    expect(res.response).toBeNull();
    expect(res.message).toMatchObject({ senderId: cmd.userId, body: 'Build *42* passed ✅' });
    expect(await lastMessage(member, gid)).toMatchObject({ senderId: cmd.userId, body: 'Build *42* passed ✅' });
  });

  it("response_url takes 5 answers within 30 minutes, to the caller's sockets alone or into the group; then 410", async () => {
    const { admin, member, gid, cmd } = await setup('later', '/later');
    integration.answer('/later', () => ({ body: '' }));
    await run(member, gid, 'later', 'x');
    const responseUrl = integration.received('/later')[0]!.form.get('response_url')!;
    const caller = await WsClient.connect(t.wsUrl, member.token);
    const other = await WsClient.connect(t.wsUrl, admin.token);
    try {
      const first = await respond(responseUrl, { text: 'done: 完成' });
      expect([first.statusCode, first.body]).toEqual([200, 'ok']);
      expect(await caller.next((f) => f.type === 'command.response')).toEqual({ type: 'command.response', conversationId: gid, command: '/later', text: 'done: 完成' });
      // In channel: a message from the command's user, which both see as an event.
      expect((await respond(responseUrl, { response_type: 'in_channel', text: 'shipped 🚀' })).statusCode).toBe(200);
      await other.next((f) => f.type === 'message.created' && f.message.body === 'shipped 🚀' && f.message.senderId === cmd.userId);
      expect(other.frames.some((f) => f.type === 'command.response')).toBe(false);
      // A payload with nothing to say spends no use.
      expect((await respond(responseUrl, { response_type: 'in_channel' })).body).toBe('no_text');
      for (let i = 0; i < 3; i++) expect((await respond(responseUrl, { text: `more ${i}` })).statusCode).toBe(200);
      const sixth = await respond(responseUrl, { text: 'too many' });
      expect([sixth.statusCode, sixth.body]).toEqual([410, 'used_url']);
    } finally {
      caller.ws.close();
      other.ws.close();
    }

    // Past its 30 minutes: 410 expired_url; an unknown key 404.
    await run(member, gid, 'later', 'y');
    const second = integration.received('/later')[1]!.form.get('response_url')!;
    const key = new URL(second).pathname.split('/').at(-1)!;
    await t.database.db.execute(sql`UPDATE slash_command_invocations SET expires_at = now() - interval '1 second' WHERE key_hash = ${hashToken(key)}`);
    const expired = await respond(second, { text: 'late' });
    expect([expired.statusCode, expired.body]).toEqual([410, 'expired_url']);
    const unknown = await respond(`http://x/hooks/commands/${'A'.repeat(43)}`, { text: 'who' });
    expect([unknown.statusCode, unknown.headers['content-type'], unknown.body]).toEqual([404, 'text/plain; charset=utf-8', 'no_service']);
  });

  it('answers the caller with what went wrong: a timeout, an error status, bad JSON, a reply too large', async () => {
    const { member, gid } = await setup('flaky', '/flaky');
    const cases: [Answer, RegExp][] = [
      ['hang', /^\/flaky failed: it did not answer within 2 seconds\.$/],
      [{ status: 500, body: 'boom' }, /^\/flaky failed: it answered HTTP 500\.$/],
      [{ body: '{"text": ' }, /^\/flaky failed: its reply is not valid JSON\.$/],
      [{ type: 'text/plain', body: 'x'.repeat(300 * 1024) }, /^\/flaky failed: its reply is larger than 256 KiB\.$/],
    ];
    for (const [answer, expected] of cases) {
      integration.answer('/flaky', () => answer);
      const res = await run(member, gid, 'flaky');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().message).toBeNull();
      expect(res.json().response.text).toMatch(expected);
    }
  });

  it('admins only; trigger, URL and count limits; deleting stops the command and its response URLs', async () => {
    const { admin, member, gid, cmd } = await setup('one', '/one');
    const outsider = await register(t.app);
    const body = { trigger: 'two', url: integration.url('/two') };
    expect((await call('POST', `/groups/${gid}/commands`, member, body)).statusCode).toBe(403);
    expect((await call('GET', `/groups/${gid}/commands`, member)).statusCode).toBe(403);
    expect((await call('POST', `/groups/${gid}/commands`, outsider, body)).statusCode).toBe(404);
    const refused = async (b: object, status: number) => {
      const res = await call('POST', `/groups/${gid}/commands`, admin, b);
      expect(res.statusCode, res.body).toBe(status);
      return res.json().error as { code: string; message: string };
    };
    await refused({ ...body, trigger: 'Has Space' }, 400);
    await refused({ ...body, trigger: 'x'.repeat(33) }, 400);
    expect((await refused({ ...body, trigger: 'invite' }, 400)).message).toContain('built-in');
    await refused({ ...body, url: `${integration.url('/')}${'a'.repeat(2048)}` }, 400);
    await refused({ ...body, url: 'ftp://example.com/x' }, 400);
    expect((await refused({ ...body, trigger: 'one' }, 409)).code).toBe('conflict');
    expect((await call('POST', `/groups/${gid}/commands`, admin, body)).statusCode).toBe(201);
    expect((await call('POST', `/groups/${gid}/commands`, admin, { ...body, trigger: 'three' })).statusCode).toBe(201);
    expect((await refused({ ...body, trigger: 'four' }, 409)).message).toContain('at most 3');

    integration.answer('/one', () => ({ body: '' }));
    await run(member, gid, 'one');
    const responseUrl = integration.received('/one')[0]!.form.get('response_url')!;
    // A muted member cannot run one (an integration echoing the text would speak for them).
    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await call('PUT', `/groups/${gid}/mutes/${member.user.id}`, admin, { until })).statusCode).toBe(204);
    const muted = await run(member, gid, 'one');
    expect([muted.statusCode, muted.json().error.code]).toEqual([403, 'muted']);
    expect(integration.received('/one')).toHaveLength(1);
    await call('DELETE', `/groups/${gid}/mutes/${member.user.id}`, admin);
    expect((await call('DELETE', `/groups/${gid}/commands/${cmd.id}`, member)).statusCode).toBe(403);
    expect((await call('DELETE', `/groups/${gid}/commands/not-a-uuid`, admin)).statusCode).toBe(404);
    expect((await call('DELETE', `/groups/${gid}/commands/${cmd.id}`, admin)).statusCode).toBe(204);
    expect((await call('DELETE', `/groups/${gid}/commands/${cmd.id}`, admin)).statusCode).toBe(404);
    expect((await run(member, gid, 'one')).statusCode).toBe(400);
    expect((await respond(responseUrl, { text: 'after' })).statusCode).toBe(404);
    const members = (await call('GET', `/groups/${gid}/members`, admin)).json().members as { user: { id: string } }[];
    expect(members.some((m) => m.user.id === cmd.userId)).toBe(false);
    const audited = await t.database.db.select().from(auditLog).where(eq(auditLog.conversationId, gid));
    expect(audited.map((a) => a.action).filter((a) => a.startsWith('slash_command.')).sort()).toEqual(['slash_command.created', 'slash_command.created', 'slash_command.created', 'slash_command.deleted']);
  });
});

describe('custom slash commands without WEBHOOK_ALLOW_PRIVATE', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp();
  });
  afterAll(async () => strict.close());
  const strictCall = apiCaller(() => strict.app);

  it('refuses a loopback URL at creation, and at each run (the name may resolve elsewhere since)', async () => {
    const admin = await register(strict.app);
    const gid = (await strictCall('POST', '/groups', admin, { name: 'strict' })).json().id as string;
    const res = await strictCall('POST', `/groups/${gid}/commands`, admin, { trigger: 'probe', url: integration.url('/probe') });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe(TARGET_NOT_ALLOWED);
    // A command whose target turned internal after it was made: its run is refused and says so.
    const made = await strictCall('POST', `/groups/${gid}/commands`, admin, { trigger: 'probe', url: 'http://93.184.215.14/probe' });
    expect(made.statusCode, made.body).toBe(201);
    await strict.database.db.update(slashCommands).set({ url: integration.url('/probe') }).where(eq(slashCommands.id, made.json().id as string));
    const ran = await strictCall('POST', `/conversations/${gid}/commands`, admin, { command: 'probe' });
    expect(ran.statusCode).toBe(200);
    expect(ran.json().response.text).toBe(`/probe failed: ${TARGET_NOT_ALLOWED}.`);
    expect(integration.received('/probe')).toEqual([]);
  });
});

describe('custom slash commands with rate limits on', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({
      WEBHOOK_ALLOW_PRIVATE: 'on',
      RATE_LIMIT: 'on',
      RATE_LIMIT_INCOMING_WEBHOOK_POSTS: '3/min',
      RATE_LIMIT_REGISTER_PER_IP: 'off',
      RATE_LIMIT_GROUP_CREATIONS_PER_USER: 'off',
    });
  });
  afterAll(async () => limited.close());
  const limitedCall = apiCaller(() => limited.app);

  it("counts a command's response_url answers, over all its runs, against RATE_LIMIT_INCOMING_WEBHOOK_POSTS", async () => {
    const admin = await register(limited.app);
    const gid = (await limitedCall('POST', '/groups', admin, { name: 'limited' })).json().id as string;
    expect((await limitedCall('POST', `/groups/${gid}/commands`, admin, { trigger: 'busy', url: integration.url('/busy') })).statusCode).toBe(201);
    integration.answer('/busy', () => ({ body: '' }));
    for (let i = 0; i < 2; i++) expect((await limitedCall('POST', `/conversations/${gid}/commands`, admin, { command: 'busy' })).statusCode).toBe(200);
    const [first, second] = integration.received('/busy').map((r) => new URL(r.form.get('response_url')!).pathname);
    const answer = (path: string) => limited.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload: '{"text":"hi"}' });
    expect((await answer(first!)).statusCode).toBe(200);
    expect((await answer(first!)).statusCode).toBe(200);
    expect((await answer(second!)).statusCode).toBe(200);
    const refused = await answer(second!);
    expect([refused.statusCode, refused.body]).toEqual([429, 'rate_limited']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});
