/**
 * The admin CLI (`npm run admin`), each command run in-process through runAdmin against the
 * test app's database: what it changes is checked through the API and the audit log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConfiguredDatabase, runAdmin, type AdminDeps, type AdminIo } from '../../src/cli/admin.js';
import { displayWidth } from '../../src/cli/table.js';
import { parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { newId } from '../../src/core/ids.js';
import { repositories, type Repositories } from '../../src/db/repositories/index.js';
import { hashToken } from '../../src/services/identity/identity.js';
import { LocalBlobStore } from '../../src/storage/blob-store.js';
import { auth, register, startTestApp, uniqueName, type TestApp } from '../helpers/app.js';
import { multipart } from '../helpers/authz.js';

const logger = createLogger({ level: 'silent', logDir: null });
let testApp: TestApp;
let repos: Repositories;
let deps: AdminDeps;

beforeAll(async () => {
  testApp = await startTestApp();
  repos = repositories(testApp.database.db);
  // The app's own database, left open when the command ends.
  deps = { logger, open: async () => ({ db: testApp.database.db, close: async () => {} }), uploadDir: () => testApp.config.uploadDir };
  // Whoever registers first may be made site admin by the server: let it be nobody under test.
  await register(testApp.app);
});

afterAll(async () => testApp?.close());

type Run = { code: number; stdout: string; stderr: string };

/** Runs `npm run admin -- ...argv` in-process; `stdin` is piped text (not a terminal). */
async function admin(argv: string[], opts: { stdin?: string; env?: Record<string, string>; deps?: AdminDeps } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: AdminIo = {
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin, 'utf8')]),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: opts.env ?? {},
  };
  const code = await runAdmin(argv, io, opts.deps ?? deps);
  return { code, stdout, stderr };
}

const login = (username: string, password: string) =>
  testApp.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
const me = (token: string) => testApp.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: auth(token) });

async function auditOf(userId: string) {
  return (await repos.audit.listNewest(null, 100)).filter((e) => e.targetUserId === userId);
}

describe('help and usage', () => {
  it('prints the help with exit 0, naming every command and what reset-password keeps', async () => {
    for (const argv of [['help'], ['--help'], ['list-users', '-h']]) {
      const r = await admin(argv);
      expect(r.code).toBe(0);
      for (const word of ['create-admin', 'reset-password', 'list-users', '--revoke-tokens', 'PARLEY_PASSWORD', 'DATABASE_URL']) {
        expect(r.stdout).toContain(word);
      }
      expect(r.stdout).toMatch(/API tokens \(bots, scripts\) are kept/);
      expect(r.stdout).toMatch(/WebSocket/);
    }
  });

  it('exits 2 with one line on stderr for wrong usage, without opening the database', async () => {
    const refuse: AdminDeps = { logger, open: async () => Promise.reject(new Error('the database must not be opened')), uploadDir: () => '/nonexistent' };
    for (const argv of [
      [], ['frobnicate'], ['create-admin'], ['create-admin', 'a b'], ['create-admin', 'x'], ['create-admin', 'alice', 'bob'],
      ['create-admin', 'alice', '--display-name'], ['create-admin', 'alice', '--display-name', 'x'.repeat(65)],
      ['create-admin', 'alice', '--display-name', '   '], ['create-admin', 'alice', '--admin'],
      ['reset-password'], ['reset-password', 'alice', '--generate=yes'], ['list-users', '--all'], ['list-users', 'extra'],
    ]) {
      const r = await admin(argv, { deps: refuse });
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^parley admin: .*npm run admin -- help/);
      expect(r.stdout).toBe('');
    }
  });
});

describe('create-admin', () => {
  it('creates a site admin whose password (one piped line) signs in, and audits it', async () => {
    const name = uniqueName('adm');
    const r = await admin(['create-admin', name, '--display-name', '管理员 小王'], { stdin: 'piped password 1\nignored\n' });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`created site admin "${name}"`);
    const res = await login(name, 'piped password 1');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.displayName).toBe('管理员 小王');
    const row = await repos.users.findByUsername(name);
    expect(row?.siteAdmin).toBe(true);
    expect(await auditOf(row!.id)).toMatchObject([
      { action: 'user.site_admin_granted', actorId: null, details: { via: 'cli', created: true } },
    ]);
  });

  it('takes PARLEY_PASSWORD before stdin, and prints a --generate password once', async () => {
    const a = uniqueName('adm');
    expect((await admin(['create-admin', a], { env: { PARLEY_PASSWORD: 'from the env 密码' }, stdin: 'from stdin\n' })).code).toBe(0);
    expect((await login(a, 'from the env 密码')).statusCode).toBe(200);
    expect((await login(a, 'from stdin')).statusCode).toBe(401);

    const b = uniqueName('adm');
    const r = await admin(['create-admin', b, '--generate']);
    expect(r.code).toBe(0);
    const generated = /generated password \(shown only now\): (\S+)/.exec(r.stdout)?.[1];
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(r.stdout.split(generated!)).toHaveLength(2);
    expect((await login(b, generated!)).statusCode).toBe(200);
  });

  it('promotes an existing user, leaving its password alone; a second run changes nothing', async () => {
    const user = await register(testApp.app);
    await repos.users.setAdminState(user.user.id, { siteAdmin: false });
    const r = await admin(['create-admin', user.user.username.toUpperCase(), '--generate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`"${user.user.username}" is now a site admin`);
    expect(r.stdout).not.toContain('generated password');
    expect(r.stderr).toMatch(/password and display name are left as they are/);
    expect((await repos.users.findById(user.user.id))?.siteAdmin).toBe(true);
    expect((await login(user.user.username, 'correct horse')).statusCode).toBe(200);

    const again = await admin(['create-admin', user.user.username]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is already a site admin');
    expect(await auditOf(user.user.id)).toMatchObject([{ action: 'user.site_admin_granted', actorId: null, details: { via: 'cli', created: false } }]);
  });

  it('refuses a password outside 8-256 characters, or none, with exit 1 and creates nothing', async () => {
    for (const stdin of ['short\n', `${'長'.repeat(257)}\n`, '', '\n']) {
      const name = uniqueName('adm');
      const r = await admin(['create-admin', name], { stdin });
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^parley admin: (the password must have 8-256 characters|no password given)/);
      expect(await repos.users.findByUsername(name)).toBeNull();
    }
    // 256 characters of Chinese are 768 bytes and still one password.
    const name = uniqueName('adm');
    expect((await admin(['create-admin', name], { stdin: `${'長'.repeat(256)}\r\n` })).code).toBe(0);
    expect((await login(name, '長'.repeat(256))).statusCode).toBe(200);
  });

  /** A terminal that types `answers` at the prompts (all of them at the first with `atOnce`). */
  async function onTerminal(argv: string[], answers: string[], atOnce = false): Promise<Run & { raw: boolean[] }> {
    const raw: boolean[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (on: boolean) => raw.push(on) });
    let stderr = '';
    let stdout = '';
    const io: AdminIo = {
      stdin: tty,
      stdout: { write: (t: string) => (stdout += t) },
      stderr: {
        write: (t: string) => {
          stderr += t;
          if (!/^(Password|Repeat it): $/.test(t)) return;
          const typed = atOnce ? answers.splice(0).join('') : answers.shift();
          if (typed) setImmediate(() => tty.write(typed));
        },
      },
      env: {},
    };
    const code = await runAdmin(argv, io, deps);
    return { code, stdout, stderr, raw };
  }

  it('prompts twice without echo on a terminal, taking backspace into account', async () => {
    const name = uniqueName('adm');
    const r = await onTerminal(['create-admin', name], ['typed secret!x\u007f\r', 'typed secret!\r']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.raw).toEqual([true, false, true, false]);
    expect(r.stderr + r.stdout).not.toContain('typed');
    expect((await login(name, 'typed secret!')).statusCode).toBe(200);

    const pasted = uniqueName('adm');
    expect((await onTerminal(['create-admin', pasted], ['pasted twice\r\n', 'pasted twice\r\n'], true)).code).toBe(0);
    expect((await login(pasted, 'pasted twice')).statusCode).toBe(200);

    const mismatch = await onTerminal(['reset-password', name], ['one password\r', 'another one\r']);
    expect(mismatch).toMatchObject({ code: 1, stdout: '' });
    expect(mismatch.stderr).toMatch(/parley admin: the two passwords do not match\n$/);
    const cancelled = await onTerminal(['reset-password', name], ['half\u0003']);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toMatch(/parley admin: cancelled\n$/);
    expect((await login(name, 'typed secret!')).statusCode).toBe(200);
  });
});

describe('reset-password', () => {
  it('sets the password and revokes every login session, keeping API tokens unless --revoke-tokens', async () => {
    const user = await register(testApp.app);
    const second = (await login(user.user.username, 'correct horse')).json().token as string;
    const apiToken = randomBytes(32).toString('base64url');
    await repos.sessions.create({ id: newId(), userId: user.user.id, tokenHash: hashToken(apiToken), kind: 'api', name: 'a script' });
    expect((await me(user.token)).statusCode).toBe(200);

    const r = await admin(['reset-password', user.user.username], { stdin: 'a new password\n' });
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('2 session(s) revoked; 1 API token(s) kept');
    expect((await me(user.token)).statusCode).toBe(401);
    expect((await me(second)).statusCode).toBe(401);
    expect((await me(apiToken)).statusCode).toBe(200);
    expect((await login(user.user.username, 'correct horse')).statusCode).toBe(401);
    expect((await login(user.user.username, 'a new password')).statusCode).toBe(200);
    expect(await auditOf(user.user.id)).toMatchObject([
      { action: 'user.password_reset', actorId: null, details: { via: 'cli', sessionsRevoked: 2, tokensRevoked: 0 } },
    ]);

    const again = await admin(['reset-password', user.user.username, '--revoke-tokens', '--generate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('1 session(s) revoked; 1 API token(s) revoked');
    expect((await me(apiToken)).statusCode).toBe(401);
    const generated = /generated password \(shown only now\): (\S+)/.exec(again.stdout)?.[1];
    expect((await login(user.user.username, generated!)).statusCode).toBe(200);
  });

  it('fails with exit 1 for an unknown user, a bot, or a bad password, changing nothing', async () => {
    const missing = await admin(['reset-password', 'nobody_here'], { stdin: 'long enough\n' });
    expect(missing).toMatchObject({ code: 1, stderr: 'parley admin: no user named "nobody_here"\n' });

    const bot = await repos.users.create({ id: newId(), username: uniqueName('bot'), displayName: 'Bot', passwordHash: null, bot: true });
    const botRun = await admin(['reset-password', bot!.username], { stdin: 'long enough\n' });
    expect(botRun.code).toBe(1);
    expect(botRun.stderr).toMatch(/is a bot/);
    expect((await repos.users.findById(bot!.id))?.passwordHash).toBeNull();

    const user = await register(testApp.app);
    const bad = await admin(['reset-password', user.user.username], { stdin: 'short\n' });
    expect(bad.code).toBe(1);
    expect((await me(user.token)).statusCode).toBe(200);
    expect((await login(user.user.username, 'correct horse')).statusCode).toBe(200);
  });
});

describe('list-users', () => {
  it('lists users as an aligned table or JSON lines, filtered to site admins or deactivated accounts', async () => {
    const plain = await register(testApp.app, uniqueName('plain'));
    await repos.users.setAdminState(plain.user.id, { siteAdmin: false });
    const chinese = uniqueName('zh');
    await testApp.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: chinese, password: 'correct horse', displayName: '张伟' } });
    const adminName = uniqueName('adm');
    expect((await admin(['create-admin', adminName, '--generate'])).code).toBe(0);
    const gone = await register(testApp.app, uniqueName('gone'));
    await repos.users.setAdminState(gone.user.id, { deactivatedAt: new Date(), siteAdmin: false });

    const table = await admin(['list-users']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USERNAME +DISPLAY NAME +SITE ADMIN +BOT +DEACTIVATED +CREATED$/);
    const column = (line: string, header: string) => displayWidth(line.slice(0, line.indexOf(header)));
    const adminLine = lines.find((l) => l.startsWith(adminName))!;
    const zhLine = lines.find((l) => l.startsWith(chinese))!;
    expect(zhLine).toContain('张伟');
    // The CREATED column starts at the same terminal column on every line, Chinese or not.
    const createdAt = column(lines[0]!, 'CREATED');
    for (const line of [adminLine, zhLine]) expect(displayWidth(line.slice(0, line.search(/\d{4}-\d\d-\d\d \d\d:\d\dZ$/)))).toBe(createdAt);
    expect(adminLine).toMatch(/ yes /);

    const json = await admin(['list-users', '--json']);
    const users = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(users.find((u) => u.username === chinese)).toMatchObject({ displayName: '张伟', siteAdmin: false, bot: false, deactivatedAt: null });
    expect(Object.keys(users[0]!).sort()).toEqual(['bot', 'createdAt', 'deactivatedAt', 'displayName', 'id', 'siteAdmin', 'username']);
    const names = users.map((u) => String(u.username).toLowerCase());
    expect(names).toEqual([...names].sort());

    const admins = (await admin(['list-users', '--admins', '--json'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(admins.every((u) => u.siteAdmin === true)).toBe(true);
    expect(admins.map((u) => u.username)).toContain(adminName);
    expect(admins.map((u) => u.username)).not.toContain(plain.user.username);

    const deactivated = await admin(['list-users', '--deactivated']);
    expect(deactivated.stdout).toContain(gone.user.username);
    expect(deactivated.stdout).not.toContain(plain.user.username);
    expect((await admin(['list-users', '--deactivated', '--admins'])).stdout).toContain('(no users)');
  });
});

describe('gc-files', () => {
  it('removes files and thumbnails no upload uses, after a --dry-run that lists them and removes nothing; files in use stay', async () => {
    const owner = await register(testApp.app);
    const kept = Buffer.from(`kept ${randomBytes(8).toString('hex')}`);
    const body = multipart('kept.txt', kept);
    const up = await testApp.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(owner.token), 'content-type': body.contentType }, payload: body.payload });
    expect(up.statusCode, up.body).toBe(201);
    const keptSha = createHash('sha256').update(kept).digest('hex');
    // A file no row names (a crash after a deletion's commit, or a restored older backup), with a thumbnail.
    const blobs = new LocalBlobStore(testApp.config.uploadDir);
    const orphan = Buffer.from(`orphan ${randomBytes(8).toString('hex')}`);
    const orphanSha = createHash('sha256').update(orphan).digest('hex');
    await blobs.putBuffer(orphanSha, orphan);
    await blobs.putBuffer(`${orphanSha}.thumb.webp`, Buffer.from('thumb'));

    const dry = await admin(['gc-files', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`unused: ${orphanSha}`);
    expect(dry.stdout).not.toContain(keptSha);
    expect(dry.stdout).toMatch(/\d+ stored files checked: \d+ unused \(nothing removed: --dry-run\)/);
    expect(await blobs.exists(orphanSha)).toBe(true);

    const run = await admin(['gc-files']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\d+ stored files checked: [1-9]\d* unused removed/);
    expect(await blobs.exists(orphanSha)).toBe(false);
    expect(await blobs.exists(`${orphanSha}.thumb.webp`)).toBe(false);
    expect(await blobs.exists(keptSha)).toBe(true);
    const download = await testApp.app.inject({ method: 'GET', url: `/api/v1/uploads/${up.json().id}`, headers: auth(owner.token) });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(kept)).toBe(true);

    // Nothing left to remove: a second run removes nothing.
    expect((await admin(['gc-files'])).stdout).toMatch(/: 0 unused removed/);
  });
});

describe('on the embedded database in DATA_DIR', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const dataDirDeps = (dir: string): AdminDeps => ({
    logger,
    open: () => openConfiguredDatabase(parseConfig({ DATA_DIR: dir }), logger),
    uploadDir: () => parseConfig({ DATA_DIR: dir }).uploadDir,
  });

  it('refuses a DATA_DIR held by a running process, telling to stop it or use DATABASE_URL, and touches nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-admin-'));
    dirs.push(dir);
    // The test runner's parent is alive for the whole test: it stands for the running server.
    fs.writeFileSync(path.join(dir, 'parley.lock'), JSON.stringify({ pid: process.ppid, host: os.hostname() }));
    const r = await admin(['create-admin', 'someone'], { stdin: 'long enough\n', deps: dataDirDeps(dir) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `parley admin: DATA_DIR ${dir} is in use by another process (pid ${process.ppid}), most likely the running server: stop the server first, or use DATABASE_URL\n`,
    );
    expect(fs.readdirSync(dir)).toEqual(['parley.lock']);
  });

  it('works on a DATA_DIR nobody holds, and releases it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-admin-'));
    dirs.push(dir);
    expect((await admin(['create-admin', 'first_admin'], { stdin: 'long enough\n', deps: dataDirDeps(dir) })).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'parley.lock'))).toBe(false);
    const listed = await admin(['list-users', '--json'], { deps: dataDirDeps(dir) });
    expect(listed.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toMatchObject([{ username: 'first_admin', siteAdmin: true }]);
  }, 60_000);
});
