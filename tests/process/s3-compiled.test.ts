/**
 * The compiled build with UPLOAD_STORE=s3: the AWS SDK is a chunk of its own that the default
 * server never loads; a server on the bucket starts (also while the bucket is down: it says so
 * and answers 503 for files), stores and serves a file; and the admin CLI from the build copies
 * it to local disk beside the running server on the embedded database. The key's secret is in
 * no log line, at trace level.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from '../helpers/app.js';
import { api, freePort, processFixture, ROOT, SERVER_DIST, staticGraph, waitReady } from '../helpers/process.js';
import { TestS3 } from '../helpers/s3.js';

const fx = processFixture('parley-s3-compiled-');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** s3rver takes any secret: one that would be noticed in a log. */
const SECRET = 'parley-s3-secret-9f3c1a7e5b';

/** The server's stdout, stderr and log files. */
function everything(server: { output(): string }, logDir: string): string {
  const files = fs.existsSync(logDir) ? fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')) : [];
  return [server.output(), ...files].join('\n');
}

async function uploadTo(base: string, token: string, data: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([data]), 'build.txt');
  return fetch(`${base}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

describe.runIf(dbKind === 'pglite')('the compiled build on S3', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await TestS3.start();
  });
  afterAll(async () => s3?.close());

  it('keeps the AWS SDK out of the default start: a chunk of its own, loaded only by the S3 store', () => {
    const graph = staticGraph('main.js');
    expect(graph.length).toBeGreaterThan(2);
    for (const file of graph) expect(fs.readFileSync(path.join(SERVER_DIST, file), 'utf8'), file).not.toMatch(/S3Client|@aws-sdk/);
    const s3Chunk = fs.readdirSync(SERVER_DIST).find((f) => /^s3-blob-store-.*\.js$/.test(f));
    expect(s3Chunk).toBeDefined();
    expect(fs.readFileSync(path.join(SERVER_DIST, s3Chunk!), 'utf8')).toMatch(/S3Client/);
  });

  it('starts on the bucket, stores and serves a file, and move-files from the build copies it beside the live server', async () => {
    const dir = fx.tempDir();
    const env = {
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: path.join(dir, 'data'),
      UPLOAD_DIR: path.join(dir, 'uploads'),
      LOG_DIR: path.join(dir, 'logs'),
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'trace',
      ...s3.env('compiled'),
      AWS_SECRET_ACCESS_KEY: SECRET,
    };
    const server = await fx.start(env);
    await waitReady(server);
    const reg = await api(server, 'POST', '/auth/register', { username: 's3_build_user', password: 'correct horse battery' });
    expect(reg.status).toBe(201);
    const data = Buffer.from(`from the build ${Date.now()}`);
    const res = await uploadTo(server.base, reg.json.token, data);
    expect(res.status).toBe(201);
    const up = (await res.json()) as { url: string };
    const file = await fetch(`${server.base}${up.url}`);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true);
    expect(server.output()).toMatch(/upload store: S3 bucket reachable/);
    expect(fs.readdirSync(env.UPLOAD_DIR).filter((n) => n !== 'tmp')).toEqual([]);

    // The embedded database is held by the server: move-files does not need it.
    const moved = await run(['scripts/start.mjs', 'admin-cli', 'move-files', '--to', 'local'], env);
    expect(moved.out).toMatch(/1 files: 1 copied/);
    expect(moved.code).toBe(0);
    expect(fs.readdirSync(env.UPLOAD_DIR).filter((n) => n !== 'tmp')).toHaveLength(1);
    expect(everything(server, env.LOG_DIR) + moved.out).not.toContain(SECRET);
  });

  it('starts while the bucket is down, says so, and answers 503 for an upload', async () => {
    const dir = fx.tempDir();
    const closed = await freePort();
    const env = {
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: path.join(dir, 'data'),
      UPLOAD_DIR: path.join(dir, 'uploads'),
      LOG_DIR: path.join(dir, 'logs'),
      RATE_LIMIT: 'off',
      S3_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'trace',
      ...s3.env('down', `http://127.0.0.1:${closed}`),
      AWS_SECRET_ACCESS_KEY: SECRET,
    };
    const server = await fx.start(env);
    await waitReady(server);
    const reg = await api(server, 'POST', '/auth/register', { username: 's3_down_user', password: 'correct horse battery' });
    expect(reg.status).toBe(201);
    const res = await uploadTo(server.base, reg.json.token, Buffer.from('nowhere to go'));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    expect(server.output()).toMatch(/the S3 bucket cannot be reached \(no answer\)/);
    expect(server.output()).toMatch(/S3 call failed/);
    // At trace level, with the SDK's errors logged: the key's secret is in none of it.
    expect(everything(server, env.LOG_DIR)).not.toContain(SECRET);
  });
});
