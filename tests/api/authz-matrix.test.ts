/**
 * The REST authorization matrix (issue 8): every route the app registers × every role
 * (anonymous, a bad token, a deactivated user's old token, a stranger, member, admin, owner, site
 * admin) × the conversation it points at (private group, public group, direct), each cell with
 * the status and error code CONTRACT.md gives. A route with no row fails the run, so a new
 * endpoint cannot skip the matrix. For an outsider, a private group's or a direct conversation's
 * 404 is compared with an unknown and a malformed id's: same status, code and message.
 * Then the leak checks: nothing of a private conversation reaches a non-member by any path.
 */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandInvocations } from '../../src/db/schema.js';
import { hashToken } from '../../src/services/identity/identity.js';
import { startTestApp, uniqueName, register, type Account, type TestApp } from '../helpers/app.js';
import {
  buildWorld,
  expectStatus,
  fill,
  makeGroup,
  multipart,
  PASSWORD,
  registeredRoutes,
  requester,
  ROLES,
  send,
  tokenOf,
  UNAUTHENTICATED,
  upload,
  type Fixture,
  type Method,
  type Requester,
  type Role,
  type Variant,
  type World,
} from '../helpers/authz.js';

const ADMIN_USERNAME = `azsite_${randomUUID().slice(0, 8)}`;
let t: TestApp;
let app: FastifyInstance;
let w: World;
const req: Requester = requester(() => app);

beforeAll(async () => {
  t = await startTestApp({ ADMIN_USERNAME, WEBHOOK_ALLOW_PRIVATE: 'on', PUSH_ALLOW_PRIVATE: 'on' }, { webhooks: { retryDelaysMs: [600_000], pollIntervalMs: 60_000 } });
  app = t.app;
  w = await buildWorld(app, ADMIN_USERNAME);
  // Generous: on a shared, loaded machine opening the database alone has taken 25 s.
}, 180_000);

afterAll(async () => {
  await t?.close();
});

// ---------------------------------------------------------------------------------------------
// The matrix

/**
 * Who may: `public` needs no token; `user` any signed-in user; `member`/`admin`/`owner` of the
 * conversation (outsiders get 404 for a private group or direct conversation, 403 for a public
 * group); `siteAdmin`; `nobody` (somebody else's resource: 404); `readUpload` (a public route
 * where the roles in `readers` get the bytes and everyone else 404).
 */
type Access = 'public' | 'user' | 'member' | 'admin' | 'owner' | 'siteAdmin' | 'nobody' | 'readUpload';
/** A status (its generic code implied), a status with a named code, or not applicable. */
type Exp = number | [number, string] | 'skip';

interface Cell {
  role: Role;
  variant?: Variant;
  fx: Fixture;
  actor: Account | null;
  token: string | null;
  /** Whatever `prepare` made for this cell (an own token's id, a victim's id...). */
  made: Record<string, string>;
}

interface Row {
  route: string;
  label?: string;
  variants?: Variant[];
  access: Access;
  ok: number;
  /** Routes under /groups/{id}: a direct conversation's id is 404 there for everyone. */
  groupOnly?: boolean;
  over?: (v: Variant | undefined) => Partial<Record<Role, Exp>>;
  readers?: Role[];
  url?: (c: Cell) => string;
  params?: (c: Cell) => Record<string, string>;
  query?: (c: Cell) => string;
  body?: (c: Cell) => unknown;
  /** A multipart body: a small text file, or what the function builds. */
  multipart?: boolean | (() => { payload: Buffer; contentType: string });
  /** Cells expected to succeed run on a fresh group (a predicate: only for these roles). */
  fresh?: boolean | ((role: Role) => boolean);
  hook?: boolean;
  prepare?: (c: Cell) => Promise<Partial<Pick<Cell, 'token'>> & { made?: Record<string, string> }>;
  /** After a success: what it did. */
  check?: (c: Cell, res: LightMyRequestResponse) => Promise<void>;
  /** Compare an outsider's 404 with an unknown and a malformed id's (rows addressing a conversation, message or upload). */
  probe?: boolean;
}

const CONV: Variant[] = ['private', 'public', 'direct'];
/** A 1×1 PNG: the smallest image a custom emoji takes. */
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
/** multipart/form-data for POST /emoji: the name, then the image. */
function emojiForm(name: string): { payload: Buffer; contentType: string } {
  const boundary = `----azemoji${randomUUID().replace(/-/g, '')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n${name}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="e.png"\r\nContent-Type: image/png\r\n\r\n`;
  return { payload: Buffer.concat([Buffer.from(head, 'utf8'), TINY_PNG, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8')]), contentType: `multipart/form-data; boundary=${boundary}` };
}
/** Adds a custom emoji as the site admin; its name. */
async function addEmoji(): Promise<string> {
  const name = `az_${randomUUID().slice(0, 8)}`;
  const m = emojiForm(name);
  await expectStatus(req('POST', '/api/v1/emoji', w.users.siteAdmin.token, m.payload, { 'content-type': m.contentType }), 201);
  return name;
}
let shared: Promise<string> | undefined;
/** One custom emoji every cell that only reads may use. */
const sharedEmoji = (): Promise<string> => (shared ??= addEmoji());
/** The same expectation for every role (a public route whose answer does not depend on who asks). */
const everyone = (exp: Exp): Partial<Record<Role, Exp>> => Object.fromEntries(ROLES.map((r) => [r, exp]));
const GROUPS: Variant[] = ['private', 'public', 'direct'];
const future = () => new Date(Date.now() + 3_600_000).toISOString();
const MEMBERS: Role[] = ['member', 'admin', 'owner'];

const ROWS: Row[] = [
  // auth
  { route: 'POST /api/v1/auth/register', access: 'public', ok: 201, body: () => ({ username: uniqueName('azreg'), password: PASSWORD }) },
  {
    route: 'POST /api/v1/auth/login',
    access: 'public',
    ok: 200,
    over: () => ({ anonymous: [401, 'invalid_credentials'], badToken: [401, 'invalid_credentials'], deactivated: [403, 'account_deactivated'] }),
    body: (c) =>
      c.role === 'anonymous' || c.role === 'badToken'
        ? { username: w.users.stranger.user.username, password: 'wrong password' }
        : { username: w.users[c.role as Exclude<Role, 'anonymous' | 'badToken'>].user.username, password: PASSWORD },
  },
  {
    route: 'POST /api/v1/auth/logout',
    access: 'user',
    ok: 204,
    prepare: async (c) => {
      if (UNAUTHENTICATED.includes(c.role)) return {};
      const fresh = await expectStatus<{ token: string }>(req('POST', '/api/v1/auth/login', null, { username: c.actor!.user.username, password: PASSWORD }), 200);
      return { token: fresh.token };
    },
    check: async (c) => void (await expectStatus(req('GET', '/api/v1/users/me', c.token), 401)),
  },
  // sessions (devices) and the web client's cookie session
  // Public: nobody signed in is a 200 with nulls; a bad or revoked bearer token is still a 401.
  { route: 'GET /api/v1/auth/session', access: 'user', ok: 200, over: () => ({ anonymous: 200 }) },
  { route: 'GET /api/v1/users/me/sessions', access: 'user', ok: 200 },
  {
    route: 'DELETE /api/v1/users/me/sessions/:id',
    label: 'own session',
    access: 'user',
    ok: 204,
    prepare: async (c) => {
      if (UNAUTHENTICATED.includes(c.role)) return { made: { id: randomUUID() } };
      await expectStatus(req('POST', '/api/v1/auth/login', null, { username: c.actor!.user.username, password: PASSWORD }), 200);
      const { sessions } = await expectStatus<{ sessions: { id: string; current: boolean }[] }>(req('GET', '/api/v1/users/me/sessions', c.token), 200);
      return { made: { id: sessions.filter((x) => !x.current).at(-1)!.id } };
    },
    params: (c) => ({ id: c.made.id! }),
  },
  {
    route: 'DELETE /api/v1/users/me/sessions/:id',
    label: "another user's session",
    access: 'nobody',
    ok: 0,
    prepare: async () => {
      const { sessions } = await expectStatus<{ sessions: { id: string }[] }>(req('GET', '/api/v1/users/me/sessions', w.users.peer.token), 200);
      return { made: { id: sessions[0]!.id } };
    },
    params: (c) => ({ id: c.made.id! }),
  },
  // Keeps the caller's own session: the world's tokens stay valid.
  { route: 'DELETE /api/v1/users/me/sessions', access: 'user', ok: 204 },
  // users
  { route: 'GET /api/v1/users/me', access: 'user', ok: 200 },
  { route: 'PATCH /api/v1/users/me', access: 'user', ok: 200, body: () => ({ displayName: 'Matrix 矩阵' }) },
  { route: 'PUT /api/v1/users/me/status', access: 'user', ok: 200, body: () => ({ text: 'in the matrix', emoji: '🧪' }) },
  { route: 'DELETE /api/v1/users/me/status', access: 'user', ok: 200 },
  { route: 'PUT /api/v1/users/me/dnd', access: 'user', ok: 200, body: () => ({ until: new Date(Date.now() + 3_600_000).toISOString() }) },
  { route: 'DELETE /api/v1/users/me/dnd', access: 'user', ok: 200 },
  { route: 'GET /api/v1/users/:id', access: 'user', ok: 200, params: () => ({ id: w.users.peer.user.id }) },
  { route: 'GET /api/v1/users', access: 'user', ok: 200, query: () => 'q=az' },
  // Refusing group adds by a person: one's own list (the next row lifts what this one sets).
  { route: 'GET /api/v1/users/me/add-blocks', access: 'user', ok: 200 },
  { route: 'GET /api/v1/users/me/storage', access: 'user', ok: 200 },
  { route: 'PUT /api/v1/users/me/add-blocks/:userId', access: 'user', ok: 204, params: () => ({ userId: w.users.peer.user.id }) },
  { route: 'DELETE /api/v1/users/me/add-blocks/:userId', access: 'user', ok: 204, params: () => ({ userId: w.users.peer.user.id }) },
  // API tokens and bots
  { route: 'POST /api/v1/users/me/tokens', access: 'user', ok: 201, body: () => ({ name: 'matrix' }) },
  { route: 'GET /api/v1/users/me/tokens', access: 'user', ok: 200 },
  {
    route: 'DELETE /api/v1/users/me/tokens/:id',
    label: 'own token',
    access: 'user',
    ok: 204,
    prepare: async (c) => ({ made: { id: UNAUTHENTICATED.includes(c.role) ? w.peerTokenId : (await expectStatus(req('POST', '/api/v1/users/me/tokens', c.token, { name: 'x' }), 201)).id } }),
    params: (c) => ({ id: c.made.id! }),
  },
  { route: 'DELETE /api/v1/users/me/tokens/:id', label: "another user's token", access: 'nobody', ok: 0, params: () => ({ id: w.peerTokenId }) },
  { route: 'POST /api/v1/bots', access: 'user', ok: 201, body: () => ({ username: uniqueName('azbot') }) },
  { route: 'GET /api/v1/bots', access: 'user', ok: 200 },
  {
    route: 'POST /api/v1/bots/:id/tokens',
    label: 'own bot',
    access: 'user',
    ok: 201,
    prepare: ownBot,
    params: (c) => ({ id: c.made.id! }),
    body: () => ({ name: 'ci' }),
  },
  { route: 'POST /api/v1/bots/:id/tokens', label: "another user's bot", access: 'nobody', ok: 0, params: () => ({ id: w.peerBotId }), body: () => ({ name: 'ci' }) },
  { route: 'DELETE /api/v1/bots/:id', label: 'own bot', access: 'user', ok: 204, prepare: ownBot, params: (c) => ({ id: c.made.id! }) },
  { route: 'DELETE /api/v1/bots/:id', label: "another user's bot", access: 'nobody', ok: 0, params: () => ({ id: w.peerBotId }) },
  // site administration
  { route: 'GET /api/v1/admin/audit', access: 'siteAdmin', ok: 200 },
  { route: 'GET /api/v1/admin/storage', access: 'siteAdmin', ok: 200 },
  { route: 'GET /api/v1/admin/users', access: 'siteAdmin', ok: 200 },
  { route: 'GET /api/v1/admin/settings', access: 'siteAdmin', ok: 200 },
  { route: 'PATCH /api/v1/admin/settings', access: 'siteAdmin', ok: 200, body: () => ({ retentionDays: null }) },
  // sign-up control and passwords (tests/api/signup-control.test.ts, tests/api/password-reset.test.ts)
  { route: 'GET /api/v1/auth/options', access: 'public', ok: 200 },
  // OpenID Connect (not configured here): browser navigations, answered with a redirect to the web client whoever asks.
  { route: 'GET /api/v1/auth/oidc/start', access: 'public', ok: 302 },
  { route: 'GET /api/v1/auth/oidc/callback', access: 'public', ok: 302 },
  {
    route: 'GET /api/v1/auth/invites/:code',
    access: 'public',
    ok: 200,
    prepare: async () => ({ made: { code: (await expectStatus(req('POST', '/api/v1/admin/invites', w.users.siteAdmin.token, {}), 201)).code } }),
    params: (c) => ({ code: c.made.code! }),
  },
  { route: 'POST /api/v1/admin/invites', access: 'siteAdmin', ok: 201, body: () => ({ maxUses: 1 }) },
  { route: 'GET /api/v1/admin/invites', access: 'siteAdmin', ok: 200 },
  {
    route: 'DELETE /api/v1/admin/invites/:id',
    access: 'siteAdmin',
    ok: 204,
    prepare: async () => ({ made: { id: (await expectStatus(req('POST', '/api/v1/admin/invites', w.users.siteAdmin.token, {}), 201)).id } }),
    params: (c) => ({ id: c.made.id! }),
  },
  { route: 'PUT /api/v1/users/me/email', access: 'user', ok: 200, body: () => ({ email: `${uniqueName('az')}@example.com`, password: PASSWORD }) },
  // The same password again: the world's accounts keep signing in; this (current) session is kept.
  { route: 'POST /api/v1/users/me/password', access: 'user', ok: 204, body: () => ({ currentPassword: PASSWORD, newPassword: PASSWORD }) },
  // The matrix runs without an SMTP server: 503 for everyone (with one, 202 for everyone, known account or not).
  { route: 'POST /api/v1/auth/password-reset', access: 'public', ok: 202, over: () => everyone([503, 'unavailable']), body: () => ({ login: w.users.member.user.username }) },
  {
    route: 'POST /api/v1/auth/password-reset/confirm',
    access: 'public',
    ok: 204,
    over: () => everyone([400, 'reset_code_invalid']),
    body: () => ({ code: 'no-such-code', newPassword: PASSWORD }),
  },
  { route: 'PATCH /api/v1/admin/users/:id', access: 'siteAdmin', ok: 200, params: () => ({ id: w.users.candidate.user.id }), body: () => ({ siteAdmin: false }) },
  {
    route: 'POST /api/v1/admin/users/:id/deactivate',
    access: 'siteAdmin',
    ok: 204,
    prepare: async (c) => ({ made: { id: c.role === 'siteAdmin' ? (await register(app, uniqueName('azvictim'), PASSWORD)).user.id : w.users.candidate.user.id } }),
    params: (c) => ({ id: c.made.id! }),
  },
  {
    route: 'POST /api/v1/admin/users/:id/reactivate',
    access: 'siteAdmin',
    ok: 204,
    prepare: async (c) => {
      if (c.role !== 'siteAdmin') return { made: { id: w.users.deactivated.user.id } };
      const victim = await register(app, uniqueName('azvictim'), PASSWORD);
      await expectStatus(req('POST', `/api/v1/admin/users/${victim.user.id}/deactivate`, w.users.siteAdmin.token), 204);
      return { made: { id: victim.user.id } };
    },
    params: (c) => ({ id: c.made.id! }),
  },
  // personal data: export and erasure
  { route: 'GET /api/v1/users/me/export', access: 'user', ok: 200 },
  {
    route: 'DELETE /api/v1/users/me',
    access: 'user',
    ok: 204,
    // Each cell that may erase gets an account of its own to erase.
    prepare: async (c) => (UNAUTHENTICATED.includes(c.role) ? {} : { token: (await register(app, uniqueName('azerase'), PASSWORD)).token }),
    body: () => ({ password: PASSWORD }),
    check: async (c) => void (await expectStatus(req('GET', '/api/v1/users/me', c.token), 401)),
  },
  {
    route: 'POST /api/v1/admin/users/:id/erase',
    access: 'siteAdmin',
    ok: 204,
    prepare: async (c) => ({ made: { id: c.role === 'siteAdmin' ? (await register(app, uniqueName('azerased'), PASSWORD)).user.id : w.users.candidate.user.id } }),
    params: (c) => ({ id: c.made.id! }),
    body: () => ({}),
  },
  // groups
  { route: 'POST /api/v1/groups', access: 'user', ok: 201, body: () => ({ name: uniqueName('azg') }) },
  { route: 'GET /api/v1/groups', label: 'scope=mine', access: 'user', ok: 200, query: () => 'scope=mine' },
  { route: 'GET /api/v1/groups', label: 'scope=public', access: 'user', ok: 200, query: () => 'scope=public' },
  { route: 'GET /api/v1/groups', label: 'scope=all', access: 'siteAdmin', ok: 200, query: () => 'scope=all' },
  {
    route: 'GET /api/v1/groups/:id',
    variants: GROUPS,
    groupOnly: true,
    access: 'member',
    ok: 200,
    probe: true,
    // Anyone signed in reads a public group; site admins read any group (their own addition to the contract).
    over: (v) => (v === 'private' ? { siteAdmin: 200 } : v === 'public' ? { stranger: 200, siteAdmin: 200 } : {}),
  },
  { route: 'PATCH /api/v1/groups/:id', variants: GROUPS, groupOnly: true, access: 'admin', ok: 200, probe: true, body: () => ({ description: 'matrix' }) },
  { route: 'PATCH /api/v1/groups/:id', label: 'retentionDays', variants: GROUPS, groupOnly: true, access: 'admin', ok: 200, body: () => ({ retentionDays: 30 }) },
  {
    route: 'DELETE /api/v1/groups/:id',
    variants: GROUPS,
    groupOnly: true,
    access: 'owner',
    ok: 204,
    fresh: true,
    probe: true,
    // A site admin deletes any group, member or not (CONTRACT.md, decisions of 2026-12-04).
    over: (v) => (v === 'direct' ? {} : { siteAdmin: 204 }),
    check: async (c) => void (await expectStatus(req('GET', `/api/v1/groups/${c.fx.id}`, w.users.owner.token), 404)),
  },
  {
    route: 'GET /api/v1/groups/:id/members',
    variants: GROUPS,
    groupOnly: true,
    access: 'member',
    ok: 200,
    probe: true,
    over: (v) => (v === 'direct' ? {} : { siteAdmin: 200 }),
  },
  {
    route: 'POST /api/v1/groups/:id/members',
    label: 'add another user',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 201,
    fresh: true,
    probe: true,
    body: () => ({ userId: w.users.candidate.user.id }),
  },
  {
    route: 'POST /api/v1/groups/:id/members',
    label: 'join (self)',
    variants: GROUPS,
    groupOnly: true,
    access: 'member',
    ok: 200,
    // Members joining again change nothing (200); outsiders joining the public group do.
    fresh: (role) => role === 'stranger' || role === 'siteAdmin',
    probe: true,
    over: (v) => (v === 'public' ? { stranger: 201, siteAdmin: 201 } : {}),
    body: (c) => ({ userId: c.actor?.user.id ?? w.users.stranger.user.id }),
  },
  {
    route: 'PATCH /api/v1/groups/:id/members/:userId',
    variants: GROUPS,
    groupOnly: true,
    access: 'owner',
    ok: 200,
    fresh: true,
    probe: true,
    params: (c) => ({ id: c.fx.id, userId: w.users.member2.user.id }),
    body: () => ({ role: 'admin' }),
  },
  {
    route: 'DELETE /api/v1/groups/:id/members/:userId',
    label: 'remove a plain member',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    fresh: true,
    probe: true,
    params: (c) => ({ id: c.fx.id, userId: w.users.member2.user.id }),
  },
  {
    route: 'DELETE /api/v1/groups/:id/members/:userId',
    label: 'leave (self)',
    variants: GROUPS,
    groupOnly: true,
    access: 'member',
    ok: 204,
    fresh: true,
    probe: true,
    over: () => ({ owner: [409, 'conflict'] }),
    params: (c) => ({ id: c.fx.id, userId: c.actor?.user.id ?? w.users.stranger.user.id }),
  },
  {
    route: 'DELETE /api/v1/groups/:id/members/:userId',
    label: 'remove the owner',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 0,
    probe: true,
    over: () => ({ admin: 403, owner: [409, 'conflict'] }),
    params: (c) => ({ id: c.fx.id, userId: w.users.owner.user.id }),
  },
  // moderation
  {
    route: 'PUT /api/v1/groups/:id/mutes/:userId',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    fresh: true,
    probe: true,
    params: (c) => ({ id: c.fx.id, userId: w.users.member2.user.id }),
    body: () => ({ until: future() }),
  },
  {
    route: 'DELETE /api/v1/groups/:id/mutes/:userId',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    probe: true,
    params: (c) => ({ id: c.fx.id, userId: w.users.member2.user.id }),
  },
  { route: 'GET /api/v1/groups/:id/bans', variants: GROUPS, groupOnly: true, access: 'admin', ok: 200, probe: true },
  {
    route: 'PUT /api/v1/groups/:id/bans/:userId',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    fresh: true,
    probe: true,
    params: (c) => ({ id: c.fx.id, userId: w.users.member2.user.id }),
  },
  {
    route: 'DELETE /api/v1/groups/:id/bans/:userId',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    probe: true,
    params: (c) => ({ id: c.fx.id, userId: w.users.member2.user.id }),
  },
  // webhooks and export
  {
    route: 'POST /api/v1/groups/:id/webhooks',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 201,
    fresh: true,
    probe: true,
    body: () => ({ url: 'http://127.0.0.1:9/authz-hook' }),
  },
  { route: 'GET /api/v1/groups/:id/webhooks', variants: GROUPS, groupOnly: true, access: 'admin', ok: 200, probe: true },
  {
    route: 'DELETE /api/v1/groups/:id/webhooks/:hookId',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    fresh: true,
    hook: true,
    probe: true,
    // Cells that must fail point at an unknown hook: any answer but theirs fails the cell all the same.
    params: (c) => ({ id: c.fx.id, hookId: c.fx.hookId ?? randomUUID() }),
  },
  {
    route: 'POST /api/v1/groups/:id/incoming-webhooks',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 201,
    fresh: true,
    probe: true,
    body: () => ({ name: 'authz hook' }),
  },
  { route: 'GET /api/v1/groups/:id/incoming-webhooks', variants: GROUPS, groupOnly: true, access: 'admin', ok: 200, probe: true },
  {
    route: 'DELETE /api/v1/groups/:id/incoming-webhooks/:hookId',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    probe: true,
    // Each cell its own hook, made by the group's owner (a revoked hook is 404 to the next cell).
    prepare: async (c) => {
      const made = await req('POST', `/api/v1/groups/${c.fx.id}/incoming-webhooks`, w.users.owner.token, { name: 'authz hook' });
      return { made: { hookId: made.statusCode === 201 ? (made.json() as { id: string }).id : randomUUID() } };
    },
    params: (c) => ({ id: c.fx.id, hookId: c.made.hookId! }),
  },
  // The hook's URL is its only credential: anyone holding it posts (its refusals are Slack's, tests/api/incoming-webhooks.test.ts).
  {
    route: 'POST /hooks/:key',
    access: 'public',
    ok: 200,
    prepare: async () => {
      hookKey ??= (await expectStatus<{ url: string }>(req('POST', `/api/v1/groups/${w.fx.private.id}/incoming-webhooks`, w.users.owner.token, { name: 'authz post' }), 201)).url
        .split('/')
        .pop()!;
      return { made: { key: hookKey } };
    },
    params: (c) => ({ key: c.made.key! }),
    body: () => ({ text: 'authz matrix post' }),
  },
  {
    route: 'POST /api/v1/groups/:id/commands',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 201,
    fresh: true,
    probe: true,
    body: () => ({ trigger: 'authz', url: 'http://127.0.0.1:9/authz' }),
  },
  { route: 'GET /api/v1/groups/:id/commands', variants: GROUPS, groupOnly: true, access: 'admin', ok: 200, probe: true },
  {
    route: 'DELETE /api/v1/groups/:id/commands/:commandId',
    variants: GROUPS,
    groupOnly: true,
    access: 'admin',
    ok: 204,
    probe: true,
    // Each cell its own command, made by the group's owner (a deleted one is 404 to the next cell).
    prepare: async (c) => {
      const made = await req('POST', `/api/v1/groups/${c.fx.id}/commands`, w.users.owner.token, { trigger: `az${randomBytes(4).toString('hex')}`, url: 'http://127.0.0.1:9/authz' });
      return { made: { commandId: made.statusCode === 201 ? (made.json() as { id: string }).id : randomUUID() } };
    },
    params: (c) => ({ id: c.fx.id, commandId: c.made.commandId! }),
  },
  // A command run's response_url is its only credential (its refusals are Slack's, tests/api/custom-commands.test.ts).
  {
    route: 'POST /hooks/commands/:key',
    access: 'public',
    ok: 200,
    prepare: async () => {
      const made = await expectStatus<{ id: string }>(
        req('POST', `/api/v1/groups/${w.fx.private.id}/commands`, w.users.owner.token, { trigger: `az${randomBytes(4).toString('hex')}`, url: 'http://127.0.0.1:9/authz' }),
        201,
      );
      // A run's key as the integration would get it (its own server is not reachable from here).
      const key = randomBytes(32).toString('base64url');
      await t.database.db.insert(slashCommandInvocations).values({ id: randomUUID(), commandId: made.id, userId: w.users.owner.user.id, keyHash: hashToken(key), expiresAt: new Date(Date.now() + 600_000) });
      return { made: { key } };
    },
    params: (c) => ({ key: c.made.key! }),
    body: () => ({ text: 'authz matrix response' }),
  },
  { route: 'GET /api/v1/groups/:id/export', variants: GROUPS, groupOnly: true, access: 'admin', ok: 200, probe: true },
  // conversations
  { route: 'GET /api/v1/conversations', access: 'user', ok: 200 },
  {
    route: 'POST /api/v1/conversations/direct',
    access: 'user',
    ok: 201,
    // member already has the one direct conversation with peer.
    over: () => ({ member: 200 }),
    body: () => ({ userId: w.users.peer.user.id }),
  },
  { route: 'GET /api/v1/conversations/:id', variants: CONV, access: 'member', ok: 200, probe: true },
  { route: 'GET /api/v1/conversations/:id/messages', variants: CONV, access: 'member', ok: 200, probe: true },
  {
    route: 'POST /api/v1/conversations/:id/messages',
    variants: CONV,
    access: 'member',
    ok: 201,
    probe: true,
    body: () => ({ body: 'matrix send', clientMsgId: randomUUID() }),
  },
  { route: 'GET /api/v1/conversations/:id/events', variants: CONV, access: 'member', ok: 200, probe: true },
  { route: 'GET /api/v1/conversations/:id/commands', variants: CONV, access: 'member', ok: 200, probe: true },
  { route: 'POST /api/v1/conversations/:id/commands', variants: CONV, access: 'member', ok: 200, probe: true, body: () => ({ command: '/shrug', text: 'matrix' }) },
  { route: 'POST /api/v1/conversations/:id/read', variants: CONV, access: 'member', ok: 204, probe: true, body: () => ({ seq: 1 }) },
  // messages
  { route: 'GET /api/v1/messages/:id', variants: CONV, access: 'member', ok: 200, probe: true, params: (c) => ({ id: c.fx.messageId }) },
  {
    route: 'PATCH /api/v1/messages/:id',
    label: "member's message (peer's in a direct conversation)",
    variants: CONV,
    access: 'member',
    ok: 200,
    probe: true,
    // Only the sender edits: in groups the target is member's, in the direct conversation peer's.
    over: (v) => (v === 'direct' ? { member: 403 } : { admin: 403, owner: 403 }),
    params: (c) => ({ id: c.fx.peerMessageId ?? c.fx.messageId }),
    body: () => ({ body: 'edited by the matrix' }),
  },
  {
    route: 'DELETE /api/v1/messages/:id',
    label: "member's message (peer's in a direct conversation)",
    variants: CONV,
    access: 'member',
    ok: 204,
    fresh: true,
    probe: true,
    // The sender or a group admin deletes.
    over: (v) => (v === 'direct' ? { member: 403 } : {}),
    params: (c) => ({ id: c.fx.peerMessageId ?? c.fx.messageId }),
  },
  {
    route: 'DELETE /api/v1/messages/:id/previews',
    label: "member's message (peer's in a direct conversation)",
    variants: CONV,
    access: 'member',
    ok: 204,
    probe: true,
    // Only the sender removes previews, as only the sender edits.
    over: (v) => (v === 'direct' ? { member: 403 } : { admin: 403, owner: 403 }),
    params: (c) => ({ id: c.fx.peerMessageId ?? c.fx.messageId }),
  },
  { route: 'PUT /api/v1/messages/:id/reactions/:emoji', variants: CONV, access: 'member', ok: 204, probe: true, params: (c) => ({ id: c.fx.messageId, emoji: '👍' }) },
  { route: 'DELETE /api/v1/messages/:id/reactions/:emoji', variants: CONV, access: 'member', ok: 204, probe: true, params: (c) => ({ id: c.fx.messageId, emoji: '👍' }) },
  // threads: a member of the root's conversation reads, follows and reads them
  { route: 'GET /api/v1/threads', access: 'user', ok: 200 },
  { route: 'GET /api/v1/threads/:id', variants: CONV, access: 'member', ok: 200, probe: true, params: (c) => ({ id: c.fx.messageId }) },
  { route: 'GET /api/v1/threads/:id/messages', variants: CONV, access: 'member', ok: 200, probe: true, params: (c) => ({ id: c.fx.messageId }) },
  { route: 'PUT /api/v1/threads/:id/follow', variants: CONV, access: 'member', ok: 200, probe: true, params: (c) => ({ id: c.fx.messageId }) },
  { route: 'DELETE /api/v1/threads/:id/follow', variants: CONV, access: 'member', ok: 200, probe: true, params: (c) => ({ id: c.fx.messageId }) },
  { route: 'POST /api/v1/threads/:id/read', variants: CONV, access: 'member', ok: 204, probe: true, params: (c) => ({ id: c.fx.messageId }), body: () => ({ seq: 1 }) },
  // pins (group rules): group admins pin; either member of a direct conversation
  { route: 'GET /api/v1/conversations/:id/pins', variants: CONV, access: 'member', ok: 200, probe: true },
  {
    route: 'PUT /api/v1/conversations/:id/pins/:messageId',
    variants: CONV,
    access: 'admin',
    ok: 204,
    probe: true,
    over: (v) => (v === 'direct' ? { member: 204 } : {}),
    params: (c) => ({ id: c.fx.id, messageId: c.fx.messageId }),
  },
  {
    route: 'DELETE /api/v1/conversations/:id/pins/:messageId',
    variants: CONV,
    access: 'admin',
    ok: 204,
    probe: true,
    over: (v) => (v === 'direct' ? { member: 204 } : {}),
    params: (c) => ({ id: c.fx.id, messageId: c.fx.messageId }),
  },
  // drafts: the caller's own, in conversations they are a member of
  { route: 'GET /api/v1/drafts', access: 'user', ok: 200 },
  { route: 'PUT /api/v1/conversations/:id/draft', variants: CONV, access: 'member', ok: 200, probe: true, body: () => ({ body: 'draft' }) },
  { route: 'DELETE /api/v1/conversations/:id/draft', variants: CONV, access: 'member', ok: 204, probe: true },
  // search
  { route: 'GET /api/v1/search/messages', label: 'all conversations', access: 'user', ok: 200, query: () => 'q=hello' },
  {
    route: 'GET /api/v1/search/messages',
    label: 'one conversation',
    variants: CONV,
    access: 'member',
    ok: 200,
    probe: true,
    query: (c) => `q=hello&conversationId=${encodeURIComponent(c.fx.id)}`,
  },
  // uploads
  { route: 'POST /api/v1/uploads', access: 'user', ok: 201, multipart: true },
  { route: 'GET /api/v1/uploads/:id', label: 'attachment, bearer token', variants: CONV, access: 'readUpload', ok: 200, probe: true, params: (c) => ({ id: c.fx.uploadId }) },
  {
    route: 'GET /api/v1/uploads/:id/thumbnail',
    label: 'attachment, bearer token',
    variants: CONV,
    access: 'readUpload',
    ok: 200,
    probe: true,
    params: (c) => ({ id: c.fx.uploadId }),
  },
  // A signed URL is a capability (CONTRACT: "or anyone holding a valid signed URL").
  { route: 'GET /api/v1/uploads/:id', label: 'signed URL', variants: CONV, access: 'public', ok: 200, url: (c) => c.fx.signedUrl },
  { route: 'GET /api/v1/uploads/:id/thumbnail', label: 'signed URL', variants: CONV, access: 'public', ok: 200, url: (c) => c.fx.signedThumbnailUrl },
  { route: 'GET /api/v1/uploads/:id', label: 'not attached', access: 'readUpload', readers: ['member'], ok: 200, params: () => ({ id: w.looseUploadId }) },
  // A preview image's signed URL is the capability; without a valid one it is 404 to everyone.
  { route: 'GET /api/v1/link-previews/images/:key', label: 'no valid signature', access: 'public', ok: 404, params: () => ({ key: 'a'.repeat(64) }) },
  // custom emoji (tests/api/custom-emoji.test.ts): everyone lists and sees them, site admins add and delete
  { route: 'GET /api/v1/emoji', access: 'user', ok: 200 },
  { route: 'POST /api/v1/emoji', access: 'siteAdmin', ok: 201, multipart: () => emojiForm(`az_${randomUUID().slice(0, 8)}`) },
  {
    route: 'DELETE /api/v1/emoji/:name',
    access: 'siteAdmin',
    ok: 204,
    prepare: async (c) => ({ made: { name: c.role === 'siteAdmin' ? await addEmoji() : 'az_absent' } }),
    params: (c) => ({ name: c.made.name! }),
  },
  // Public: an <img> sends no token; an unknown name is 404 for everyone.
  { route: 'GET /api/v1/emoji/:name/image', access: 'public', ok: 200, prepare: async () => ({ made: { name: await sharedEmoji() } }), params: (c) => ({ name: c.made.name! }) },
  { route: 'GET /api/v1/emoji/:name/image', label: 'unknown name', access: 'public', ok: 404, params: () => ({ name: 'az_unknown' }) },
  // notifications: levels, preferences, Web Push subscriptions (endpoints on 127.0.0.1:9, where nothing listens)
  { route: 'PUT /api/v1/conversations/:id/notifications', variants: CONV, access: 'member', ok: 200, probe: true, body: () => ({ level: 'all' }) },
  { route: 'GET /api/v1/users/me/notification-prefs', access: 'user', ok: 200 },
  { route: 'PATCH /api/v1/users/me/notification-prefs', access: 'user', ok: 200, body: () => ({ emailDigestDelayMinutes: 60 }) },
  { route: 'GET /api/v1/push/vapid-public-key', access: 'user', ok: 200 },
  { route: 'POST /api/v1/users/me/push-subscriptions', access: 'user', ok: 201, body: () => pushSubscriptionBody() },
  { route: 'GET /api/v1/users/me/push-subscriptions', access: 'user', ok: 200 },
  {
    route: 'DELETE /api/v1/users/me/push-subscriptions/:id',
    label: 'own subscription',
    access: 'user',
    ok: 204,
    prepare: async (c) => ({
      made: { id: UNAUTHENTICATED.includes(c.role) ? randomUUID() : (await expectStatus(req('POST', '/api/v1/users/me/push-subscriptions', c.token, pushSubscriptionBody()), 201)).id },
    }),
    params: (c) => ({ id: c.made.id! }),
  },
  {
    route: 'DELETE /api/v1/users/me/push-subscriptions/:id',
    label: "another user's subscription",
    access: 'nobody',
    ok: 0,
    prepare: async () => ({ made: { id: (await expectStatus(req('POST', '/api/v1/users/me/push-subscriptions', w.users.peer.token, pushSubscriptionBody()), 201)).id } }),
    params: (c) => ({ id: c.made.id! }),
  },
  // outside /api/v1
  { route: 'GET /healthz', access: 'public', ok: 200 },
  { route: 'GET /readyz', access: 'public', ok: 200 },
  { route: 'GET /metrics', access: 'public', ok: 200 },
  { route: 'GET /openapi.json', access: 'public', ok: 200 },
  { route: 'GET /asyncapi.json', access: 'public', ok: 200 },
  { route: 'GET /docs', access: 'public', ok: 200 },
  { route: 'GET /docs/', access: 'public', ok: 200 },
  // The OpenAPI UI's own routes, forwarded to it (src/api/docs-ui.ts).
  { route: 'GET /docs/*', label: 'the document as JSON', access: 'public', ok: 200, url: () => '/docs/json' },
  { route: 'GET /docs/*', label: 'the document as YAML', access: 'public', ok: 200, url: () => '/docs/yaml' },
  { route: 'GET /docs/*', label: 'the static index', access: 'public', ok: 302, url: () => '/docs/static/index.html' },
  { route: 'GET /docs/*', label: 'the initializer', access: 'public', ok: 200, url: () => '/docs/static/swagger-initializer.js' },
  { route: 'GET /docs/*', label: 'a stylesheet', access: 'public', ok: 200, url: () => '/docs/static/swagger-ui.css' },
];

/** A browser-like push subscription whose endpoint leads nowhere (nothing listens on port 9). */
function pushSubscriptionBody(): { endpoint: string; keys: { p256dh: string; auth: string } } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint: `http://127.0.0.1:9/push/${randomUUID()}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
}

async function ownBot(c: Cell): Promise<{ made: Record<string, string> }> {
  if (UNAUTHENTICATED.includes(c.role)) return { made: { id: w.peerBotId } };
  const bot = await expectStatus<{ user: { id: string } }>(req('POST', '/api/v1/bots', c.token, { username: uniqueName('azbot') }), 201);
  return { made: { id: bot.user.id } };
}

const RANK: Record<string, number> = { member: 1, admin: 2, owner: 3 };

/** The contract's answer for one cell. */
function expected(row: Row, role: Role, v: Variant | undefined): Exp {
  // A direct conversation has two plain members: `member` and peer.
  if (v === 'direct' && (role === 'admin' || role === 'owner')) return 'skip';
  const o = row.over?.(v)[role];
  if (o !== undefined) return o;
  if (row.access === 'public') return row.ok;
  if (row.access === 'readUpload') return (row.readers ?? MEMBERS).includes(role) ? row.ok : 404;
  if (UNAUTHENTICATED.includes(role)) return 401;
  if (row.groupOnly && v === 'direct') return 404;
  switch (row.access) {
    case 'user':
      return row.ok;
    case 'nobody':
      return 404;
    case 'siteAdmin':
      return role === 'siteAdmin' ? row.ok : 403;
    default:
      if (role === 'stranger' || role === 'siteAdmin') return v === 'public' ? 403 : 404;
      return RANK[role]! >= RANK[row.access]! ? row.ok : 403;
  }
}

const GENERIC: Record<number, string> = { 400: 'validation_failed', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict' };

function actorOf(role: Role): Account | null {
  return role === 'anonymous' || role === 'badToken' ? null : w.users[role];
}

function buildRequest(row: Row, c: Cell): { method: Method; url: string; payload?: unknown; headers: Record<string, string> } {
  const [method, pattern] = row.route.split(' ') as [Method, string];
  let url = row.url ? row.url(c) : fill(pattern, row.params ? row.params(c) : { id: c.fx?.id ?? '' });
  if (row.query) url += `?${row.query(c)}`;
  if (row.multipart) {
    const m = typeof row.multipart === 'function' ? row.multipart() : multipart('matrix.txt', Buffer.from('matrix upload'));
    return { method, url, payload: m.payload, headers: { 'content-type': m.contentType } };
  }
  return { method, url, payload: row.body?.(c), headers: {} };
}

async function run(row: Row, c: Cell): Promise<LightMyRequestResponse> {
  const r = buildRequest(row, c);
  return req(r.method, r.url, c.token, r.payload, r.headers);
}

function describeCell(row: Row, role: Role, v?: Variant): string {
  return `${row.route}${row.label ? ` [${row.label}]` : ''}${v ? ` on a ${v} conversation` : ''} as ${role}`;
}

/** Status, code and the contract's error shape. */
function checkCell(res: LightMyRequestResponse, exp: number | [number, string], where: string): void {
  const [status, code] = Array.isArray(exp) ? exp : [exp, GENERIC[exp]];
  expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).toBe(status);
  if (status >= 400) {
    const body = res.json() as { error?: { code?: string; message?: string } };
    expect(Object.keys(body), where).toEqual(['error']);
    expect(body.error?.code, where).toBe(code);
    expect(typeof body.error?.message, where).toBe('string');
  }
}

/** One incoming webhook's key, made by the first cell that posts to it. */
let hookKey: string | undefined;

const cellCounts = { rest: 0, head: 0, probes: 0 };

describe('REST authorization matrix', () => {
  it('every route the app registers has a row, and every row names a registered route', () => {
    const registered = registeredRoutes(app);
    const covered = new Set(ROWS.map((r) => r.route));
    // A HEAD route is Fastify's automatic twin of a GET: the GET row covers it (and HEAD is tried below).
    const missing = registered.filter((r) => !covered.has(r.startsWith('HEAD ') ? r.replace(/^HEAD /, 'GET ') : r));
    expect(missing, `routes without a row in tests/api/authz-matrix.test.ts: add one for each`).toEqual([]);
    const unknown = [...covered].filter((r) => !registered.includes(r));
    expect(unknown, 'rows naming no registered route').toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.route}${row.label ? ` [${row.label}]` : ''}`, async () => {
      for (const v of row.variants ?? [undefined]) {
        // Outside /api/v1 nothing depends on who asks: no token and a bad one are enough.
        const api = row.route.includes(' /api/v1/');
        const roles = api ? ROLES : (['anonymous', 'badToken'] as const);
        for (const role of roles) {
          const exp = expected(row, role, v);
          if (exp === 'skip') continue;
          const status = Array.isArray(exp) ? exp[0] : exp;
          const success = status < 300;
          let fx = v ? w.fx[v] : w.fx.private;
          const fresh = typeof row.fresh === 'function' ? row.fresh(role) : row.fresh;
          if (v && v !== 'direct' && fresh && success) {
            fx = await makeGroup(req, w, v, { hook: row.hook, attachment: false });
          }
          const c: Cell = { role, variant: v, fx, actor: actorOf(role), token: tokenOf(w, role), made: {} };
          if (row.prepare) {
            const p = await row.prepare(c);
            if (p.token) c.token = p.token;
            Object.assign(c.made, p.made ?? {});
          }
          const where = describeCell(row, role, v);
          const res = await run(row, c).catch((err: unknown) => {
            throw new Error(`${where}: the request failed: ${String(err)}`, { cause: err });
          });
          cellCounts.rest++;
          checkCell(res, exp, where);
          if (success && row.check) await row.check(c, res);
          const [method] = row.route.split(' ');
          // HEAD answers as GET does (it must not tell an outsider more). Exports have no HEAD (it would run one).
          const noHead = row.route === 'GET /api/v1/groups/:id/export' || row.route === 'GET /api/v1/users/me/export';
          if (api && method === 'GET' && !noHead && role === 'stranger') {
            const r = buildRequest(row, c);
            const head = await req('HEAD', r.url, c.token);
            cellCounts.head++;
            expect(head.statusCode, `HEAD of ${where}`).toBe(res.statusCode);
          }
          // An outsider cannot tell a private group or a direct conversation from an unknown or malformed id.
          if (row.probe && role === 'stranger' && v !== 'public') {
            const seen = errorOf(res);
            for (const fake of [randomUUID(), 'not-an-id']) {
              const fakeFx: Fixture = { ...fx, id: fake, messageId: fake, uploadId: fake, peerMessageId: fx.peerMessageId ? fake : undefined };
              const other = await run(row, { ...c, fx: fakeFx });
              cellCounts.probes++;
              expect(errorOf(other), `${where}: a ${fake === 'not-an-id' ? 'malformed' : 'unknown'} id must answer exactly as the hidden one`).toEqual(seen);
            }
          }
        }
      }
    });
  }

  it('counts its cells', () => {
    // Printed for the README's reliability section.
    process.stdout.write(`authz matrix (REST): ${new Set(ROWS.map((r) => r.route)).size} routes, ${ROWS.length} rows, ${cellCounts.rest} cells, ${cellCounts.head} HEAD twins, ${cellCounts.probes} 404 probes\n`);
    expect(cellCounts.rest).toBeGreaterThan(500);
  });
});

/** What an error tells: status, code, message and details. */
function errorOf(res: LightMyRequestResponse): { status: number; code?: string; message?: string; details?: unknown } {
  const body = res.body ? (res.json() as { error?: { code?: string; message?: string; details?: unknown } }) : {};
  return { status: res.statusCode, code: body.error?.code, message: body.error?.message, details: body.error?.details };
}

// ---------------------------------------------------------------------------------------------
// Leak checks

type Conv = { id: string; lastMessage: unknown; unreadCount: number; mentionCount: number; lastReadSeq: number; name: string | null };

/** Three CJK characters nobody else will post: any two of them in a row must match only here. */
function uniqueHan(): string {
  return Array.from({ length: 3 }, () => String.fromCodePoint(0x4e00 + Math.floor(Math.random() * 0x5000))).join('');
}

async function searchIds(who: Account, q: string): Promise<string[]> {
  const page = await expectStatus<{ messages: { id: string }[] }>(req('GET', `/api/v1/search/messages?q=${encodeURIComponent(q)}`, who.token), 200);
  return page.messages.map((m) => m.id);
}

describe('nothing of a private conversation reaches a non-member (REST)', () => {
  const outsiders = (): Account[] => [w.users.stranger, w.users.siteAdmin, w.users.candidate];

  it('search: a unique word and a Chinese substring posted in the private group or a direct conversation are found by members only', async () => {
    for (const v of ['private', 'direct'] as const) {
      const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      const han = uniqueHan();
      const m = await send(req, w.users.member, w.fx[v].id, `the launch code is ${word}, 暗号${han}`);
      expect(await searchIds(w.users.member, word), `${v}: a member finds it`).toEqual([m.id]);
      expect(await searchIds(w.users.member, han.slice(1)), `${v}: a member finds the Chinese substring`).toEqual([m.id]);
      for (const o of outsiders()) {
        expect(await searchIds(o, word), `${v}: ${o.user.username} must not find the word`).toEqual([]);
        expect(await searchIds(o, han.slice(0, 2)), `${v}: ${o.user.username} must not find the Chinese substring`).toEqual([]);
      }
    }
  });

  it('the inbox and group listings never show the private group or a direct conversation to outsiders', async () => {
    const priv = await expectStatus<Conv>(req('GET', `/api/v1/groups/${w.fx.private.id}`, w.users.owner.token), 200);
    const prefix = encodeURIComponent(priv.name!.slice(0, 14));
    for (const o of outsiders()) {
      const inbox = await expectStatus<{ conversations: Conv[] }>(req('GET', '/api/v1/conversations?limit=100', o.token), 200);
      const ids = inbox.conversations.map((c) => c.id);
      expect(ids).not.toContain(w.fx.private.id);
      expect(ids).not.toContain(w.fx.direct.id);
      expect(ids, 'a public group is in the inbox of its members only').not.toContain(w.fx.public.id);
      for (const scope of ['mine', 'public']) {
        const list = await expectStatus<{ groups: Conv[] }>(req('GET', `/api/v1/groups?scope=${scope}&q=${prefix}&limit=100`, o.token), 200);
        expect(list.groups.map((g) => g.id), `scope=${scope} as ${o.user.username}`).not.toContain(w.fx.private.id);
      }
    }
    const pub = await expectStatus<{ groups: Conv[] }>(req('GET', '/api/v1/groups?scope=public&limit=100', w.users.stranger.token), 200);
    expect(pub.groups.map((g) => g.id), 'the public group is listed (the check above can see groups)').toContain(w.fx.public.id);
  });

  it('a public group shows outsiders its name, not its messages; a site admin sees a private group, not its messages', async () => {
    const seen = await expectStatus<Conv>(req('GET', `/api/v1/groups/${w.fx.public.id}`, w.users.stranger.token), 200);
    expect({ lastMessage: seen.lastMessage, unreadCount: seen.unreadCount, mentionCount: seen.mentionCount }).toEqual({ lastMessage: null, unreadCount: 0, mentionCount: 0 });
    const listed = await expectStatus<{ groups: Conv[] }>(req('GET', '/api/v1/groups?scope=public&limit=100', w.users.stranger.token), 200);
    expect(listed.groups.find((g) => g.id === w.fx.public.id)?.lastMessage).toBeNull();
    const bySiteAdmin = await expectStatus<Conv>(req('GET', `/api/v1/groups/${w.fx.private.id}`, w.users.siteAdmin.token), 200);
    expect(bySiteAdmin.lastMessage).toBeNull();
    const all = await expectStatus<{ groups: Conv[] }>(req('GET', '/api/v1/groups?scope=all&limit=100', w.users.siteAdmin.token), 200);
    for (const g of all.groups) if (g.id === w.fx.private.id) expect(g.lastMessage).toBeNull();
    const member = await expectStatus<Conv>(req('GET', `/api/v1/groups/${w.fx.private.id}`, w.users.member.token), 200);
    expect(member.lastMessage, 'a member does see it (the check above can see messages)').not.toBeNull();
  });

  it("uploads: an outsider can neither fetch, attach nor wear a private message's attachment, and cannot tell it exists", async () => {
    const { stranger } = w.users;
    const own = await expectStatus<{ id: string }>(req('POST', '/api/v1/groups', stranger.token, { name: uniqueName('azown') }), 201);
    for (const v of ['private', 'direct'] as const) {
      const target = w.fx[v].uploadId;
      const fake = randomUUID();
      for (const path of ['', '/thumbnail']) {
        const a = errorOf(await req('GET', `/api/v1/uploads/${target}${path}`, stranger.token));
        expect(a).toEqual(errorOf(await req('GET', `/api/v1/uploads/${fake}${path}`, stranger.token)));
        expect(a.status).toBe(404);
        // A signature for another upload, or a tampered one, is no key.
        const signed = new URL(w.fx.public.signedUrl, 'http://x');
        const forged = await req('GET', `/api/v1/uploads/${target}${path}${signed.search}`, null);
        expect(errorOf(forged)).toEqual(errorOf(await req('GET', `/api/v1/uploads/${fake}${path}${signed.search}`, null)));
      }
      const attach = (id: string) => req('POST', `/api/v1/conversations/${own.id}/messages`, stranger.token, { body: 'mine now', clientMsgId: randomUUID(), attachmentIds: [id] });
      const [real, unknown] = [await attach(target), await attach(fake)];
      expect(real.statusCode).toBe(400);
      // The details name the id the caller sent: the same answer once it is swapped for the unknown one.
      expect(JSON.parse(JSON.stringify(errorOf(real)).replaceAll(target, fake))).toEqual(errorOf(unknown));
      const wear = (id: string) => req('PATCH', '/api/v1/users/me', stranger.token, { avatarUploadId: id });
      const [worn, unknownWorn] = [await wear(target), await wear(fake)];
      expect(worn.statusCode).toBe(400);
      expect(errorOf(worn)).toEqual(errorOf(unknownWorn));
    }
  });

  it('replies: a private message cannot be quoted in another conversation, and the refusal is the one for an unknown id', async () => {
    const { member, stranger } = w.users;
    const elsewhere = await expectStatus<{ id: string }>(req('POST', '/api/v1/groups', member.token, { name: uniqueName('azelse'), memberIds: [stranger.user.id] }), 201);
    for (const who of [member, stranger]) {
      for (const v of ['private', 'direct'] as const) {
        const reply = (replyTo: string) =>
          req('POST', `/api/v1/conversations/${elsewhere.id}/messages`, who.token, { body: 'quoting', clientMsgId: randomUUID(), replyTo });
        const quoted = await reply(w.fx[v].messageId);
        expect(quoted.statusCode, `${who.user.username} quoting a ${v} message`).toBe(400);
        expect(errorOf(quoted)).toEqual(errorOf(await reply(randomUUID())));
      }
    }
    const history = await expectStatus<{ messages: { body: string }[] }>(req('GET', `/api/v1/conversations/${elsewhere.id}/messages`, stranger.token), 200);
    expect(history.messages).toEqual([]);
  });

  it('mentions: an outsider @mentioned in a private group is not mentioned there', async () => {
    const m = await expectStatus<{ mentions: string[] }>(
      req('POST', `/api/v1/conversations/${w.fx.private.id}/messages`, w.users.member.token, {
        body: `@${w.users.stranger.user.username} @${w.users.member2.user.username} look`,
        clientMsgId: randomUUID(),
      }),
      201,
    );
    expect(m.mentions).toEqual([w.users.member2.user.id]);
  });

  for (const [action, visibility] of [
    ['removed', 'private'],
    ['banned', 'private'],
    ['banned', 'public'],
  ] as const) {
    it(`a member ${action} from a ${visibility} group loses it: history, events, messages, search, uploads, members, sends, reactions`, async () => {
      const { owner, admin, member, member2 } = w.users;
      const fx = await makeGroup(req, w, visibility);
      const gone = member2;
      // Before: member2 reads all of it.
      await expectStatus(req('GET', `/api/v1/messages/${fx.messageId}`, gone.token), 200);
      await expectStatus(req('GET', `/api/v1/uploads/${fx.uploadId}`, gone.token), 200);
      if (action === 'removed') await expectStatus(req('DELETE', `/api/v1/groups/${fx.id}/members/${gone.user.id}`, admin.token), 204);
      else await expectStatus(req('PUT', `/api/v1/groups/${fx.id}/bans/${gone.user.id}`, owner.token), 204);
      const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      const up = await upload(req, member, w.png);
      const later = await send(req, member, fx.id, `after they left: ${word}`, { attachmentIds: [up.id] });
      const hidden = visibility === 'private' ? 404 : 403;
      const refusals: [Method, string, unknown?][] = [
        ['GET', `/api/v1/conversations/${fx.id}`],
        ['GET', `/api/v1/conversations/${fx.id}/messages`],
        ['GET', `/api/v1/conversations/${fx.id}/messages?after=0`],
        ['GET', `/api/v1/conversations/${fx.id}/events?after=0`],
        ['GET', `/api/v1/groups/${fx.id}/members`],
        ['POST', `/api/v1/conversations/${fx.id}/messages`, { body: 'still here?', clientMsgId: randomUUID() }],
        ['POST', `/api/v1/conversations/${fx.id}/read`, { seq: 100 }],
        ['GET', `/api/v1/messages/${fx.messageId}`],
        ['GET', `/api/v1/messages/${later.id}`],
        ['PUT', `/api/v1/messages/${later.id}/reactions/${encodeURIComponent('👍')}`],
        ['GET', `/api/v1/search/messages?q=${word}&conversationId=${fx.id}`],
      ];
      for (const [method, url, body] of refusals) {
        expect((await req(method, url, gone.token, body)).statusCode, `${method} ${url}`).toBe(hidden);
      }
      for (const id of [fx.uploadId, up.id]) expect((await req('GET', `/api/v1/uploads/${id}`, gone.token)).statusCode, `upload ${id}`).toBe(404);
      expect(await searchIds(gone, word)).toEqual([]);
      expect(await searchIds(gone, 'hello')).not.toContain(fx.messageId);
      const inbox = await expectStatus<{ conversations: Conv[] }>(req('GET', '/api/v1/conversations?limit=100', gone.token), 200);
      expect(inbox.conversations.map((c) => c.id)).not.toContain(fx.id);
      // Coming back: a private group cannot be joined; a ban holds on a public one.
      const rejoin = await req('POST', `/api/v1/groups/${fx.id}/members`, gone.token, { userId: gone.user.id });
      expect(rejoin.statusCode).toBe(visibility === 'private' ? 404 : 403);
      // And the member still sees it all (the refusals above are about member2 only).
      await expectStatus(req('GET', `/api/v1/messages/${later.id}`, member.token), 200);
    });
  }
});
