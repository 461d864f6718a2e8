/**
 * The authorization matrix's shared world (tests/api/authz-matrix.test.ts and
 * tests/ws/authz-matrix.test.ts): one user per role, a private group, a public group and a direct
 * conversation with messages and attachments, and the list of routes the app registers.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { expect } from 'vitest';
import { auth, register, uniqueName, type Account } from './app.js';

/** Who calls: the columns of the matrix. */
export const ROLES = ['anonymous', 'badToken', 'deactivated', 'stranger', 'member', 'admin', 'owner', 'siteAdmin'] as const;
export type Role = (typeof ROLES)[number];
/** Roles without a working token. */
export const UNAUTHENTICATED: readonly Role[] = ['anonymous', 'badToken', 'deactivated'];

/** Which conversation a conversation-scoped row is tried on. */
export type Variant = 'private' | 'public' | 'direct';

export const PASSWORD = 'correct horse';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** A conversation with what the matrix points at in it. */
export interface Fixture {
  variant: Variant;
  id: string;
  /** A message sent by `member`, with an image attached (`uploadId`). */
  messageId: string;
  uploadId: string;
  /** Signed URLs of that attachment, as members were given them. */
  signedUrl: string;
  signedThumbnailUrl: string;
  /** Direct only: a message sent by the peer (not by `member`). */
  peerMessageId?: string;
  /** Groups only: a webhook, when asked for. */
  hookId?: string;
}

export interface World {
  /** One account per signed-in role, plus the extra people the rows point at. */
  users: Record<'owner' | 'admin' | 'member' | 'member2' | 'stranger' | 'siteAdmin' | 'deactivated' | 'peer' | 'candidate', Account>;
  /** A well-formed token nobody holds. */
  badToken: string;
  fx: Record<Variant, Fixture>;
  /** An upload of `member` attached to nothing. */
  looseUploadId: string;
  /** An API token id and a bot id of `peer`: somebody else's, for everyone else. */
  peerTokenId: string;
  peerBotId: string;
  png: Buffer;
}

/** A request under the app; `token` null sends no Authorization header. */
export function requester(getApp: () => FastifyInstance) {
  return (method: Method, url: string, token: string | null, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    getApp().inject({
      method,
      url,
      headers: { ...(token ? auth(token) : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
}
export type Requester = ReturnType<typeof requester>;

export async function expectStatus<T = any>(res: Promise<LightMyRequestResponse> | LightMyRequestResponse, status: number): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any -- test payloads
  const r = await res;
  expect(r.statusCode, `${r.statusCode} ${r.body.slice(0, 300)}`).toBe(status);
  return (r.body && r.headers['content-type']?.toString().includes('json') ? r.json() : undefined) as T;
}

/** A multipart/form-data body with one file in the field `file`. */
export function multipart(filename: string, data: Buffer, contentType = 'application/octet-stream'): { payload: Buffer; contentType: string } {
  const boundary = `----authz${randomUUID().replace(/-/g, '')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`, 'utf8');
  return { payload: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface UploadView {
  id: string;
  url: string;
  thumbnailUrl: string | null;
}

export async function upload(req: Requester, who: Account, data: Buffer, filename = 'secret.png'): Promise<UploadView> {
  const body = multipart(filename, data);
  return expectStatus(req('POST', '/api/v1/uploads', who.token, body.payload, { 'content-type': body.contentType }), 201);
}

export async function send(
  req: Requester,
  who: Account,
  conversationId: string,
  body: string,
  extra: { attachmentIds?: string[]; replyTo?: string } = {},
): Promise<{ id: string; seq: number; attachments: UploadView[] }> {
  return expectStatus(req('POST', `/api/v1/conversations/${conversationId}/messages`, who.token, { body, clientMsgId: randomUUID(), ...extra }), 201);
}

/**
 * A group of `visibility` with owner, admin (role admin), member and member2, a message of
 * `member` carrying an image, and (when asked) a webhook.
 */
export async function makeGroup(
  req: Requester,
  w: Pick<World, 'users' | 'png'>,
  visibility: 'private' | 'public',
  opts: { hook?: boolean; attachment?: boolean } = {},
): Promise<Fixture> {
  const { owner, admin, member, member2 } = w.users;
  const g = await expectStatus<{ id: string }>(
    req('POST', '/api/v1/groups', owner.token, {
      name: uniqueName(`authz-${visibility}-`),
      visibility,
      memberIds: [admin.user.id, member.user.id, member2.user.id],
    }),
    201,
  );
  await expectStatus(req('PATCH', `/api/v1/groups/${g.id}/members/${admin.user.id}`, owner.token, { role: 'admin' }), 200);
  const up = opts.attachment === false ? null : await upload(req, member, w.png);
  const m = await send(req, member, g.id, `hello from ${visibility}`, up ? { attachmentIds: [up.id] } : {});
  let hookId: string | undefined;
  if (opts.hook) {
    const h = await expectStatus<{ id: string }>(req('POST', `/api/v1/groups/${g.id}/webhooks`, owner.token, { url: 'http://127.0.0.1:9/authz-hook' }), 201);
    hookId = h.id;
  }
  const att = m.attachments[0];
  return {
    variant: visibility,
    id: g.id,
    messageId: m.id,
    uploadId: att?.id ?? '',
    signedUrl: att?.url ?? '',
    signedThumbnailUrl: att?.thumbnailUrl ?? '',
    hookId,
  };
}

/** Registers everyone, deactivates `deactivated` (keeping its old token) and builds the fixtures. */
export async function buildWorld(app: FastifyInstance, adminUsername: string): Promise<World> {
  const req = requester(() => app);
  const siteAdmin = await register(app, adminUsername, PASSWORD);
  const names = ['owner', 'admin', 'member', 'member2', 'stranger', 'deactivated', 'peer', 'candidate'] as const;
  const accounts = await Promise.all(names.map((n) => register(app, uniqueName(`az${n.slice(0, 4)}`), PASSWORD)));
  const users = Object.fromEntries(names.map((n, i) => [n, accounts[i]!])) as World['users'];
  users.siteAdmin = siteAdmin;
  expect((siteAdmin.user as { siteAdmin?: boolean }).siteAdmin, 'ADMIN_USERNAME makes the site admin').toBe(true);
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#884422' } }).png().toBuffer();
  const partial = { users, png };
  const [priv, pub] = await Promise.all([makeGroup(req, partial, 'private'), makeGroup(req, partial, 'public')]);
  const { member, peer } = users;
  const d = await expectStatus<{ id: string }>(req('POST', '/api/v1/conversations/direct', member.token, { userId: peer.user.id }), 201);
  const up = await upload(req, member, png);
  const dm = await send(req, member, d.id, 'hello from direct', { attachmentIds: [up.id] });
  const pm = await send(req, peer, d.id, 'hello back');
  const direct: Fixture = {
    variant: 'direct',
    id: d.id,
    messageId: dm.id,
    uploadId: up.id,
    signedUrl: dm.attachments[0]!.url,
    signedThumbnailUrl: dm.attachments[0]!.thumbnailUrl ?? '',
    peerMessageId: pm.id,
  };
  const loose = await upload(req, member, Buffer.from('nobody else may read this'), 'loose.txt');
  const peerToken = await expectStatus<{ id: string }>(req('POST', '/api/v1/users/me/tokens', peer.token, { name: 'peer script' }), 201);
  const peerBot = await expectStatus<{ user: { id: string } }>(req('POST', '/api/v1/bots', peer.token, { username: uniqueName('azbot') }), 201);
  await expectStatus(req('POST', `/api/v1/admin/users/${users.deactivated.user.id}/deactivate`, siteAdmin.token), 204);
  return {
    users,
    badToken: `not-a-real-token-${randomUUID()}`,
    fx: { private: priv, public: pub, direct },
    looseUploadId: loose.id,
    peerTokenId: peerToken.id,
    peerBotId: peerBot.user.id,
    png,
  };
}

/** The token a role calls with (null: none). */
export function tokenOf(w: World, role: Role): string | null {
  if (role === 'anonymous') return null;
  if (role === 'badToken') return w.badToken;
  return w.users[role].token;
}

/**
 * Every route the app registers, as "METHOD /path" (Fastify's patterns, e.g.
 * `GET /api/v1/groups/:id`), read from `printRoutes()` so no registration path is missed.
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m || !m[2]) continue;
    // "├── " marks the first level: four characters of tree per level.
    const depth = Math.max(0, Math.round(m[1]!.length / 4) - 1);
    const path = (depth > 0 ? stack[depth - 1]! : '') + m[2];
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push(`${method} ${path}`);
  }
  return [...new Set(out)].sort();
}

/** Fills a route pattern's `:params`. */
export function fill(pattern: string, params: Record<string, string>): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${pattern}`);
    return encodeURIComponent(v);
  });
}
