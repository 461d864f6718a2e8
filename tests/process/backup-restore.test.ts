/**
 * The backup procedure of docs/admin.md for the embedded database, with the real process: stop
 * the server, copy DATA_DIR and UPLOAD_DIR with `cp -a`, put the copy back, start, and read
 * everything back through the API. The admin CLI (`src/admin-cli.ts`) refuses the DATA_DIR of a
 * running server and works on a stopped one.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { api, processFixture, runAdminCli, waitReady, type ServerProcess } from '../helpers/process.js';

const fixture = processFixture('parley-backup-');
const tempDir = fixture.tempDir;

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await fixture.start(env);
  await waitReady(server);
  return server;
}

describe.runIf(dbKind === 'pglite')('backup and restore of the embedded database', () => {
  it('restores users, groups, messages, files and signed URLs from a copy of a stopped DATA_DIR and UPLOAD_DIR', async () => {
    const root = tempDir();
    const env = { DATA_DIR: path.join(root, 'data'), UPLOAD_DIR: path.join(root, 'uploads'), LOG_DIR: path.join(root, 'logs') };
    const before = await start(env);

    const reg = await api(before, 'POST', '/auth/register', { username: 'keeper', password: 'password123', displayName: '保管员 🗄️' });
    expect(reg.status).toBe(201);
    const token = reg.json.token as string;
    const group = await api(before, 'POST', '/groups', { name: '备份测试组', description: '每周备份' }, token);
    expect(group.status).toBe(201);
    const file = new FormData();
    file.append('file', new Blob([Buffer.from('季度报告：一切正常\n', 'utf8')], { type: 'text/plain' }), 'report.txt');
    const uploaded = await fetch(`${before.base}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: file });
    expect(uploaded.status).toBe(201);
    const upload = (await uploaded.json()) as { id: string; url: string };
    const bodies = ['备份之前的第一条消息', 'the second message, in English', '第三条：带表情 🎉'];
    for (const [i, body] of bodies.entries()) {
      const sent = await api(before, 'POST', `/conversations/${group.json.id}/messages`, { body, clientMsgId: `m${i}`, ...(i === 0 ? { attachmentIds: [upload.id] } : {}) }, token);
      expect(sent.status).toBe(201);
    }

    // While the server runs, the admin CLI refuses its DATA_DIR rather than open it a second time.
    const refused = await runAdminCli(['list-users'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^parley admin: DATA_DIR .* is in use by another process \(pid \d+\).*stop the server first, or use DATABASE_URL\n$/);

    // 1. Stop the server: SIGTERM, exit 0, the lock released.
    before.child.kill('SIGTERM');
    expect(await before.exited).toBe(0);
    expect(fs.existsSync(path.join(env.DATA_DIR, 'parley.lock'))).toBe(false);

    // 2. Back up both folders, then lose the originals.
    const backup = tempDir();
    execFileSync('cp', ['-a', env.DATA_DIR, path.join(backup, 'data')]);
    execFileSync('cp', ['-a', env.UPLOAD_DIR, path.join(backup, 'uploads')]);
    fs.rmSync(env.DATA_DIR, { recursive: true });
    fs.rmSync(env.UPLOAD_DIR, { recursive: true });

    // 3. Restore: put them back (the CLI works on the stopped copy), then start.
    execFileSync('cp', ['-a', path.join(backup, 'data'), env.DATA_DIR]);
    execFileSync('cp', ['-a', path.join(backup, 'uploads'), env.UPLOAD_DIR]);
    const created = await runAdminCli(['create-admin', 'restorer'], { ...env, PARLEY_PASSWORD: 'restored password' });
    expect(created, created.stderr).toMatchObject({ code: 0, stdout: 'created site admin "restorer"\n' });
    const after = await start(env);

    const login = await api(after, 'POST', '/auth/login', { username: 'keeper', password: 'password123' });
    expect(login.status).toBe(200);
    expect(login.json.user.displayName).toBe('保管员 🗄️');
    // Sessions are in the database too: the token from before the backup still works.
    expect((await api(after, 'GET', '/users/me', undefined, token)).status).toBe(200);
    const restoredGroup = await api(after, 'GET', `/groups/${group.json.id}`, undefined, token);
    expect(restoredGroup.json).toMatchObject({ name: '备份测试组', description: '每周备份', lastSeq: 3 });
    const history = await api(after, 'GET', `/conversations/${group.json.id}/messages`, undefined, token);
    expect(history.json.messages.map((m: { body: string }) => m.body)).toEqual(bodies);
    expect(history.json.messages[0].attachments).toMatchObject([{ id: upload.id, filename: 'report.txt' }]);
    // The file came back with UPLOAD_DIR, and a URL signed before the backup still opens it: the
    // signing secret lives in the database.
    const bytes = await fetch(`${after.base}${upload.url}`);
    expect(bytes.status).toBe(200);
    expect(await bytes.text()).toBe('季度报告：一切正常\n');
    expect((await api(after, 'POST', '/auth/login', { username: 'restorer', password: 'restored password' })).status).toBe(200);

    after.child.kill('SIGTERM');
    expect(await after.exited).toBe(0);
  }, 180_000);
});
