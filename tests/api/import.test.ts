/**
 * `npm run admin -- import slack|mattermost FILE` (issue 22), run in-process through runAdmin on
 * the test app's database: exports built from the formats' documentation, a few hundred messages
 * with Chinese, emoji, threads, reactions and files; then what people see through the API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin, type AdminIo } from '../../src/cli/admin.js';
import { sql } from 'drizzle-orm';
import { repositories } from '../../src/db/repositories/index.js';
import { queryRows } from '../../src/db/sql.js';
import type { Conversation, Message } from '../../src/protocol/entities.js';
import { apiCaller, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import { mattermostLine, slackMessage, writeSlackExport, type SlackExport, type SlackMessage } from '../helpers/import-exports.js';

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-import-'));
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const call = apiCaller(() => t.app);

async function admin(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: AdminIo = {
    stdin: process.stdin,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  };
  const code = await runAdmin(argv, io, {
    open: async () => ({ db: t.database.db, close: async () => {} }),
    uploadDir: () => t.config.uploadDir,
    logger: pino({ level: 'silent' }),
  });
  return { code, stdout, stderr };
}

async function counts(): Promise<{ users: number; conversations: number; messages: number }> {
  const [row] = await queryRows<{ users: number; conversations: number; messages: number }>(
    t.database.db,
    sql`SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM conversations)::int AS conversations, (SELECT count(*) FROM messages)::int AS messages`,
  );
  return { users: Number(row!.users), conversations: Number(row!.conversations), messages: Number(row!.messages) };
}

async function history(who: Account, conversationId: string): Promise<Message[]> {
  const all: Message[] = [];
  let after = 0;
  for (;;) {
    const page = (await call('GET', `/conversations/${conversationId}/messages?after=${after}&limit=100`, who)).json();
    all.push(...page.messages);
    if (!page.hasMore || page.messages.length === 0) return all;
    after = page.messages[page.messages.length - 1].seq as number;
  }
}

async function groupNamed(who: Account, name: string): Promise<Conversation> {
  const list = (await call('GET', '/conversations?limit=100', who)).json();
  const found = list.conversations.find((c: { name: string | null }) => c.name === name);
  expect(found, `conversation ${name}`).toBeTruthy();
  return found;
}

const WORDS = ['release', 'deploy', 'review', 'meeting', 'notes', '讨论', '项目', '进度', '会议', '上线', '🎉', '🚀'];
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 8, 9, 0, 0);

describe('import slack', () => {
  const stamp = uniqueName('s');
  const ids = { alice: `UA${stamp}`, bob: `UB${stamp}`, zhang: `UZ${stamp}`, carol: `UC${stamp}` };
  let alice: Account;
  let aliceEmail: string;
  const spec = (): SlackExport => ({
    users: [
      { id: ids.alice, name: 'alice', realName: 'Alice Liddell', email: aliceEmail },
      { id: ids.bob, name: `bob_${stamp}`, realName: 'Bob', email: `bob_${stamp}@example.com` },
      { id: ids.zhang, name: `zhangwei_${stamp}`, realName: '张伟' },
      { id: ids.carol, name: `carol_${stamp}`, realName: 'Carol 🌸', email: `carol_${stamp}@example.com` },
    ],
    channels: [{ id: `C1${stamp}`, name: `general-${stamp}`, creator: ids.bob, members: Object.values(ids), purpose: '大家好 everyone', created: T0 / 1000 - 1000 }],
    groups: [{ id: `G1${stamp}`, name: `secret-${stamp}`, creator: ids.alice, members: [ids.alice, ids.zhang], created: T0 / 1000 - 1000 }],
    dms: [{ id: `D1${stamp}`, members: [ids.alice, ids.bob], created: T0 / 1000 }],
    mpims: [{ id: `G2${stamp}`, name: `mpdm-alice--bob--carol-1`, creator: ids.alice, members: [ids.alice, ids.bob, ids.carol], created: T0 / 1000 }],
  });
  /** general: 3 days of 80 messages: every 10th a root with 3 replies, reactions, a file, a join. */
  const general = (): [string, SlackMessage[]][] => {
    const out: [string, SlackMessage[]][] = [];
    const people = Object.values(ids);
    for (let d = 0; d < 3; d++) {
      const day: SlackMessage[] = [];
      const base = T0 + d * DAY;
      day.push({ type: 'message', subtype: 'channel_join', user: ids.carol, text: `<@${ids.carol}> has joined the channel`, ts: `${Math.floor(base / 1000) - 5}.000001` });
      for (let i = 0; i < 80; i++) {
        const n = d * 80 + i;
        const at = base + i * 60_000;
        const user = people[n % people.length]!;
        const text = `message ${n} ${WORDS[n % WORDS.length]} ${WORDS[(n * 7) % WORDS.length]}`;
        const extra: Record<string, unknown> = {};
        if (n % 10 === 0) extra.reactions = [{ name: 'thumbsup', users: [ids.bob, ids.zhang], count: 2 }, { name: 'partyparrot', users: [ids.alice], count: 1 }];
        day.push(slackMessage(user, at, text, extra));
        if (n % 10 === 0) {
          const rootTs = slackMessage(user, at, '').ts;
          for (let r = 1; r <= 3; r++) {
            const broadcast = r === 3 && n % 20 === 0;
            day.push(slackMessage(people[(n + r) % people.length]!, at + r * 1000, `reply ${r} to ${n} 回复`, { thread_ts: rootTs, ...(broadcast ? { subtype: 'thread_broadcast' } : {}) }));
          }
        }
      }
      // Slack writes a day's messages in time order; the importer sorts them anyway.
      day.reverse();
      out.push([new Date(base).toISOString().slice(0, 10), day]);
    }
    out[0]![1].push(
      slackMessage(ids.alice, T0 + 3_030_000, `the *plan* for <@${ids.zhang}>: see <https://example.com/plan|the plan> &amp; <#C1${stamp}|general> 技术讨论组`, {
        files: [{ id: 'F1', name: '计划.pdf', title: 'plan', mimetype: 'application/pdf', size: 20480, url_private: 'https://files.slack.com/F1/plan.pdf' }],
      }),
    );
    return out;
  };
  const days = (folder: string): [string, SlackMessage[]][] => {
    if (folder.startsWith('general-')) return general();
    if (folder.startsWith('secret-')) return [['2024-01-08', [slackMessage(ids.zhang, T0 + 100, '秘密计划 🤫 secretword', { edited: { user: ids.zhang, ts: slackMessage(ids.zhang, T0 + 60_000, '').ts } }), slackMessage(ids.alice, T0 + 200, 'ok 👌')]]];
    if (folder.startsWith('D1')) return [['2024-01-09', [slackMessage(ids.bob, T0 + DAY, 'hi alice, 你好'), slackMessage(ids.alice, T0 + DAY + 5000, 'hello bob')]]];
    return [['2024-01-10', [slackMessage(ids.carol, T0 + 2 * DAY, 'group chat 群聊')]]];
  };
  let file: string;

  beforeAll(async () => {
    alice = await register(t.app, `alice_${stamp}`);
    aliceEmail = `alice_${stamp}@example.com`;
    await repositories(t.database.db).users.setEmail(alice.user.id, aliceEmail);
    file = path.join(dir, `slack-${stamp}.zip`);
    writeSlackExport(file, spec(), days);
  });

  it('brings users, channels, direct messages, threads, reactions and files, searchable, with their original times', async () => {
    const before = await counts();
    const res = await admin(['import', 'slack', file]);
    expect(res.stderr).not.toContain('parley admin');
    expect(res.code).toBe(0);
    // Not a terminal: progress is a line at each tenth.
    expect(res.stderr).toContain('importing: 318/318 messages (100%');
    expect(res.stderr).toContain('importing: 0/318 messages (0%');
    expect(res.stdout).toContain('users: 1 matched by e-mail, 3 created');
    expect(res.stdout).toContain('conversations: 4 created');
    // general: 240 + 24 roots × 3 replies + 1; secret 2; DM 2; group 1.
    expect(res.stdout).toContain('messages: 318 imported, 0 already there, 3 skipped');
    expect(res.stdout).toContain('threads: 24');
    expect(res.stdout).toContain('files: 0 stored, 1 skipped');
    const after = await counts();
    expect(after.users - before.users).toBe(3);
    expect(after.messages - before.messages).toBe(318);

    // Alice was matched by e-mail: her own account sees the channel, in time order, seq by seq.
    const general = await groupNamed(alice, `general-${stamp}`);
    expect(general.kind).toBe('group');
    expect(general.visibility).toBe('public');
    expect(general.unreadCount).toBe(0);
    const messages = await history(alice, general.id);
    expect(messages).toHaveLength(313);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    const times = messages.map((m) => Date.parse(m.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(messages[0]!.createdAt).toBe(new Date(T0).toISOString());
    expect(messages[0]!.body).toBe('message 0 release release');

    // The channel's creator owns it; everyone is a member.
    const members = (await call('GET', `/groups/${general.id}/members?limit=100`, alice)).json().members;
    expect(members).toHaveLength(4);
    expect(members.find((m: { role: string }) => m.role === 'owner').user.displayName).toBe('Bob');

    // Threads: the root carries its summary; its replies come from GET /threads/{id}/messages.
    const root = messages.find((m) => m.body.startsWith('message 10 '))!;
    expect(root.thread).toMatchObject({ replyCount: 3 });
    const replies = (await call('GET', `/threads/${root.id}/messages`, alice)).json().messages;
    expect(replies.map((m: { body: string }) => m.body)).toEqual(['reply 1 to 10 回复', 'reply 2 to 10 回复', 'reply 3 to 10 回复']);
    expect(replies.every((m: { threadId: string }) => m.threadId === root.id)).toBe(true);
    const broadcast = messages.find((m) => m.body === 'reply 3 to 20 回复')!;
    expect(broadcast.alsoInConversation).toBe(true);
    const collapsed = (await call('GET', `/conversations/${general.id}/messages?collapseThreads=true&limit=100`, alice)).json().messages;
    expect(collapsed.some((m: { body: string }) => m.body === 'reply 1 to 10 回复')).toBe(false);

    // Reactions: a known name becomes its emoji, another one the :name: form.
    expect(root.reactions).toEqual(
      expect.arrayContaining([
        { emoji: '👍', count: 2, me: false },
        { emoji: ':partyparrot:', count: 1, me: true },
      ]),
    );

    // Slack's markup became Markdown and mentions; the file is named in the message.
    const plan = messages.find((m) => m.body.includes('技术讨论组'))!;
    expect(plan.body).toBe(`the **plan** for @zhangwei_${stamp}: see [the plan](https://example.com/plan) & #general 技术讨论组\n📎 计划.pdf (20 KB): not imported`);
    expect(plan.mentions).toHaveLength(1);

    // Search finds imported messages, Chinese included.
    const found = (await call('GET', `/search/messages?q=${encodeURIComponent('讨论')}&conversationId=${general.id}`, alice)).json();
    expect(found.messages.map((m: { id: string }) => m.id)).toContain(plan.id);
    const secret = (await call('GET', '/search/messages?q=secretword', alice)).json();
    expect(secret.messages).toHaveLength(1);
    expect(secret.messages[0].body).toBe('秘密计划 🤫 secretword');
    expect(secret.messages[0].editedAt).toBe(new Date(T0 + 60_000).toISOString());

    // The DM is a direct conversation; the group DM a private group named after its people.
    const list = (await call('GET', '/conversations?limit=100', alice)).json().conversations;
    const direct = list.find((c: { kind: string }) => c.kind === 'direct');
    expect((await history(alice, direct.id)).map((m) => m.body)).toEqual(['hi alice, 你好', 'hello bob']);
    const mpim = list.find((c: { name: string | null }) => c.name === `alice_${stamp}, bob_${stamp}, carol_${stamp}`);
    expect(mpim.visibility).toBe('private');

    // People created by the import are deactivated, without a password: they cannot sign in.
    const bob = await repositories(t.database.db).users.findByUsername(`bob_${stamp}`);
    expect(bob).toMatchObject({ passwordHash: null, email: `bob_${stamp}@example.com` });
    expect(bob!.deactivatedAt).not.toBeNull();
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: `bob_${stamp}`, password: 'anything at all' } });
    expect(login.statusCode).toBeGreaterThanOrEqual(400);
    // Alice's own account is untouched.
    expect((await repositories(t.database.db).users.findById(alice.user.id))!.deactivatedAt).toBeNull();
  });

  it('adds nothing when run again', async () => {
    const before = await counts();
    const res = await admin(['import', 'slack', file]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('users: 0 matched by e-mail, 0 created (deactivated until they sign in), 4 from an earlier run');
    expect(res.stdout).toContain('conversations: 0 created, 4 from an earlier run, 0 skipped');
    expect(res.stdout).toContain('messages: 0 imported, 318 already there');
    expect(await counts()).toEqual(before);
  });

  it('a later export of the same workspace adds only what is new, after the conversation\'s last message; a DM that already exists in Parley is skipped', async () => {
    const erin = await register(t.app, `erin_${stamp}`);
    await repositories(t.database.db).users.setEmail(erin.user.id, `erin_${stamp}@example.com`);
    // alice and erin already talk in Parley: the export's DM of theirs is not merged into it.
    expect((await call('POST', '/conversations/direct', alice, { userId: erin.user.id })).statusCode).toBeLessThan(300);
    const later = spec();
    later.users.push({ id: `UE${stamp}`, name: 'erin', realName: 'Erin', email: `erin_${stamp}@example.com` });
    later.dms!.push({ id: `D2${stamp}`, members: [ids.alice, `UE${stamp}`], created: T0 / 1000 });
    const rootTs = slackMessage(ids.alice, T0 + 2 * DAY + 30 * 60_000, '').ts; // message 190's root, imported before
    const more = (folder: string): [string, SlackMessage[]][] =>
      folder.startsWith('general-')
        ? [
            ...days(folder),
            ['2024-01-20', [slackMessage(ids.bob, T0 + 12 * DAY, 'later news 新消息'), slackMessage(ids.zhang, T0 + 12 * DAY + 1000, 'late reply 晚回复', { thread_ts: rootTs }), slackMessage(ids.carol, T0 + 12 * DAY + 2000, 'bye')]],
          ]
        : folder.startsWith('D2')
          ? [['2024-01-20', [slackMessage(ids.alice, T0 + 12 * DAY, 'not merged')]]]
          : days(folder);
    const file2 = path.join(dir, `slack-later-${stamp}.zip`);
    writeSlackExport(file2, later, more);
    const general = await groupNamed(alice, `general-${stamp}`);
    const res = await admin(['import', 'slack', file2]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('users: 1 matched by e-mail, 0 created (deactivated until they sign in), 4 from an earlier run');
    expect(res.stdout).toContain('conversations: 0 created, 4 from an earlier run, 1 skipped');
    expect(res.stdout).toContain(`skipped D2${stamp}: these two people already have a direct conversation in Parley`);
    expect(res.stdout).toContain('messages: 3 imported, 318 already there');
    const messages = await history(alice, general.id);
    expect(messages).toHaveLength(316);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    expect(messages.slice(-3).map((m) => m.body)).toEqual(['later news 新消息', 'late reply 晚回复', 'bye']);
    const root = messages.find((m) => m.body.startsWith('message 190 '))!;
    expect(root.thread).toMatchObject({ replyCount: 4, lastReplySeq: 315 });
    expect(root.thread!.participantIds[0]).toBe(messages.at(-2)!.senderId);
    const replies = (await call('GET', `/threads/${root.id}/messages`, alice)).json().messages;
    expect(replies.map((m: { body: string }) => m.body).at(-1)).toBe('late reply 晚回复');
  });

  it('two runs of the same import at once bring everything once', async () => {
    const other = uniqueName('c');
    const twice = path.join(dir, `twice-${other}.zip`);
    const people = [0, 1, 2].map((k) => ({ id: `U${k}${other}`, name: `p${k}_${other}`, realName: `P${k}`, email: `p${k}_${other}@example.com` }));
    writeSlackExport(
      twice,
      { users: people, channels: [0, 1].map((c) => ({ id: `C${c}${other}`, name: `c${c}-${other}`, creator: people[0]!.id, members: people.map((p) => p.id), created: T0 / 1000 })) },
      () => [['2024-01-08', Array.from({ length: 50 }, (_, i) => slackMessage(people[i % 3]!.id, T0 + i * 1000, `twice ${i} 两次`))]],
    );
    const before = await counts();
    const [a, b] = await Promise.all([admin(['import', 'slack', twice]), admin(['import', 'slack', twice])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const after = await counts();
    expect(after.users - before.users).toBe(3);
    expect(after.conversations - before.conversations).toBe(2);
    expect(after.messages - before.messages).toBe(100);
  });

  it('refuses a broken export with its file and line, and writes nothing', async () => {
    const other = uniqueName('x');
    const broken = path.join(dir, `broken-${other}.zip`);
    const ex: SlackExport = {
      users: [{ id: `UX${other}`, name: `x_${other}`, realName: 'X', email: `x_${other}@example.com` }],
      channels: [{ id: `CX${other}`, name: `broken-${other}`, creator: `UX${other}`, members: [`UX${other}`], created: T0 / 1000 }],
    };
    const good = JSON.stringify([slackMessage(`UX${other}`, T0, 'fine')], null, 4);
    writeSlackExport(
      broken,
      ex,
      () => [
        ['2024-01-08', []],
        ['2024-01-09', []],
      ],
      { [`broken-${other}/2024-01-08.json`]: good, [`broken-${other}/2024-01-09.json`]: '[\n    {\n        "type": "message",\n        "ts": "1704704400.000100",\n        "text": "oops",\n    }\n]' },
    );
    const before = await counts();
    const res = await admin(['import', 'slack', broken]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`the export is broken, nothing was imported: broken-${other}/2024-01-09\\.json:6: invalid JSON`));
    expect(await counts()).toEqual(before);

    // A message whose author is not in users.json: named by its line too.
    const unknown = path.join(dir, `unknown-${other}.zip`);
    writeSlackExport(unknown, ex, () => [['2024-01-08', [slackMessage(`UX${other}`, T0, 'fine'), slackMessage('UNOBODY', T0 + 1000, 'who?')]]]);
    const res2 = await admin(['import', 'slack', unknown]);
    expect(res2.code).toBe(1);
    expect(res2.stderr).toContain(`broken-${other}/2024-01-08.json:15: message #2 (ts 1704704401.000000): user UNOBODY is not in users.json`);
    expect(await counts()).toEqual(before);

    // A message without a ts: the line where it begins.
    const nots = path.join(dir, `nots-${other}.zip`);
    const { ts: _ts, ...noTs } = slackMessage(`UX${other}`, T0 + 1000, 'when?');
    writeSlackExport(nots, ex, () => [['2024-01-08', [slackMessage(`UX${other}`, T0, 'fine'), noTs as SlackMessage]]]);
    const res3 = await admin(['import', 'slack', nots]);
    expect(res3.stderr).toContain(`broken-${other}/2024-01-08.json:10: message #2: no valid ts`);
    expect(await counts()).toEqual(before);
  });
});

describe('import mattermost', () => {
  const stamp = uniqueName('m');
  const team = `team-${stamp}`;
  let dana: Account;
  let file: string;
  const lines: string[] = [];

  beforeAll(async () => {
    dana = await register(t.app, `dana_${stamp}`);
    await repositories(t.database.db).users.setEmail(dana.user.id, `Dana_${stamp}@Example.com`);
    const u = (name: string) => `${name}-${stamp}`.toLowerCase();
    fs.mkdirSync(path.join(dir, `mm-${stamp}`, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, `mm-${stamp}`, 'data', 'notes.txt'), '会议纪要 meeting notes\n');
    lines.push(mattermostLine('version', 1));
    lines.push(mattermostLine('team', { name: team, display_name: 'Team', type: 'O' }));
    lines.push(mattermostLine('channel', { team, name: 'town-square', display_name: 'Town Square 广场', type: 'O', purpose: 'everything' }));
    lines.push(mattermostLine('channel', { team, name: 'ops', display_name: 'Ops', type: 'P' }));
    const channels = [
      { name: 'town-square', roles: 'channel_user' },
      { name: 'ops', roles: 'channel_user' },
    ];
    lines.push(mattermostLine('user', { username: u('dana'), email: `dana_${stamp}@example.com`, first_name: 'Dana', teams: [{ name: team, roles: 'team_user', channels }] }));
    lines.push(mattermostLine('user', { username: u('erik'), email: `erik_${stamp}@example.com`, nickname: 'Erik 🎸', teams: [{ name: team, roles: 'team_user', channels: [{ name: 'town-square', roles: 'channel_admin channel_user' }] }] }));
    lines.push(mattermostLine('user', { username: u('fang'), email: `fang_${stamp}@example.com`, first_name: '芳', teams: [{ name: team, roles: 'team_user', channels }] }));
    const base = Date.UTC(2023, 5, 1, 8, 0, 0);
    // 150 posts in town-square, every 15th with 4 replies; written out of time order on purpose.
    const posts: string[] = [];
    for (let i = 0; i < 150; i++) {
      const at = base + i * 600_000;
      const post: Record<string, unknown> = { team, channel: 'town-square', user: [u('dana'), u('erik'), u('fang')][i % 3], message: `post ${i} ${WORDS[i % WORDS.length]}`, create_at: at };
      if (i % 15 === 0) {
        post.replies = [1, 2, 3, 4].map((r) => ({ user: [u('erik'), u('fang')][r % 2], message: `reply ${r} to post ${i} @${u('dana')} 好的`, create_at: at + r * 1000 + (r === 4 ? 2 * 600_000 : 0) }));
        post.reactions = [{ user: u('erik'), emoji_name: '+1', create_at: at + 10 }, { user: u('fang'), emoji_name: 'tada', create_at: at + 20 }];
      }
      if (i === 7) post.attachments = [{ path: 'data/notes.txt' }, { path: 'data/missing.png' }, { path: '../../../etc/passwd' }];
      posts.push(mattermostLine('post', post));
    }
    for (let i = posts.length - 1; i >= 0; i -= 2) lines.push(posts[i]!);
    for (let i = posts.length - 2; i >= 0; i -= 2) lines.push(posts[i]!);
    lines.push(mattermostLine('post', { team, channel: 'ops', user: u('fang'), message: '部署 deploy 完成 ✅ opsword', create_at: base }));
    lines.push(mattermostLine('direct_channel', { members: [u('dana'), u('erik')] }));
    lines.push(mattermostLine('direct_channel', { members: [u('dana'), u('erik'), u('fang')] }));
    lines.push(mattermostLine('direct_post', { channel_members: [u('dana'), u('erik')], user: u('erik'), message: 'psst 🤐', create_at: base + 5 }));
    lines.push(mattermostLine('direct_post', { channel_members: [u('erik'), u('dana')], user: u('dana'), message: 'yes?', create_at: base + 6 }));
    lines.push(mattermostLine('direct_post', { channel_members: [u('dana'), u('erik'), u('fang')], user: u('fang'), message: '三人群聊', create_at: base + 7 }));
    // Notes to oneself: Parley has no such conversation (skipped, named in the summary).
    lines.push(mattermostLine('direct_post', { channel_members: [u('fang'), u('fang')], user: u('fang'), message: 'note to self', create_at: base + 8 }));
    file = path.join(dir, `mm-${stamp}`, 'bulk.jsonl');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
  });

  it('brings channels, group messages, replies as threads, reactions and the attachments that are there', async () => {
    const res = await admin(['import', 'mattermost', file]);
    expect(res.stderr).not.toContain('parley admin');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('users: 1 matched by e-mail, 2 created');
    expect(res.stdout).toContain('conversations: 4 created, 0 from an earlier run, 1 skipped');
    expect(res.stdout).toContain(`skipped direct:fang-${stamp}: a direct conversation with oneself`);
    // 150 posts + 10 × 4 replies, 1 in ops, 3 direct.
    expect(res.stdout).toContain('messages: 194 imported');
    expect(res.stdout).toContain('threads: 10');
    expect(res.stdout).toContain('files: 1 stored, 2 skipped');

    const square = await groupNamed(dana, 'Town Square 广场');
    const messages = await history(dana, square.id);
    expect(messages).toHaveLength(190);
    const times = messages.map((m) => Date.parse(m.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Replies are placed by their time: the 4th reply to post 0 comes after post 2.
    const bodies = messages.map((m) => m.body);
    expect(bodies.indexOf(`reply 4 to post 0 @dana_${stamp} 好的`)).toBeGreaterThan(bodies.indexOf('post 2 review'));
    // Mentions point at the matched account's own username.
    const reply = messages.find((m) => m.body === `reply 1 to post 15 @dana_${stamp} 好的`)!;
    expect(reply.mentions).toEqual([dana.user.id]);
    const root = messages.find((m) => m.body === 'post 15 meeting')!;
    expect(root.thread).toMatchObject({ replyCount: 4 });
    expect(root.reactions).toEqual(expect.arrayContaining([{ emoji: '👍', count: 1, me: false }, { emoji: '🎉', count: 1, me: false }]));
    const thread = (await call('GET', `/threads/${root.id}/messages`, dana)).json().messages;
    expect(thread).toHaveLength(4);

    // The attachment found beside the JSONL is an upload; the missing one and the one outside the folder are named.
    const withFile = messages.find((m) => m.body.startsWith('post 7 '))!;
    expect(withFile.attachments).toHaveLength(1);
    expect(withFile.attachments[0]).toMatchObject({ filename: 'notes.txt', size: Buffer.byteLength('会议纪要 meeting notes\n') });
    expect(withFile.body).toBe('post 7 进度\n📎 missing.png: not imported\n📎 passwd: not imported');
    const download = await t.app.inject({ method: 'GET', url: withFile.attachments[0]!.url });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe('会议纪要 meeting notes\n');

    // Group messages of three are private groups; of two, direct conversations.
    const list = (await call('GET', '/conversations?limit=100', dana)).json().conversations;
    expect(list.filter((c: { kind: string }) => c.kind === 'direct')).toHaveLength(1);
    const search = (await call('GET', '/search/messages?q=opsword', dana)).json();
    expect(search.messages.map((m: { body: string }) => m.body)).toEqual(['部署 deploy 完成 ✅ opsword']);
  });

  it('adds nothing when run again', async () => {
    const before = await counts();
    const res = await admin(['import', 'mattermost', file]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('messages: 0 imported, 194 already there');
    expect(await counts()).toEqual(before);
  });

  it('refuses a broken line with its number, writing nothing', async () => {
    const other = uniqueName('y');
    const broken = path.join(dir, `broken-${other}.jsonl`);
    const good = [
      mattermostLine('version', 1),
      mattermostLine('team', { name: `t-${other}`, display_name: 'T', type: 'O' }),
      mattermostLine('channel', { team: `t-${other}`, name: 'c', display_name: 'C', type: 'O' }),
      mattermostLine('user', { username: `u-${other}`, email: `u_${other}@example.com`, teams: [{ name: `t-${other}`, channels: [{ name: 'c' }] }] }),
      mattermostLine('post', { team: `t-${other}`, channel: 'c', user: `u-${other}`, message: 'fine', create_at: 1 }),
    ];
    const before = await counts();
    fs.writeFileSync(broken, [...good, '{"type":"post","post":{"team":', mattermostLine('post', { team: `t-${other}`, channel: 'c', user: `u-${other}`, message: 'x', create_at: 2 })].join('\n'));
    const res = await admin(['import', 'mattermost', broken]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`broken-${other}.jsonl:6: invalid JSON`);
    fs.writeFileSync(broken, [...good, mattermostLine('post', { team: `t-${other}`, channel: 'nowhere', user: `u-${other}`, message: 'x', create_at: 2 })].join('\n'));
    const res2 = await admin(['import', 'mattermost', broken]);
    expect(res2.stderr).toContain(`broken-${other}.jsonl:6: post in channel t-${other}/nowhere, which is not defined`);
    expect(await counts()).toEqual(before);
  });
});
