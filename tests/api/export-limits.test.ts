/**
 * How many exports may run (issue 26): one at a time per requester, where a bot's exports count
 * against its owner (an owner with several admin bots once ran them side by side), one at a time
 * per group, and EXPORTS_MAX_CONCURRENT per node; the rest get 429 `rate_limited` with
 * `details.retryAfter` and what was busy. On PostgreSQL the rule holds across nodes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { ConfigError, parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import type { Actor } from '../../src/services/identity/identity.js';
import type { GroupExportFile } from '../../src/services/data/export.service.js';
import { apiCaller, dbKind, register, startTestApp, uniqueName, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
const call = apiCaller(() => t.app);
let owner: Account;
let bot: Account;
let groupId: string;
let botGroupId: string;

const services = (app: FastifyInstance = t.app) => (app as ParleyApp).services;
const actorOf = async (who: Account): Promise<Actor> => (await services().accounts.authenticate(who.token))!;

async function createGroup(creator: Account, admins: Account[] = []): Promise<string> {
  const res = await call('POST', '/groups', creator, { name: uniqueName('export'), memberIds: admins.map((a) => a.user.id) });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  for (const a of admins) expect((await call('PATCH', `/groups/${id}/members/${a.user.id}`, creator, { role: 'admin' })).statusCode).toBe(200);
  return id;
}

function expectBusy(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown; body: string }, busy: string): void {
  expect(res.statusCode, res.body).toBe(429);
  const error = (res.json() as { error: { code: string; details: { retryAfter: number; busy: string } } }).error;
  expect(error.code).toBe('rate_limited');
  expect(error.details.busy).toBe(busy);
  expect(error.details.retryAfter).toBeGreaterThan(0);
  expect(Number(res.headers['retry-after'])).toBe(error.details.retryAfter);
}

/** Stops an export the way a client that goes away does, and waits until its slot is free. */
async function abandon(file: GroupExportFile | { stream: GroupExportFile['stream'] }): Promise<void> {
  const closed = new Promise((r) => file.stream.once('close', r));
  file.stream.destroy();
  await closed;
}

beforeAll(async () => {
  t = await startTestApp({ EXPORTS_MAX_CONCURRENT: '2' });
  owner = await register(t.app);
  const created = await call('POST', '/bots', owner, { username: uniqueName('bot'), scopes: ['read', 'write', 'account'] });
  expect(created.statusCode, created.body).toBe(201);
  bot = created.json() as Account;
  groupId = await createGroup(owner);
  // A group the bot administers (its owner is not even a member).
  const someone = await register(t.app);
  botGroupId = await createGroup(someone, [bot]);
}, 60_000);
afterAll(async () => t?.close());

describe('one export at a time per requester', () => {
  it("counts a bot's exports against its owner, whichever export either runs", async () => {
    const running = await services().exports.open(await actorOf(owner), groupId);
    try {
      // The bot exporting a group it administers, or its own data: the owner's export is running.
      expectBusy(await call('GET', `/groups/${botGroupId}/export`, bot), 'requester');
      expectBusy(await call('GET', '/users/me/export', bot), 'requester');
      expectBusy(await call('GET', '/users/me/export', owner), 'requester');
    } finally {
      await abandon(running);
    }
    // The other way round: the bot's export holds its owner.
    const botRunning = await services().userExports.open(await actorOf(bot));
    try {
      expectBusy(await call('GET', `/groups/${groupId}/export`, owner), 'requester');
    } finally {
      await abandon(botRunning);
    }
    expect((await call('GET', `/groups/${botGroupId}/export`, bot)).statusCode).toBe(200);
    expect((await call('GET', `/groups/${groupId}/export`, owner)).statusCode).toBe(200);
  });
});

describe('a node-wide cap', () => {
  it('refuses an export beyond EXPORTS_MAX_CONCURRENT, and takes one again when a slot is free', async () => {
    const [a, b, c] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    const first = await services().userExports.open(await actorOf(a));
    const second = await services().userExports.open(await actorOf(b));
    try {
      expectBusy(await call('GET', '/users/me/export', c), 'node');
      await abandon(first);
      const res = await call('GET', '/users/me/export', c);
      expect(res.statusCode, res.body).toBe(200);
      expect(JSON.parse(res.body).profile.id).toBe(c.user.id);
    } finally {
      await abandon(second);
    }
  });

  it('is EXPORTS_MAX_CONCURRENT, 2 by default; a bad value stops start-up naming it', () => {
    expect(parseConfig({}).exportsMaxConcurrent).toBe(2);
    expect(parseConfig({ EXPORTS_MAX_CONCURRENT: '8' }).exportsMaxConcurrent).toBe(8);
    for (const bad of ['0', '65', 'two', '-1']) {
      expect(() => parseConfig({ EXPORTS_MAX_CONCURRENT: bad })).toThrow(ConfigError);
      expect(() => parseConfig({ EXPORTS_MAX_CONCURRENT: bad })).toThrow(/EXPORTS_MAX_CONCURRENT/);
    }
  });

  it('frees the slots of an export that failed to start', async () => {
    // A 404 or a 403 takes no slot at all.
    const stranger = await register(t.app);
    for (let k = 0; k < 3; k++) expect((await call('GET', `/groups/${groupId}/export`, stranger)).statusCode).toBe(404);
    expect((await call('GET', '/users/me/export', stranger)).statusCode).toBe(200);
  });
});

describe.runIf(dbKind === 'postgres')('across nodes (PostgreSQL)', () => {
  it('holds per group and per requester for a second node on the same database', async () => {
    const second = await buildApp({ config: t.config, database: t.database, logger: createLogger({ level: 'silent', logDir: null }) });
    await second.ready();
    try {
      const admin = await register(t.app);
      const shared = await createGroup(owner, [admin]);
      const running = await services().exports.open(await actorOf(owner), shared);
      try {
        const onSecond = (url: string, who: Account) => second.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${who.token}` } });
        expectBusy(await onSecond(`/groups/${shared}/export`, admin), 'group');
        expectBusy(await onSecond('/users/me/export', bot), 'requester');
        expect((await onSecond('/users/me/export', admin)).statusCode).toBe(200);
      } finally {
        await abandon(running);
      }
      // The locks go with the export: the second node may export the group now.
      const res = await second.inject({ method: 'GET', url: `/api/v1/groups/${shared}/export`, headers: { authorization: `Bearer ${admin.token}` } });
      expect(res.statusCode, res.body).toBe(200);
    } finally {
      await second.close();
    }
  });
});
