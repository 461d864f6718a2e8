import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { createTestPostgresDatabase, dbKind } from '../helpers/app.js';
import { api, processFixture, waitReady } from '../helpers/process.js';

const { tempDir, start } = processFixture('parley-proc-');

function dirsEnv(root: string): Record<string, string> {
  return { DATA_DIR: path.join(root, 'data'), LOG_DIR: path.join(root, 'logs'), UPLOAD_DIR: path.join(root, 'uploads') };
}

describe('start-up configuration', () => {
  it('stops with a message naming a bad PORT', async () => {
    const s = await start({ ...dirsEnv(tempDir()), PORT: 'eighty' });
    expect(await s.exited).toBe(1);
    expect(s.output()).toContain('Invalid PORT');
  });

  it('stops with a message naming a bad LOG_LEVEL and a bad DATABASE_URL', async () => {
    const a = await start({ ...dirsEnv(tempDir()), LOG_LEVEL: 'loud' });
    expect(await a.exited).toBe(1);
    expect(a.output()).toContain('Invalid LOG_LEVEL');
    const b = await start({ ...dirsEnv(tempDir()), DATABASE_URL: 'mysql://x@localhost/db' });
    expect(await b.exited).toBe(1);
    expect(b.output()).toContain('Invalid DATABASE_URL');
  });
});

describe.runIf(dbKind === 'pglite')('embedded DATA_DIR', () => {
  it('refuses a second live process, reopens after kill -9 with the data intact, and exits 0 on SIGTERM', async () => {
    const root = tempDir();
    const first = await start(dirsEnv(root));
    await waitReady(first);
    const reg = await api(first, 'POST', '/auth/register', { username: 'survivor', password: 'password123', displayName: '幸存者 🛟' });
    expect(reg.status).toBe(201);
    // Every line of that request, the service's own included, carries its request id; no secrets.
    // Read once the request's last line (Fastify's "request completed", same id) is in the files.
    const logs = await vi.waitFor(
      () => {
        const text = fs
          .readdirSync(path.join(root, 'logs'))
          .map((f) => fs.readFileSync(path.join(root, 'logs', f), 'utf8'))
          .join('');
        const registered = text.split('\n').find((l) => l.includes('"user registered"'));
        const reqId = /"reqId":"([0-9a-f]+)"/.exec(registered ?? '')?.[1];
        expect(reqId).toBeDefined();
        expect(text.split('\n').some((l) => l.includes(`"reqId":"${reqId}"`) && l.includes('"request completed"'))).toBe(true);
        return text;
      },
      { timeout: 5000 },
    );
    expect(logs).not.toContain('password123');
    expect(logs).not.toContain(reg.json.token);

    const second = await start(dirsEnv(root));
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by another Parley process/);

    first.child.kill('SIGKILL');
    await first.exited;

    const third = await start(dirsEnv(root));
    await waitReady(third);
    const login = await api(third, 'POST', '/auth/login', { username: 'SURVIVOR', password: 'password123' });
    expect(login.status).toBe(200);
    expect(login.json.user.displayName).toBe('幸存者 🛟');

    const t0 = Date.now();
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(fs.existsSync(path.join(root, 'data', 'parley.lock'))).toBe(false);
  }, 120_000);
});

describe('logs', () => {
  it("tag a WebSocket frame's lines, the services' own included, with the connection id; API tokens never appear; each trim of the C heap is logged", async () => {
    const root = tempDir();
    const db = dbKind === 'postgres' ? await createTestPostgresDatabase() : null;
    try {
      // MEMORY_TRIM_SECONDS=1: the first trim 1 s after ready (src/core/memory-trim.ts), through
      // the compiled build's koffi (a runtime dependency, not bundled) to glibc's malloc_trim.
      const server = await start({ ...dirsEnv(root), LOG_LEVEL: 'debug', MEMORY_TRIM_SECONDS: '1', ...(db ? { DATABASE_URL: db.url } : {}) });
      await waitReady(server);
      const reg = await api(server, 'POST', '/auth/register', { username: 'logger', password: 'password123' });
      const group = await api(server, 'POST', '/groups', { name: 'logs' }, reg.json.token);
      const pat = await api(server, 'POST', '/users/me/tokens', { name: 'bot' }, reg.json.token);
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/ws`);
      const frames: Record<string, unknown>[] = [];
      ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ type: 'auth', token: pat.json.token }));
      await vi.waitFor(() => expect(frames.some((f) => f.type === 'ready')).toBe(true));
      const connectionId = frames.find((f) => f.type === 'ready')!.connectionId as string;
      ws.send(JSON.stringify({ type: 'message.send', id: 1, conversationId: group.json.id, body: 'logged', clientMsgId: 'l1' }));
      await vi.waitFor(() => expect(frames.some((f) => f.type === 'ack')).toBe(true));
      ws.close();
      await vi.waitFor(() => {
        const lines = fs
          .readdirSync(path.join(root, 'logs'))
          .flatMap((f) => fs.readFileSync(path.join(root, 'logs', f), 'utf8').split('\n'));
        const stored = lines.find((l) => l.includes('"message stored"'));
        expect(stored).toContain(`"connectionId":"${connectionId}"`);
        expect(lines.join('\n')).not.toContain(pat.json.token);
        const trimmed = lines.find((l) => l.includes('"C heap trimmed"'));
        expect(trimmed).toBeDefined();
        expect(JSON.parse(trimmed!)).toMatchObject({ returned: expect.any(Boolean), rssBeforeMiB: expect.any(Number), rssAfterMiB: expect.any(Number) });
      }, { timeout: 5000 });
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await db?.drop();
    }
  }, 120_000);
});

describe.runIf(dbKind === 'postgres')('on a PostgreSQL server', () => {
  it('migrates, serves, exits 0 on SIGTERM and keeps its data across a restart', async () => {
    const db = await createTestPostgresDatabase();
    try {
      const env = { ...dirsEnv(tempDir()), DATABASE_URL: db.url };
      // Two nodes starting together race on migrations: the advisory lock serialises them.
      const [a, b] = await Promise.all([start(env), start(env)]);
      await Promise.all([waitReady(a), waitReady(b)]);
      expect((await api(a, 'POST', '/auth/register', { username: 'pguser', password: 'password123' })).status).toBe(201);
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
      const c = await start(env);
      await waitReady(c);
      expect((await api(c, 'POST', '/auth/login', { username: 'pguser', password: 'password123' })).status).toBe(200);
      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
    } finally {
      await db.drop();
    }
  }, 120_000);
});
