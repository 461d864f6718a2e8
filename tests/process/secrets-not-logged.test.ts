/**
 * Tokens and passwords never reach the logs: the real server process at LOG_LEVEL=trace is
 * driven through every path that carries a secret (register, login, REST and WebSocket auth,
 * API and bot tokens, a webhook secret and its signatures, signed upload URLs, the metrics
 * token, bad tokens, a password reset from the admin CLI); then every log file and the
 * process's stdout and stderr are searched for each secret and its obvious encodings.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { expect, it, vi } from 'vitest';
import { createTestPostgresDatabase, dbKind } from '../helpers/app.js';
import { api, processFixture, runAdminCli, waitReady, type ServerProcess } from '../helpers/process.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const { tempDir, start } = processFixture('parley-secrets-');

/** A secret as it might appear in a log line: raw, JSON-escaped, URL-encoded, base64. */
function encodings(secret: string): string[] {
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    Buffer.from(secret, 'utf8').toString('base64'),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ];
  // Short fragments would match by chance; every secret here is 16+ characters.
  return [...new Set(forms)].filter((f) => f.length >= 12);
}

function readLogs(dir: string): string {
  if (!fs.existsSync(dir)) return '';
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

/** `{name: where it appeared}` for each secret found in the text (with a little context). */
function leaks(text: string, secrets: Record<string, string>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, secret] of Object.entries(secrets)) {
    for (const form of encodings(secret)) {
      const at = text.indexOf(form);
      if (at >= 0) found[name] = text.slice(Math.max(0, at - 200), at + form.length + 50);
    }
  }
  return found;
}

function wsFrames(server: ServerProcess): Promise<{ ws: WebSocket; frames: Record<string, unknown>[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/ws`);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

it('no token, password, signature or secret appears in any log line, at trace level', async () => {
  const root = tempDir();
  const logDir = path.join(root, 'logs');
  const db = dbKind === 'postgres' ? await createTestPostgresDatabase() : null;
  const receiver = await startWebhookReceiver();
  const metricsToken = 'metrics-secret-4f9c2a7d1e';
  const env = {
    DATA_DIR: path.join(root, 'data'),
    LOG_DIR: logDir,
    UPLOAD_DIR: path.join(root, 'uploads'),
    LOG_LEVEL: 'trace',
    WEBHOOK_ALLOW_PRIVATE: 'on',
    METRICS_TOKEN: metricsToken,
    ...(db ? { DATABASE_URL: db.url } : {}),
  };
  const secrets: Record<string, string> = { metricsToken };
  let server: ServerProcess | null = null;
  try {
    server = await start(env);
    await waitReady(server);
    const s = server;

    // Passwords with characters that JSON escapes, so an escaped copy would be caught too.
    secrets.alicePassword = 'alice "pässwörd" \\ 7c1e9';
    secrets.bobPassword = 'bob-password-<script>-90ab';
    secrets.wrongGuess = 'a-wrong-guess-e5d1c0ffee';
    const alice = await api(s, 'POST', '/auth/register', { username: 'alice_secrets', password: secrets.alicePassword });
    expect(alice.status).toBe(201);
    secrets.aliceRegisterToken = alice.json.token;
    const bob = await api(s, 'POST', '/auth/register', { username: 'bob_secrets', password: secrets.bobPassword });
    secrets.bobToken = bob.json.token;
    expect((await api(s, 'POST', '/auth/login', { username: 'alice_secrets', password: secrets.wrongGuess })).status).toBe(401);
    expect((await api(s, 'POST', '/auth/login', { username: 'nobody_here', password: secrets.wrongGuess })).status).toBe(401);
    const login = await api(s, 'POST', '/auth/login', { username: 'alice_secrets', password: secrets.alicePassword });
    expect(login.status).toBe(200);
    secrets.aliceLoginToken = login.json.token;
    const token = login.json.token as string;

    // REST with good and bad tokens, including a malformed body that carries a password.
    expect((await api(s, 'GET', '/users/me', undefined, token)).status).toBe(200);
    secrets.badToken = 'not-a-real-token-0123456789abcdef';
    secrets.badPat = 'parley_pat_AAAAbbbbCCCCddddEEEEffff0000';
    expect((await api(s, 'GET', '/users/me', undefined, secrets.badToken)).status).toBe(401);
    expect((await api(s, 'GET', '/users/me', undefined, secrets.badPat)).status).toBe(401);
    secrets.invalidRegisterPassword = 'short-' + 'x'.repeat(300);
    expect((await api(s, 'POST', '/auth/register', { username: 'x', password: secrets.invalidRegisterPassword })).status).toBe(400);
    const rawBad = await fetch(`${s.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"username":"alice_secrets","password":"${secrets.alicePassword.replace(/["\\]/g, '')}-broken-json`,
    });
    expect(rawBad.status).toBe(400);
    secrets.brokenJsonPassword = `${secrets.alicePassword.replace(/["\\]/g, '')}-broken-json`;

    // API token, bot and its tokens.
    const pat = await api(s, 'POST', '/users/me/tokens', { name: 'script' }, token);
    expect(pat.status).toBe(201);
    secrets.pat = pat.json.token;
    const bot = await api(s, 'POST', '/bots', { username: 'secretbot', displayName: 'Bot' }, token);
    expect(bot.status).toBe(201);
    secrets.botToken = bot.json.token;
    const botToken2 = await api(s, 'POST', `/bots/${bot.json.user.id}/tokens`, { name: 'second' }, token);
    secrets.botToken2 = botToken2.json.token;
    expect((await api(s, 'GET', '/users/me', undefined, secrets.pat)).status).toBe(200);
    expect((await api(s, 'GET', '/users/me', undefined, secrets.botToken)).status).toBe(200);

    // A group with a webhook: its secret, and the signature of each delivery.
    const group = await api(s, 'POST', '/groups', { name: 'secrets', memberIds: [bob.json.user.id, bot.json.user.id] }, token);
    const hook = await api(s, 'POST', `/groups/${group.json.id}/webhooks`, { url: receiver.url('/hook') }, token);
    expect(hook.status).toBe(201);
    secrets.webhookSecret = hook.json.secret;

    // WebSocket: a good login token, a PAT, and bad tokens.
    const a = await wsFrames(s);
    a.ws.send(JSON.stringify({ type: 'auth', token }));
    await vi.waitFor(() => expect(a.frames.some((f) => f.type === 'ready')).toBe(true));
    a.ws.send(JSON.stringify({ type: 'message.send', id: 1, conversationId: group.json.id, body: 'hello', clientMsgId: 's1' }));
    await vi.waitFor(() => expect(a.frames.some((f) => f.type === 'ack')).toBe(true));
    // A token pasted where it does not belong: in a frame's body is content, but in a bad frame it is not.
    a.ws.send(JSON.stringify({ type: 'no.such.frame', token }));
    a.ws.send(`{"type":"auth","token":"${secrets.pat}"`);
    await vi.waitFor(() => expect(a.frames.filter((f) => f.type === 'error').length).toBe(2));
    a.ws.close();
    const b = await wsFrames(s);
    b.ws.send(JSON.stringify({ type: 'auth', token: secrets.botToken2 }));
    await vi.waitFor(() => expect(b.frames.some((f) => f.type === 'ready')).toBe(true));
    b.ws.close();
    for (const bad of [secrets.badToken, secrets.badPat]) {
      const c = await wsFrames(s);
      c.ws.send(JSON.stringify({ type: 'auth', token: bad }));
      await new Promise((r) => c.ws.once('close', r));
    }
    const d = await wsFrames(s);
    d.ws.send(JSON.stringify({ type: 'auth', token: secrets.badToken, cursors: 'not an object' }));
    await new Promise((r) => d.ws.once('close', r));

    // A signed upload URL (and its thumbnail), fetched without a token.
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#aa3366' } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'secret.png');
    const up = await fetch(`${s.base}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(up.status).toBe(201);
    const upload = (await up.json()) as { url: string; thumbnailUrl: string };
    secrets.uploadSig = new URL(upload.url, s.base).searchParams.get('sig')!;
    secrets.thumbnailSig = new URL(upload.thumbnailUrl, s.base).searchParams.get('sig')!;
    expect((await fetch(new URL(upload.url, s.base))).status).toBe(200);
    expect((await fetch(new URL(upload.thumbnailUrl, s.base))).status).toBe(200);
    const forged = new URL(upload.url, s.base);
    forged.searchParams.set('sig', 'forged-signature-0123456789');
    secrets.forgedSig = 'forged-signature-0123456789';
    expect((await fetch(forged)).status).toBe(404);

    // Metrics with the right and a wrong token.
    expect((await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).status).toBe(200);
    secrets.wrongMetricsToken = 'wrong-metrics-token-123456';
    expect((await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${secrets.wrongMetricsToken}` } })).status).toBe(401);

    // The webhook delivery, signed with the secret.
    await vi.waitFor(() => expect(receiver.received('/hook').length).toBeGreaterThan(0), { timeout: 10_000 });
    secrets.webhookSignature = String(receiver.received('/hook')[0]!.headers['x-parley-signature']).replace(/^sha256=/, '');

    // Logout revokes the token (and the log says so without it).
    expect((await api(s, 'POST', '/auth/logout', undefined, secrets.aliceRegisterToken)).status).toBe(204);

    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);

    // A password reset from the admin CLI (the embedded database is free once the server stopped).
    secrets.resetPassword = 'reset-password-0f1e2d3c4b';
    const reset = await runAdminCli(['reset-password', 'bob_secrets'], env, `${secrets.resetPassword}\n`);
    const output = reset.stdout + reset.stderr;
    expect(reset.code, output).toBe(0);
    expect(leaks(output, secrets)).toEqual({});

    expect(Object.values(secrets).every((v) => typeof v === 'string' && v.length >= 16)).toBe(true);
    const files = readLogs(logDir);
    // The logs did record the requests (the search would prove nothing otherwise).
    expect(files).toContain('/api/v1/uploads/');
    expect(files).toContain('"level":10');
    expect(leaks(files, secrets)).toEqual({});
    expect(leaks(s.output(), secrets)).toEqual({});
  } finally {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await receiver.close();
    await db?.drop();
  }
}, 120_000);
