/**
 * The compiled build, as `npm start` runs it (scripts/start.mjs → dist/server/main.js): it starts
 * on a fresh DATA_DIR unpacked from the build's empty database, serves the web client and the API,
 * and runs the admin CLI; nothing of the dev loop (tsx, Vite) is on its path.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { api, processFixture, ROOT, waitReady } from '../helpers/process.js';

const fx = processFixture('parley-compiled-');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

// Always the embedded database: one run is enough (tests/db-flavour.ts).
describe.runIf(dbKind === 'pglite')('the compiled build (npm start)', () => {
  it('starts a fresh DATA_DIR from the build, serves the web client and the API, and never loads the dev tools', async () => {
    const dir = fx.tempDir();
    const env = { DATABASE_URL: '', REDIS_URL: '', DATA_DIR: path.join(dir, 'data'), UPLOAD_DIR: path.join(dir, 'uploads'), LOG_DIR: path.join(dir, 'logs'), RATE_LIMIT: 'off' };
    const server = await fx.start(env);
    await waitReady(server);
    // The build made everything start.mjs checks (npm test builds first; else start.mjs did).
    for (const f of ['dist/server/main.js', 'dist/web/index.html', 'dist/pglite-template/stamp.json', 'dist/pglite-template/pgdata/PG_VERSION', 'dist/build-stamp']) {
      expect(fs.existsSync(path.join(ROOT, f)), f).toBe(true);
    }
    expect(server.output()).toMatch(/"from":"the build".*"msg":"created the embedded database"/);
    // The compiled server serves the build's web client as it is: no Vite, no "building" page.
    const page = await fetch(`${server.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<script type="module"[^>]+src="\/assets\//);
    expect(server.output()).not.toMatch(/building|vite/i);
    // No TypeScript loader in the process: its command line is plain node on the build.
    const cmdline = fs.readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).not.toContain('tsx');

    const reg = await api(server, 'POST', '/auth/register', { username: 'compiled_user', password: 'correct horse battery' });
    expect(reg.status).toBe(201);
    const group = await api(server, 'POST', '/groups', { name: '编译 build' }, reg.json.token);
    expect(group.status).toBe(201);
    const sent = await api(server, 'POST', `/conversations/${group.json.id}/messages`, { body: '你好 from the build 👋' }, reg.json.token);
    expect(sent.status).toBe(201);
    const history = await api(server, 'GET', `/conversations/${group.json.id}/messages`, undefined, reg.json.token);
    expect(history.json.messages.map((m: { body: string }) => m.body)).toContain('你好 from the build 👋');
  });

  it('runs the admin CLI from the build (npm run admin)', async () => {
    const dir = fx.tempDir();
    const r = await run(['scripts/start.mjs', 'admin-cli', 'help'], { DATA_DIR: path.join(dir, 'data') });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/backup/);
  });
});
