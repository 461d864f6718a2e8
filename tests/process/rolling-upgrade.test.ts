/**
 * Rolling upgrades: the previous release (deploy/previous-release, taken from git) and this one on
 * the same database. This release's migrations must leave a schema the previous release still
 * works on, so a cluster can be upgraded one node at a time (and rolled back):
 * - embedded database: previous release writes, this release migrates and writes, the previous
 *   release starts again on the migrated data and reads and writes everything;
 * - PostgreSQL: both releases serve the same database at the same time.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestPostgresDatabase, dbKind } from '../helpers/app.js';
import { api, freePort, processFixture, ROOT, waitReady, type ServerProcess } from '../helpers/process.js';

const PREVIOUS = fs
  .readFileSync(path.join(ROOT, 'deploy', 'previous-release'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .find((l) => /^[0-9a-f]{40}$/.test(l))!;

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The previous release's commit, fetched when this clone lacks it (a shallow clone: CI's usually
 * are) from the clone's origin. Null, with the reason, when it cannot be had: the suite is then
 * skipped under a title that says why, never silently.
 */
const missing: string | null = (() => {
  const has = () => {
    try {
      return git(['cat-file', '-t', PREVIOUS]) === 'commit';
    } catch {
      return false;
    }
  };
  if (has()) return null;
  for (const args of [['fetch', '--quiet', '--depth=1', 'origin', PREVIOUS], ['fetch', '--quiet', '--unshallow', 'origin']]) {
    try {
      git(args);
    } catch {
      // the next way, or the reason below
    }
    if (has()) return null;
  }
  return `commit ${PREVIOUS.slice(0, 7)} is not in this clone and could not be fetched from origin`;
})();

const fx = processFixture('parley-upgrade-');
let oldRoot = '';

/** The previous release's server, from its own source tree (sharing this one's node_modules). */
function startOld(env: Record<string, string>, port: number): ServerProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: oldRoot,
    env: { ...process.env, LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', RATE_LIMIT: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => out, exited };
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
}

interface Seen {
  alice: { token: string; id: string };
  bob: { token: string; id: string };
  groupId: string;
}

/** Sends over the WebSocket (auth, ack) as the previous release's clients do. */
async function sendOverWs(server: ServerProcess, token: string, conversationId: string, body: string): Promise<{ seq: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/ws`);
  const frames: Record<string, unknown>[] = [];
  const result = new Promise<{ seq: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack: ${JSON.stringify(frames)}`)), 15_000);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Record<string, unknown>;
      frames.push(f);
      if (f.type === 'ready') ws.send(JSON.stringify({ type: 'message.send', id: 's1', conversationId, body, clientMsgId: randomUUID() }));
      if (f.type === 'ack') {
        clearTimeout(timer);
        resolve({ seq: (f.message as { seq: number }).seq });
      }
      if (f.type === 'error') reject(new Error(JSON.stringify(f)));
    });
    ws.on('close', (code) => reject(new Error(`closed ${code}: ${JSON.stringify(frames)}`)));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'auth', token }));
  try {
    return await result;
  } finally {
    ws.terminate();
  }
}

async function history(server: ServerProcess, token: string, groupId: string): Promise<{ seq: number; body: string }[]> {
  const res = await api(server, 'GET', `/conversations/${groupId}/messages?limit=100`, undefined, token);
  expect(res.status).toBe(200);
  return res.json.messages as { seq: number; body: string }[];
}

/** What any node, old or new, must do on the shared data: sign in, read, send, edit, react, search. */
async function exercise(server: ServerProcess, seen: Seen, tag: string): Promise<void> {
  const login = await api(server, 'POST', '/auth/login', { username: 'upgrade_alice', password: 'correct horse battery' });
  expect(login.status).toBe(200);
  const sent = await api(server, 'POST', `/conversations/${seen.groupId}/messages`, { body: `${tag} 你好 👋 @upgrade_bob`, clientMsgId: randomUUID() }, seen.alice.token);
  expect(sent.status).toBe(201);
  expect(sent.json.mentions).toEqual([seen.bob.id]);
  const viaWs = await sendOverWs(server, seen.bob.token, seen.groupId, `${tag} over ws`);
  expect(viaWs.seq).toBe(sent.json.seq + 1);
  expect((await api(server, 'PATCH', `/messages/${sent.json.id}`, { body: `${tag} edited 你好` }, seen.alice.token)).status).toBe(200);
  expect((await api(server, 'PUT', `/messages/${sent.json.id}/reactions/${encodeURIComponent('👍')}`, undefined, seen.bob.token)).status).toBe(204);
  const search = await api(server, 'GET', `/search/messages?q=${encodeURIComponent(tag)}`, undefined, seen.bob.token);
  expect(search.status).toBe(200);
  expect(search.json.messages.length).toBeGreaterThanOrEqual(1);
  const inbox = await api(server, 'GET', '/conversations', undefined, seen.bob.token);
  expect(inbox.status).toBe(200);
  expect(inbox.json.conversations.map((c: { id: string }) => c.id)).toContain(seen.groupId);
}

/** The conversation's events feed is 1..n with no gap (each exercise writes 4: two sends, an edit, a reaction). */
async function expectGapFree(server: ServerProcess, token: string, groupId: string, n: number): Promise<void> {
  const res = await api(server, 'GET', `/conversations/${groupId}/events?after=0&limit=100`, undefined, token);
  expect(res.status).toBe(200);
  expect(res.json.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

async function setUp(server: ServerProcess): Promise<Seen> {
  const a = await api(server, 'POST', '/auth/register', { username: 'upgrade_alice', password: 'correct horse battery' });
  const b = await api(server, 'POST', '/auth/register', { username: 'upgrade_bob', password: 'correct horse battery' });
  expect([a.status, b.status]).toEqual([201, 201]);
  const g = await api(server, 'POST', '/groups', { name: 'Upgrade 升级', memberIds: [b.json.user.id] }, a.json.token);
  expect(g.status).toBe(201);
  return { alice: { token: a.json.token, id: a.json.user.id }, bob: { token: b.json.token, id: b.json.user.id }, groupId: g.json.id };
}

describe.skipIf(missing !== null)(`rolling upgrade from the previous release (${PREVIOUS.slice(0, 7)})${missing ? `: SKIPPED, ${missing}` : ''}`, () => {
  beforeAll(() => {
    // A full clone must have it: a missing commit means deploy/previous-release is wrong.
    git(['cat-file', '-e', `${PREVIOUS}^{commit}`]);
    oldRoot = fx.tempDir();
    const archive = execFileSync('git', ['archive', '--format=tar', PREVIOUS, 'src', 'package.json', 'tsconfig.json'], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', oldRoot], { input: archive });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(oldRoot, 'node_modules'));
    // The API is what is under test: a built page newer than its (absent) sources, so no build runs.
    fs.mkdirSync(path.join(oldRoot, 'dist', 'web'), { recursive: true });
    fs.writeFileSync(path.join(oldRoot, 'dist', 'web', 'index.html'), '<!doctype html><title>previous release</title>');
  });
  afterAll(() => {
    if (oldRoot) fs.rmSync(oldRoot, { recursive: true, force: true });
  });

  it.runIf(dbKind === 'pglite')('embedded database: previous → this release → previous again, every node reads and writes it all', { timeout: 240_000 }, async () => {
    const dir = fx.tempDir();
    const env = { DATA_DIR: path.join(dir, 'data'), UPLOAD_DIR: path.join(dir, 'uploads'), LOG_DIR: path.join(dir, 'logs'), RATE_LIMIT: 'off' };

    const old1 = startOld(env, await freePort());
    await waitReady(old1, 120_000);
    const seen = await setUp(old1);
    await exercise(old1, seen, 'old-before');
    await stop(old1);

    const current = await fx.start(env);
    await waitReady(current, 120_000);
    const health = await fetch(`${current.base}/healthz`).then((r) => r.json() as Promise<{ version: string }>);
    expect(health.version).toBeTruthy();
    await exercise(current, seen, 'new-node');
    await stop(current);

    // Rolled back (or not yet upgraded): the previous release on the migrated schema.
    const old2 = startOld(env, await freePort());
    await waitReady(old2, 120_000);
    await exercise(old2, seen, 'old-after');
    const all = await history(old2, seen.alice.token, seen.groupId);
    await expectGapFree(old2, seen.alice.token, seen.groupId, 12);
    expect(all.map((m) => m.body)).toEqual([
      'old-before edited 你好',
      'old-before over ws',
      'new-node edited 你好',
      'new-node over ws',
      'old-after edited 你好',
      'old-after over ws',
    ]);
    await stop(old2);
  });

  it.runIf(dbKind === 'postgres')('PostgreSQL: the previous release and this one serve the same database at once', { timeout: 240_000 }, async () => {
    const db = await createTestPostgresDatabase();
    try {
      const dir = fx.tempDir();
      const env = { DATABASE_URL: db.url, UPLOAD_DIR: path.join(dir, 'uploads'), LOG_DIR: path.join(dir, 'logs'), DATA_DIR: path.join(dir, 'data'), RATE_LIMIT: 'off' };
      const old = startOld(env, await freePort());
      await waitReady(old, 120_000);
      const seen = await setUp(old);
      await exercise(old, seen, 'old-before');
      // The new node migrates the schema while the old one keeps serving.
      const current = await fx.start(env);
      await waitReady(current, 120_000);
      await exercise(current, seen, 'new-node');
      await exercise(old, seen, 'old-after');
      const fromOld = await history(old, seen.bob.token, seen.groupId);
      const fromNew = await history(current, seen.bob.token, seen.groupId);
      // The same messages, with what this release adds to a Message (threads).
      expect(fromNew).toEqual(fromOld.map((m) => ({ ...m, threadId: null, alsoInConversation: false, thread: null })));
      await expectGapFree(current, seen.bob.token, seen.groupId, 12);
      await expectGapFree(old, seen.bob.token, seen.groupId, 12);
      expect(fromNew.map((m) => m.body)).toEqual([
        'old-before edited 你好',
        'old-before over ws',
        'new-node edited 你好',
        'new-node over ws',
        'old-after edited 你好',
        'old-after over ws',
      ]);
      await stop(current);
      await stop(old);
    } finally {
      await db.drop();
    }
  });
});
