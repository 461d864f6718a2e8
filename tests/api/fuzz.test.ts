/**
 * REST fuzzing (issue 8): every route the app has (read from Fastify, so new routes are covered)
 * gets valid requests of a small world (users, a group, a direct chat, a message, an upload, a
 * token, a bot) and mutations of them: bodies, path params, query strings and headers. Whatever
 * comes in, the answer is never a 5xx, every 4xx is the contract's {error:{code,message}} with a
 * known code of that status, and the server still serves afterwards.
 *
 * Default: a few hundred inputs. Long mode: `npm run fuzz` (FUZZ_RUNS inputs, figures printed);
 * FUZZ_SEED=<seed> replays a failure fast-check reported.
 */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, auth, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';
import {
  budgetMs,
  contractErrorProblem,
  fcParams,
  formatMemory,
  HEAP_GROWTH_LIMIT_MB,
  HEAP_SECOND_HALF_LIMIT_MB,
  FuzzStats,
  fuzzEnv,
  fuzzRuns,
  longMode,
  memoryAfterGc,
  numberLiteral,
  rawJsonText,
  weirdString,
  weirdValue,
  type MemoryReading,
} from '../helpers/fuzz.js';

const API = '/api/v1';
const RUNS = fuzzRuns(400);
const PASSWORD = 'correct horse';

interface Route {
  method: string;
  path: string;
}

/** Every route of the app, from Fastify's own route tree. */
function listRoutes(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4 - 1;
    const path = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) routes.push({ method, path });
  }
  return routes;
}

interface World {
  alice: Account; // owner of the group, site admin
  bob: Account; // member of the group, alice's direct peer
  carol: Account; // in nothing
  groupId: string;
  directId: string;
  messageId: string;
  uploadId: string;
  uploadQuery: Record<string, string>;
  tokenId: string;
  botId: string;
  inviteCode: string;
  /** A custom emoji's name. */
  emojiName: string;
}

/** A 1×1 PNG: the smallest image a custom emoji takes. */
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** POST /emoji's body: the name, then the image. */
function emojiForm(name: string): { payload: Buffer; contentType: string } {
  const boundary = `----fuzz${randomUUID()}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n${name}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="e.png"\r\nContent-Type: image/png\r\n\r\n`;
  return { payload: Buffer.concat([Buffer.from(head), TINY_PNG, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

function multipart(field: string, filename: string, data: Buffer, partType = 'text/plain'): { payload: Buffer; contentType: string } {
  const boundary = `----fuzz${randomUUID()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${partType}\r\n\r\n`);
  return { payload: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

let t: TestApp;
let root: Account;
let world: World;
let routes: Route[];

async function ok(res: Promise<{ statusCode: number; body: string; json(): unknown }>, status: number): Promise<Record<string, unknown>> {
  const r = await res;
  if (r.statusCode !== status) throw new Error(`world setup: expected ${status}, got ${r.statusCode} ${r.body}`);
  return (r.body ? r.json() : {}) as Record<string, unknown>;
}

const call = apiCaller(() => t.app);

/** A fresh world: new users and things, alice made site admin by the first user. */
async function buildWorld(): Promise<World> {
  const [alice, bob, carol] = [await register(t.app), await register(t.app), await register(t.app)];
  await ok(call('PATCH', `/admin/users/${alice.user.id}`, root, { siteAdmin: true }), 200);
  const group = await ok(call('POST', '/groups', alice, { name: 'fuzz group', visibility: 'public', memberIds: [bob.user.id] }), 201);
  const direct = await ok(call('POST', '/conversations/direct', alice, { userId: bob.user.id }), 201);
  const message = await ok(call('POST', `/conversations/${String(group.id)}/messages`, alice, { body: 'hello fuzz 你好', clientMsgId: randomUUID() }), 201);
  const body = multipart('file', 'notes.txt', Buffer.from('plain text for the fuzzer\n'));
  const upload = await ok(
    t.app.inject({ method: 'POST', url: `${API}/uploads`, headers: { ...auth(alice.token), 'content-type': body.contentType }, payload: body.payload }),
    201,
  );
  const token = await ok(call('POST', '/users/me/tokens', alice, { name: 'fuzz token' }), 201);
  const bot = await ok(call('POST', '/bots', alice, { username: uniqueName('bot') }), 201);
  const invite = await ok(call('POST', '/admin/invites', alice, { maxUses: 1000 }), 201);
  const emojiName = `fz_${randomUUID().slice(0, 8)}`;
  const emoji = emojiForm(emojiName);
  await ok(t.app.inject({ method: 'POST', url: `${API}/emoji`, headers: { ...auth(alice.token), 'content-type': emoji.contentType }, payload: emoji.payload }), 201);
  const url = new URL(String(upload.url), 'http://x');
  return {
    alice,
    bob,
    carol,
    groupId: String(group.id),
    directId: String(direct.id),
    messageId: String(message.id),
    uploadId: String(upload.id),
    uploadQuery: Object.fromEntries(url.searchParams),
    tokenId: String(token.id),
    botId: String((bot.user as { id: string }).id),
    inviteCode: String(invite.code),
    emojiName,
  };
}

/** The valid value of a path parameter of a route. */
function validParam(path: string, name: string, w: World): string {
  if (name === '*') return 'index.html';
  if (name === 'userId') return w.bob.user.id;
  if (name === 'hookId' || name === 'commandId') return randomUUID();
  if (name === 'emoji') return '👍';
  if (name === 'messageId') return w.messageId;
  if (name === 'code') return w.inviteCode;
  if (name === 'name' && path.includes('/emoji/')) return w.emojiName;
  if (path.includes('/groups/:id') || path.includes('/conversations/:id')) return w.groupId;
  if (path.includes('/messages/:id') || path.includes('/threads/:id')) return w.messageId;
  if (path.includes('/admin/users/:id')) return w.carol.user.id;
  if (path.includes('/users/me/tokens/:id')) return w.tokenId;
  if (path.includes('/users/:id')) return w.bob.user.id;
  if (path.includes('/uploads/:id')) return w.uploadId;
  if (path.includes('/bots/:id')) return w.botId;
  return randomUUID();
}

/** A valid body for a route (undefined: none), and a valid query. */
function validRequest(route: Route, w: World): { body?: unknown; query: Record<string, string> } {
  const key = `${route.method} ${route.path.replace(API, '')}`;
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const bodies: Record<string, unknown> = {
    'POST /auth/register': { username: uniqueName('fz'), password: PASSWORD, displayName: 'Fuzz 测试 😀' },
    'POST /auth/login': { username: w.alice.user.username, password: PASSWORD },
    'PATCH /admin/users/:id': { siteAdmin: false },
    'PATCH /users/me': { displayName: 'Renamed Ünïcode', locale: 'zh-CN', theme: 'dark' },
    'POST /users/me/tokens': { name: 'another token' },
    'POST /groups': { name: 'a new group', description: 'made by the fuzzer', visibility: 'private', memberIds: [w.bob.user.id] },
    'PATCH /groups/:id': { name: 'renamed group', description: null },
    'POST /groups/:id/members': { userId: w.carol.user.id },
    'PATCH /groups/:id/members/:userId': { role: 'admin' },
    'PUT /groups/:id/mutes/:userId': { until: future },
    'POST /groups/:id/webhooks': { url: 'http://127.0.0.1:9/hook' },
    'POST /groups/:id/incoming-webhooks': { name: 'fuzz hook' },
    // A public address given literally: checked without a resolver, never called (no command is run).
    'POST /groups/:id/commands': { trigger: 'fuzz', url: 'http://93.184.215.14/cmd', description: 'made by the fuzzer', usage: '[what]' },
    'POST /conversations/direct': { userId: w.carol.user.id },
    'POST /conversations/:id/messages': { body: 'fuzzed hello', clientMsgId: randomUUID(), replyTo: w.messageId },
    'POST /conversations/:id/read': { seq: 1 },
    'POST /conversations/:id/commands': { command: '/shrug', text: 'fuzz' },
    'PUT /users/me/status': { text: 'fuzzing', emoji: '🧪' },
    'PUT /users/me/dnd': { until: new Date(Date.now() + 3_600_000).toISOString() },
    'POST /threads/:id/read': { seq: 1 },
    'PATCH /messages/:id': { body: 'edited by the fuzzer' },
    'PUT /conversations/:id/draft': { body: 'a fuzzed draft 草稿' },
    'POST /bots': { username: uniqueName('bot'), displayName: 'Bot', tokenName: 'first' },
    'POST /bots/:id/tokens': { name: 'bot token' },
    'POST /auth/password-reset': { login: w.alice.user.username },
    'POST /auth/password-reset/confirm': { code: 'a'.repeat(43), newPassword: PASSWORD },
    'PUT /users/me/email': { email: `${uniqueName('fz')}@example.com`, password: PASSWORD },
    'POST /users/me/password': { currentPassword: PASSWORD, newPassword: PASSWORD },
    'POST /users/me/push-subscriptions': PUSH_SUBSCRIPTION,
    'POST /admin/invites': { expiresInHours: 24, maxUses: 5 },
    'PATCH /admin/settings': { retentionDays: null },
    'PUT /conversations/:id/notifications': { level: 'mentions', muted: false },
    'PATCH /users/me/notification-prefs': { emailDigest: false },
  };
  const queries: Record<string, Record<string, string>> = {
    'GET /users': { q: 'u', limit: '10' },
    'GET /groups': { scope: 'public', q: 'fuzz' },
    'GET /conversations/:id/messages': { before: '5', limit: '20' },
    'GET /conversations/:id/events': { after: '0', limit: '20' },
    'GET /search/messages': { q: 'hello', conversationId: w.groupId },
    'GET /admin/users': { q: 'u', deactivated: 'false' },
    'GET /uploads/:id': w.uploadQuery,
  };
  const withoutHead = key.replace(/^HEAD /, 'GET ');
  const hasBody = !['GET', 'HEAD', 'DELETE'].includes(route.method);
  const multipartRoute = route.path === `${API}/uploads` || route.path === `${API}/emoji`;
  return { body: bodies[key] ?? (hasBody && !multipartRoute ? {} : undefined), query: queries[withoutHead] ?? {} };
}

/** A browser's push subscription: a P-256 public key and a 16-byte auth secret (the endpoint is never reached). */
const PUSH_SUBSCRIPTION = (() => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint: 'http://127.0.0.1:9/push/fuzz', keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
})();

/** A 2xx to one of these may have changed the world (removed someone, revoked a token): rebuild it. */
function changesWorld(route: Route): boolean {
  return route.method === 'DELETE' || /\/(logout|deactivate|reactivate|erase|password|bans\/:userId|members\/:userId|admin\/users\/:id)$/.test(route.path);
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** Percent-encodes what cannot stand in a URL; `keep` decides which printable characters stay raw. */
function pct(s: string, keep: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (keep.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const asComponent = (s: string) => pct(s, /^[A-Za-z0-9\-_.~]$/);
const asRaw = (s: string) => pct(s, /^[\x21-\x7e]$/);

const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 60 });

const encodedValue = fc.record({ value: weirdString, raw: fc.boolean() });

const garbageCursor = fc.oneof(
  fc.oneof(fc.array(weirdValue, { maxLength: 3 }), weirdValue).map((v) => Buffer.from(JSON.stringify(v) ?? 'x').toString('base64url')),
  fc.tuple(fc.oneof(weirdString, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), fc.oneof(fc.uuid(), weirdString)).map((v) =>
    Buffer.from(JSON.stringify(v)).toString('base64url'),
  ),
  weirdString,
);

const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('limit', 'cursor', 'before', 'after', 'q', 'scope', 'expires', 'sig', 'conversationId', 'deactivated', 'siteAdmin') },
  { weight: 1, arbitrary: fc.constantFrom('limit[]', 'limit[0]', 'cursor[a]', '__proto__', 'constructor', '', 'a.b', 'q[]') },
  { weight: 1, arbitrary: weirdString },
);
const queryValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('1e309', '99999999999999999999', '-1', '0', '-0', '1.5', '0x10', ' 5', 'NaN', 'true', '', 'all', 'mine', 'public', '9007199254740993') },
  { weight: 2, arbitrary: garbageCursor },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 2, arbitrary: weirdString },
);
const queryMutation = fc.oneof(
  { weight: 5, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc.record({
      keepValid: fc.boolean(),
      entries: fc.array(fc.tuple(queryKey, queryValue, fc.boolean()), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ keepValid: fc.constant(false), rawQuery: fc.oneof(fc.constantFrom('&&&', '=', '==', '?', 'a=%', '%ZZ=1', 'limit=%FF%FE', 'cursor=%00', '&limit'), weirdString.map(asRaw)) }) },
);

type BodyMutation =
  | { kind: 'valid' }
  | { kind: 'set'; key: string | number; value: unknown }
  | { kind: 'delete'; key: number }
  | { kind: 'replace'; value: unknown }
  | { kind: 'literal'; key: string | number; literal: string }
  | { kind: 'raw'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'none' }
  | { kind: 'huge'; size: number }
  | { kind: 'multipart'; field: string; filename: string; partType: string; data: Uint8Array; boundary: 'ok' | 'missing' | 'wrong' | 'truncated' };

const fieldKey = fc.oneof(fc.nat(), fc.constantFrom('__proto__', 'constructor', 'extra', ''), weirdString);

const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fieldKey, value: weirdValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), value: weirdValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('literal' as const), key: fieldKey, literal: numberLiteral }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: rawJsonText }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), size: fc.constantFrom(70_000, 1_048_000, 1_100_000) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('multipart' as const),
      field: fc.oneof(fc.constant('file'), weirdString),
      filename: fc.oneof(fc.constantFrom('a.txt', 'photo.png', '../../../etc/passwd', '..\\..\\x.exe', '', '.', '😀.png', 'a\u202Egnp.exe'), weirdString),
      partType: fc.oneof(fc.constantFrom('text/plain', 'image/png', 'text/html', 'image/svg+xml', 'application/octet-stream', ''), headerText),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(
          // A PNG signature with nothing after it, an SVG with script, a GIF header, HTML.
          Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
          new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
          new TextEncoder().encode('GIF89a'),
          new TextEncoder().encode('<html><script>alert(1)</script></html>'),
        ),
      ),
      boundary: fc.constantFrom('ok' as const, 'ok' as const, 'missing' as const, 'wrong' as const, 'truncated' as const),
    }),
  },
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/json;;;',
    'application/vnd.api+json',
    'application/x-www-form-urlencoded',
    'text/plain',
    'text/html',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    '*/*',
    '',
    'json',
  ),
  headerText,
);

const authVariant = fc.oneof(
  fc.constantFrom('', 'Bearer', 'Bearer ', 'bearer TOKEN', 'BEARER TOKEN', 'Bearer  TOKEN', 'Bearer TOKEN ', ' Bearer TOKEN', 'Basic dXNlcjpwYXNz', 'TOKEN', 'Bearer TOKENx', 'Bearer TOK', 'Bearer TOKEN, Bearer TOKEN', 'Token TOKEN'),
  headerText.map((s) => `Bearer ${s}`),
  fc.integer({ min: 100, max: 20_000 }).map((n) => `Bearer ${'a'.repeat(n)}`),
);

const extraHeader = fc.oneof(
  fc.tuple(fc.constant('accept'), fc.oneof(fc.constantFrom('application/xml', 'text/html', '*/*', '', 'application/json;q=0', 'image/*'), headerText)),
  fc.tuple(fc.constant('x-request-id'), headerText),
  fc.tuple(fc.constant('accept-encoding'), fc.constantFrom('gzip', 'br', 'zstd, deflate', 'identity;q=0', '*;q=0')),
  fc.tuple(fc.constant('content-encoding'), fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x-unknown')),
  fc.tuple(fc.constant('x-forwarded-for'), fc.oneof(fc.constantFrom('1.2.3.4', '::1, 127.0.0.1', 'garbage'), headerText)),
  fc.tuple(fc.constant('origin'), fc.oneof(fc.constantFrom('http://evil.example', 'null'), headerText)),
  fc.tuple(fc.constant('if-none-match'), headerText),
  fc.tuple(fc.constant('range'), fc.constantFrom('bytes=0-1', 'bytes=5-1', 'bytes=-1', 'bytes=99999999-', 'bytes=0-0,1-1,2-2', 'garbage')),
  fc.tuple(fc.constant('expect'), fc.constantFrom('100-continue', 'nonsense')),
);

/** `arb` one time in `every`, else null (the valid request's part). */
const sometimes = <T>(arb: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const requestCase = fc.record({
  route: fc.nat(),
  actor: fc.constantFrom('alice' as const, 'alice' as const, 'bob' as const, 'carol' as const, 'anonymous' as const),
  auth: sometimes(authVariant, 5),
  params: fc.array(sometimes(encodedValue, 4), { minLength: 3, maxLength: 3 }),
  query: queryMutation,
  body: bodyMutation,
  contentType: sometimes(contentType, 5),
  headers: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(extraHeader, { minLength: 1, maxLength: 2 }) }),
});
type RequestCase = typeof requestCase extends fc.Arbitrary<infer T> ? T : never;

function setKey(obj: Record<string, unknown>, key: string | number): string {
  const keys = Object.keys(obj);
  return typeof key === 'number' ? (keys.length > 0 ? keys[key % keys.length]! : 'field') : key;
}

/** The request a case describes. */
function buildRequest(c: RequestCase, w: World): { options: InjectOptions; route: Route } {
  const route = routes[c.route % routes.length]!;
  const valid = validRequest(route, w);
  // Path params: each valid, or replaced by a hostile value (percent-encoded or raw).
  let slot = 0;
  const path = route.path.replace(/:[A-Za-z]+|\*/g, (p) => {
    const name = p === '*' ? '*' : p.slice(1);
    const m = c.params[slot++];
    if (!m) return asComponent(validParam(route.path, name, w));
    return m.raw ? asRaw(m.value) : asComponent(m.value);
  });
  // Query string.
  let query = '';
  if (c.query && 'rawQuery' in c.query) query = c.query.rawQuery;
  else {
    const entries: string[] = [];
    if (!c.query || c.query.keepValid) for (const [k, v] of Object.entries(valid.query)) entries.push(`${asComponent(k)}=${asComponent(v)}`);
    if (c.query && 'entries' in c.query) for (const [k, v, raw] of c.query.entries) entries.push(raw ? `${asRaw(k)}=${asRaw(v)}` : `${asComponent(k)}=${asComponent(v)}`);
    query = entries.join('&');
  }
  // Headers.
  const who = c.actor === 'anonymous' ? null : w[c.actor];
  const headers: Record<string, string> = {};
  if (c.auth !== null) headers.authorization = c.auth.replaceAll('TOKEN', who?.token ?? 'no-token');
  else if (who) headers.authorization = `Bearer ${who.token}`;
  // Body.
  let payload: string | Buffer | undefined;
  let type: string | undefined = 'application/json';
  const b = c.body;
  const base = valid.body;
  const obj = base !== null && typeof base === 'object' && !Array.isArray(base) ? { ...(base as Record<string, unknown>) } : {};
  if (route.path === `${API}/uploads` && (b.kind === 'valid' || b.kind === 'set' || b.kind === 'delete' || b.kind === 'literal')) {
    const m = multipart('file', 'fuzz.txt', Buffer.from('fuzz text\n'));
    payload = m.payload;
    type = m.contentType;
  } else if (route.path === `${API}/emoji` && route.method === 'POST' && (b.kind === 'valid' || b.kind === 'set' || b.kind === 'delete' || b.kind === 'literal')) {
    const m = emojiForm(`fz_${randomUUID().slice(0, 8)}`);
    payload = m.payload;
    type = m.contentType;
  } else if (b.kind === 'valid') payload = base === undefined ? undefined : JSON.stringify(base);
  else if (b.kind === 'set') {
    obj[setKey(obj, b.key)] = b.value;
    payload = JSON.stringify(obj);
  } else if (b.kind === 'delete') {
    delete obj[setKey(obj, b.key)];
    payload = JSON.stringify(obj);
  } else if (b.kind === 'replace') payload = JSON.stringify(b.value) ?? 'null';
  else if (b.kind === 'literal') {
    obj[setKey(obj, b.key)] = '__LITERAL__';
    payload = JSON.stringify(obj).replace('"__LITERAL__"', b.literal);
  } else if (b.kind === 'raw') payload = b.text;
  else if (b.kind === 'bytes') payload = Buffer.from(b.bytes);
  else if (b.kind === 'none') payload = undefined;
  else if (b.kind === 'huge') payload = JSON.stringify({ ...obj, body: 'x'.repeat(b.size) });
  else {
    const m = multipart(b.field.replace(/["\r\n]/g, '_'), b.filename.replace(/["\r\n]/g, '_'), Buffer.from(b.data), b.partType.replace(/[\r\n]/g, ''));
    payload = m.payload;
    type = m.contentType;
    if (b.boundary === 'missing') type = 'multipart/form-data';
    else if (b.boundary === 'wrong') type = 'multipart/form-data; boundary=not-the-boundary';
    else if (b.boundary === 'truncated') payload = payload.subarray(0, Math.max(1, payload.length - 30));
  }
  if (c.contentType !== null) type = c.contentType;
  if (payload !== undefined || c.contentType !== null) headers['content-type'] = type;
  for (const [name, value] of c.headers) headers[name] = value;
  const url = `${path}${query ? `?${query}` : ''}`;
  return { route, options: { method: route.method as InjectOptions['method'], url, headers, ...(payload === undefined ? {} : { payload }) } };
}

function describeRequest(o: InjectOptions): string {
  const payload = o.payload === undefined ? '' : Buffer.isBuffer(o.payload) ? `<${o.payload.length} bytes>` : String(o.payload as string).slice(0, 300);
  return `${String(o.method)} ${String(o.url).slice(0, 300)} headers=${JSON.stringify(o.headers).slice(0, 300)} body=${payload}`;
}

/** Sends one request and checks the answer against the contract; returns what is wrong, or null. */
async function probe(options: InjectOptions): Promise<{ status: number; problem: string | null }> {
  let res;
  try {
    res = await t.app.inject(options);
  } catch (err) {
    // The response was cut off (a reset connection, for a real client): as bad as a 5xx.
    throw new Error(`${(err as Error).message}\n  request: ${describeRequest(options)}`, { cause: err });
  }
  const problem = contractErrorProblem(res.statusCode, res.body, options.method !== 'HEAD');
  return { status: res.statusCode, problem: problem && `${problem}\n  request: ${describeRequest(options)}\n  response: ${res.body.slice(0, 500)}` };
}

const stats = new FuzzStats();
let memBefore: MemoryReading;
let memHalfway: MemoryReading | null = null;

beforeAll(async () => {
  // A refusing SMTP server and push endpoint: those routes work, nothing leaves the machine.
  t = await startTestApp({ SMTP_URL: 'smtp://127.0.0.1:9', PUSH_ALLOW_PRIVATE: 'on', ...fuzzEnv });
  root = await register(t.app);
  // POST /hooks/{key} answers in Slack's words (plain text), by design: it is fuzzed in
  // tests/api/incoming-webhooks.test.ts instead.
  routes = listRoutes(t.app).filter((r) => !r.path.startsWith('/hooks/'));
  world = await buildWorld();
  memBefore = memoryAfterGc();
});

afterAll(async () => {
  await t?.close();
});

describe('REST fuzzing', () => {
  it('lists the app\'s routes from Fastify, with their params', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(keys).toContain('POST /api/v1/conversations/:id/messages');
    expect(keys).toContain('PUT /api/v1/messages/:id/reactions/:emoji');
    expect(keys).toContain('POST /api/v1/uploads');
    expect(keys).toContain('GET /healthz');
    expect(routes.length).toBeGreaterThan(50);
  });

  it('valid requests of the world succeed, so the mutations start from real requests', async () => {
    const statuses: Record<string, number> = {};
    for (const route of routes.filter((r) => r.path.startsWith(API) && r.method !== 'HEAD' && !changesWorld(r))) {
      const { options } = buildRequest(
        { route: routes.indexOf(route), actor: 'alice', auth: null, params: [null, null, null], query: null, body: { kind: 'valid' }, contentType: null, headers: [] },
        world,
      );
      statuses[`${route.method} ${route.path}`] = (await probe(options)).status;
    }
    const failed = Object.entries(statuses).filter(([, s]) => s >= 300);
    // By design: the webhook target is loopback (refused, so no outbound request leaves a test),
    // a text upload has no thumbnail, the OpenID Connect routes answer with redirects (no provider
    // is configured here), a made-up reset code is refused and no link preview image exists here
    // (nor a signature for one).
    expect(failed.filter(([k]) => !/^POST \S+\/webhooks$|\/thumbnail$|\/auth\/oidc\/|password-reset\/confirm$|\/link-previews\/images\//.test(k))).toEqual([]);
  });

  it(
    'mutated requests to every route: never a 5xx, every 4xx in the contract\'s error format',
    async () => {
      await fc.assert(
        fc.asyncProperty(requestCase, async (c) => {
          if (longMode && stats.inputs === Math.floor(RUNS / 2)) memHalfway = memoryAfterGc();
          const { options, route } = buildRequest(c, world);
          const { status, problem } = await probe(options);
          stats.count(status);
          if (status < 300 && changesWorld(route)) world = await buildWorld();
          if (problem) throw new Error(problem);
        }),
        fcParams(RUNS),
      );
    },
    budgetMs(RUNS, 300),
  );

  it('still serves after the fuzzing: a new user registers, sends and reads', async () => {
    const a = await register(t.app);
    const g = await t.app.inject({ method: 'POST', url: `${API}/groups`, headers: auth(a.token), payload: { name: 'after fuzz' } });
    expect(g.statusCode).toBe(201);
    const id = (g.json() as { id: string }).id;
    const sent = await t.app.inject({ method: 'POST', url: `${API}/conversations/${id}/messages`, headers: auth(a.token), payload: { body: 'still here' } });
    expect(sent.statusCode).toBe(201);
    const history = await t.app.inject({ method: 'GET', url: `${API}/conversations/${id}/messages`, headers: auth(a.token) });
    expect((history.json() as { messages: { body: string }[] }).messages.map((m) => m.body)).toEqual(['still here']);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('keeps memory bounded: heap growth after a GC stays small', () => {
    const after = memoryAfterGc();
    const line = `${stats.summary('REST fuzz')}; ${formatMemory(memBefore, after, memHalfway)}`;
    if (longMode) console.log(line); // the long mode's figures
    // The database lives in the process (PGlite's WASM memory is outside the JS heap): only the heap is bounded.
    expect(after.heapUsedMb - memBefore.heapUsedMb, line).toBeLessThan(HEAP_GROWTH_LIMIT_MB);
    if (memHalfway) expect(after.heapUsedMb - memHalfway.heapUsedMb, line).toBeLessThan(HEAP_SECOND_HALF_LIMIT_MB);
  });
});

describe('REST fuzz regressions (shrunk counterexamples)', () => {
  const upload = (contentType: string, payload: string): InjectOptions => ({
    method: 'POST',
    url: `${API}/uploads`,
    headers: { ...auth(world.alice.token), 'content-type': contentType },
    payload,
  });
  const part = '--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc';
  it.each<[string, () => InjectOptions, number]>([
    // Fastify's router answered these itself: a 414 and a 400 in its own format, not the contract's.
    ['a path id over the router\'s length limit is a 404', () => ({ method: 'GET', url: `${API}/messages/${'a'.repeat(300)}`, headers: auth(world.alice.token) }), 404],
    ['broken percent-encoding in a path id is a 404', () => ({ method: 'GET', url: `${API}/users/%ZZ`, headers: auth(world.alice.token) }), 404],
    // The multipart parser's errors were 500s.
    ['a multipart upload whose body is not multipart is a 400', () => upload('multipart/form-data; boundary=x', '[[]]'), 400],
    ['a truncated multipart upload is a 400', () => upload('multipart/form-data; boundary=x', part), 400],
    ['a multipart upload without a boundary is a 400', () => upload('multipart/form-data', `${part}\r\n--x--\r\n`), 400],
    ['a multipart upload with a 300-character boundary is a 400', () => upload(`multipart/form-data; boundary=${'b'.repeat(300)}`, `${part}\r\n--x--\r\n`), 400],
  ])('%s', async (_name, make, status) => {
    const options = make();
    const { status: got, problem } = await probe(options);
    expect(problem).toBeNull();
    expect(got).toBe(status);
  });
});
