/**
 * The WebSocket authorization matrix (issue 8): every client frame (auth, message.send, typing,
 * read, sync, ping) × every role × the conversation it names (private group, public group,
 * direct), with the reply CONTRACT.md gives; an outsider's error for a hidden conversation is the
 * one for an unknown id. Then the live leak checks: outsiders' sockets receive nothing of a
 * private conversation (events, typing, read receipts, presence, sync), and a member removed,
 * banned or deactivated stops receiving it at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { register, uniqueName, type Account } from '../helpers/app.js';
import {
  buildWorld,
  expectStatus,
  makeGroup,
  PASSWORD,
  requester,
  send,
  upload,
  type Fixture,
  type Requester,
  type Variant,
  type World,
} from '../helpers/authz.js';
import { CLIENT_FRAMES } from '../../src/protocol/frames.js';
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';
import { sleep } from '../helpers/kit.js';

const ADMIN_USERNAME = `azsite_${randomUUID().slice(0, 8)}`;
const GRACE_MS = 100;
let t: TestServer;
let w: World;
const req: Requester = requester(() => t.app);
const clients: WsClient[] = [];
/** One ready socket per signed-in role, and observers. */
const socks = {} as Record<'stranger' | 'member' | 'admin' | 'owner' | 'siteAdmin' | 'member2' | 'peer' | 'candidate', WsClient>;

async function connect(who: Account, cursors?: Record<string, number>): Promise<WsClient> {
  const c = await WsClient.connect(t.wsUrl, who.token, cursors);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await startTestServer({ ADMIN_USERNAME }, { presenceGraceMs: GRACE_MS });
  w = await buildWorld(t.app, ADMIN_USERNAME);
  for (const name of Object.keys(w.users) as (keyof World['users'])[]) {
    if (name === 'deactivated') continue;
    (socks as Record<string, WsClient>)[name] = await connect(w.users[name]);
  }
  // Generous: on a shared, loaded machine opening the database alone has taken 25 s.
}, 180_000);

afterAll(async () => {
  for (const c of clients) if (c.ws.readyState === WebSocket.OPEN || c.ws.readyState === WebSocket.CONNECTING) c.ws.terminate();
  await t?.close();
});

/** A ping round trip per client: what the server wrote to it before has arrived. */
async function flush(...cs: WsClient[]): Promise<void> {
  await Promise.all(cs.map((c) => c.request({ type: 'ping' })));
}

async function closedWithin(c: WsClient, ms: number): Promise<number | 'open'> {
  return Promise.race([c.closed, sleep(ms).then(() => 'open' as const)]);
}

/** The first frame after the first `mark` frames that matches. */
async function nextAfter(c: WsClient, mark: number, pred: (f: Frame) => boolean, ms = 5000): Promise<Frame> {
  const until = Date.now() + ms;
  for (;;) {
    const f = c.frames.slice(mark).find(pred);
    if (f) return f;
    if (Date.now() > until) throw new Error(`no matching frame within ${ms} ms`);
    await sleep(20);
  }
}

/** Waits until `done()` holds, or an error frame with this id arrives (returned). */
async function settle(c: WsClient, id: string, done: () => Promise<boolean>, ms = 4000): Promise<Frame | null> {
  const until = Date.now() + ms;
  for (;;) {
    const err = c.frames.find((f) => f.type === 'error' && f.id === id);
    if (err) return err;
    if (await done()) return null;
    if (Date.now() > until) throw new Error(`frame ${id}: neither its effect nor an error within ${ms} ms`);
    await sleep(25);
  }
}

// ---------------------------------------------------------------------------------------------
// The frame matrix

type SignedIn = 'stranger' | 'member' | 'admin' | 'owner' | 'siteAdmin';
const SIGNED_IN: SignedIn[] = ['stranger', 'member', 'admin', 'owner', 'siteAdmin'];
const VARIANTS: Variant[] = ['private', 'public', 'direct'];

/** What a conversation-scoped frame gets: 'ok', or the error code. */
function expected(role: SignedIn, v: Variant): 'ok' | 'not_found' | 'forbidden' | 'skip' {
  if (v === 'direct' && (role === 'admin' || role === 'owner')) return 'skip';
  if (role === 'stranger' || role === 'siteAdmin') return v === 'public' ? 'forbidden' : 'not_found';
  return 'ok';
}

const counts = { frames: 0, probes: 0 };
/** Client frame types the matrix tried, checked against the protocol's list at the end. */
const tried = new Set<string>();

/** The other member who watches a conversation's ephemeral frames. */
const observerOf = (v: Variant): WsClient => (v === 'direct' ? socks.peer : socks.member2);

async function lastSeq(fx: Fixture): Promise<number> {
  const c = await expectStatus<{ lastSeq: number }>(req('GET', `/api/v1/conversations/${fx.id}`, w.users.member.token), 200);
  return c.lastSeq;
}

describe('WebSocket authorization matrix', () => {
  it('auth: no auth frame, a bad token or a deactivated account\'s old token close with 4401; every signed-in role gets ready', async () => {
    const noAuth = await WsClient.open(t.wsUrl);
    clients.push(noAuth);
    noAuth.send({ type: 'ping', id: 'before-auth' });
    const bad = await WsClient.open(t.wsUrl);
    clients.push(bad);
    bad.send({ type: 'auth', token: w.badToken });
    const old = await WsClient.open(t.wsUrl);
    clients.push(old);
    old.send({ type: 'auth', token: w.users.deactivated.token });
    expect(await Promise.all([closedWithin(noAuth, 3000), closedWithin(bad, 3000), closedWithin(old, 3000)])).toEqual([4401, 4401, 4401]);
    for (const c of [noAuth, bad, old]) expect(c.frames.filter((f) => f.type !== 'error')).toEqual([]);
    counts.frames += 3;
    // Anonymous: any client frame before auth (even carrying a good token) closes the socket unanswered.
    const samples: Record<string, Record<string, unknown>> = {
      'message.send': { conversationId: w.fx.private.id, body: 'anonymous', clientMsgId: randomUUID() },
      typing: { conversationId: w.fx.private.id },
      read: { conversationId: w.fx.private.id, seq: 1 },
      sync: { cursors: { [w.fx.private.id]: 0 } },
      ping: {},
    };
    for (const type of Object.keys(CLIENT_FRAMES)) {
      const c = await WsClient.open(t.wsUrl);
      clients.push(c);
      c.send({ type, id: 'anon', token: w.users.member.token, ...samples[type] });
      expect(await closedWithin(c, 3000), `${type} before auth`).toBe(4401);
      expect(c.frames, `${type} before auth`).toEqual([]);
      counts.frames++;
    }
    for (const role of SIGNED_IN) {
      expect(socks[role].frames.find((f) => f.type === 'ready')).toMatchObject({ type: 'ready', user: { id: w.users[role].user.id } });
      counts.frames++;
    }
  });

  it('ping: pong for every signed-in role', async () => {
    for (const role of SIGNED_IN) {
      expect(await socks[role].request({ type: 'ping' })).toMatchObject({ type: 'pong' });
      counts.frames++;
      tried.add('ping');
    }
  });

  it('message.send: ack for members; 404 for a private group or direct conversation, 403 for a public group, to outsiders', async () => {
    for (const v of VARIANTS) {
      for (const role of SIGNED_IN) {
        const exp = expected(role, v);
        if (exp === 'skip') continue;
        const frame = { type: 'message.send', conversationId: w.fx[v].id, body: `ws matrix ${role}`, clientMsgId: randomUUID() };
        const reply = await socks[role].request(frame);
        counts.frames++;
        tried.add('message.send');
        const where = `message.send on ${v} as ${role}`;
        if (exp === 'ok') expect(reply, where).toMatchObject({ type: 'ack', message: { conversationId: w.fx[v].id, senderId: w.users[role].user.id } });
        else {
          expect(reply, where).toMatchObject({ type: 'error', error: { code: exp } });
          if (v !== 'public') {
            const unknown = await socks[role].request({ ...frame, conversationId: randomUUID() });
            const malformed = await socks[role].request({ ...frame, conversationId: 'not-an-id' });
            counts.probes += 2;
            expect(unknown.error, `${where}: as for an unknown id`).toEqual(reply.error);
            expect(malformed.error, `${where}: as for a malformed id`).toEqual(reply.error);
          }
        }
      }
    }
  });

  it('typing: the other members see it; outsiders get the error (404 hidden, 403 public)', async () => {
    for (const v of VARIANTS) {
      for (const role of SIGNED_IN) {
        const exp = expected(role, v);
        if (exp === 'skip') continue;
        const c = socks[role];
        const id = `typing-${v}-${role}-${randomUUID()}`;
        const observer = observerOf(v);
        const before = observer.frames.length;
        c.send({ type: 'typing', id, conversationId: w.fx[v].id });
        counts.frames++;
        tried.add('typing');
        const seen = () => observer.frames.slice(before).some((f) => f.type === 'typing' && f.conversationId === w.fx[v].id && f.userId === w.users[role].user.id);
        const err = await settle(c, id, async () => seen());
        const where = `typing on ${v} as ${role}`;
        if (exp === 'ok') expect(err, where).toBeNull();
        else {
          expect(err, where).toMatchObject({ type: 'error', error: { code: exp } });
          await flush(observer);
          expect(seen(), `${where}: nobody hears an outsider typing`).toBe(false);
          if (v !== 'public') {
            const probe = await socks[role].request({ type: 'typing', conversationId: randomUUID() });
            counts.probes++;
            expect(probe.error, `${where}: as for an unknown id`).toEqual(err!.error);
          }
        }
      }
    }
  });

  it('read: moves a member\'s read pointer; outsiders get the error (404 hidden, 403 public)', async () => {
    for (const v of VARIANTS) {
      const fx = w.fx[v];
      for (const role of SIGNED_IN) {
        const exp = expected(role, v);
        if (exp === 'skip') continue;
        const seq = await lastSeq(fx);
        const id = `read-${v}-${role}-${randomUUID()}`;
        socks[role].send({ type: 'read', id, conversationId: fx.id, seq });
        counts.frames++;
        tried.add('read');
        const where = `read on ${v} as ${role}`;
        const moved = async () =>
          exp === 'ok' && (await expectStatus<{ lastReadSeq: number }>(req('GET', `/api/v1/conversations/${fx.id}`, w.users[role].token), 200)).lastReadSeq === seq;
        const err = await settle(socks[role], id, moved);
        if (exp === 'ok') expect(err, where).toBeNull();
        else {
          expect(err, where).toMatchObject({ type: 'error', error: { code: exp } });
          if (v !== 'public') {
            const probe = await socks[role].request({ type: 'read', conversationId: randomUUID(), seq });
            counts.probes++;
            expect(probe.error, `${where}: as for an unknown id`).toEqual(err!.error);
          }
        }
      }
    }
  });

  it('sync: members get the replay; for outsiders the conversation is skipped, exactly like an unknown id, with no event', async () => {
    for (const v of VARIANTS) {
      const fx = w.fx[v];
      for (const role of SIGNED_IN) {
        const exp = expected(role, v);
        if (exp === 'skip') continue;
        const c = await connect(w.users[role]);
        const unknown = randomUUID();
        const done = await c.request({ type: 'sync', cursors: { [fx.id]: 0, [unknown]: 0 } });
        counts.frames++;
        tried.add('sync');
        const where = `sync of ${v} as ${role}`;
        expect(done, where).toMatchObject({ type: 'sync.done', hasMore: false });
        if (exp === 'ok') {
          expect(done.skipped, where).toEqual([unknown]);
          expect(c.events(fx.id).map((e) => e.seq).slice(0, 2), where).toEqual([1, 2]);
        } else {
          expect([...done.skipped].sort(), where).toEqual([fx.id, unknown].sort());
          await flush(c);
          expect(c.frames.filter((f) => f.conversationId === fx.id), where).toEqual([]);
        }
        c.close();
      }
    }
  });

  it('auth with cursors: an outsider\'s cursors for hidden conversations replay nothing', async () => {
    const c = await connect(w.users.stranger, { [w.fx.private.id]: 0, [w.fx.public.id]: 0, [w.fx.direct.id]: 0 });
    const done = await c.next((f) => f.type === 'sync.done');
    expect([...done.skipped].sort()).toEqual([w.fx.private.id, w.fx.public.id, w.fx.direct.id].sort());
    await flush(c);
    expect(c.events()).toEqual([]);
    c.close();
  });

  it('every client frame type of the protocol has its rows, and the cells are counted', () => {
    expect([...tried].sort(), 'a client frame type without rows in tests/ws/authz-matrix.test.ts').toEqual(Object.keys(CLIENT_FRAMES).sort());
    process.stdout.write(`authz matrix (WebSocket): ${counts.frames} frame cells, ${counts.probes} 404 probes\n`);
    expect(counts.frames).toBeGreaterThan(50);
  });
});

// ---------------------------------------------------------------------------------------------
// Live leak checks

/** Everything an outsider's socket received that names one of these conversations or words. */
function leaks(c: WsClient, ids: string[], words: string[]): Frame[] {
  return c.frames.filter((f) => {
    const text = JSON.stringify(f);
    return ids.some((id) => text.includes(id)) || words.some((word) => text.includes(word));
  });
}

describe('nothing of a private conversation reaches a non-member (WebSocket)', () => {
  it('outsiders\' sockets receive no event, typing, read receipt or sync frame of the private group, the direct conversation or (to non-members) the public group', async () => {
    const { owner, admin, member, member2, candidate, peer } = w.users;
    const outsiders = [socks.stranger, socks.siteAdmin, socks.candidate];
    const marks = outsiders.map((c) => c.frames.length);
    const words: string[] = [];
    for (const v of VARIANTS) {
      const fx = w.fx[v];
      const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      words.push(word);
      const up = await upload(req, member, w.png);
      const m = await send(req, member, fx.id, `secret ${word}`, { attachmentIds: [up.id] });
      await expectStatus(req('PATCH', `/api/v1/messages/${m.id}`, member.token, { body: `edited secret ${word}` }), 200);
      await expectStatus(req('PUT', `/api/v1/messages/${m.id}/reactions/${encodeURIComponent('🔒')}`, v === 'direct' ? peer.token : owner.token), 204);
      if (v !== 'direct') {
        await expectStatus(req('PATCH', `/api/v1/groups/${fx.id}`, admin.token, { description: `about ${word}` }), 200);
        await expectStatus(req('POST', `/api/v1/groups/${fx.id}/members`, owner.token, { userId: candidate.user.id }), 201);
        await expectStatus(req('DELETE', `/api/v1/groups/${fx.id}/members/${candidate.user.id}`, owner.token), 204);
        await expectStatus(req('PUT', `/api/v1/groups/${fx.id}/mutes/${member2.user.id}`, admin.token, { until: new Date(Date.now() + 60_000).toISOString() }), 204);
        await expectStatus(req('DELETE', `/api/v1/groups/${fx.id}/mutes/${member2.user.id}`, admin.token), 204);
      }
      await expectStatus(req('DELETE', `/api/v1/messages/${m.id}`, member.token), 204);
      // Ephemeral frames last (their audience is read when the frame is handled: candidate is out by now).
      const watcher = v === 'direct' ? socks.peer : socks.member2;
      const mark = watcher.frames.length;
      socks.member.send({ type: 'typing', conversationId: fx.id });
      socks.member.send({ type: 'read', conversationId: fx.id, seq: m.seq });
      // The members did hear all of it (the checks below can see frames).
      await watcher.next((f) => f.type === 'message.deleted' && f.messageId === m.id);
      await nextAfter(watcher, mark, (f) => f.type === 'typing' && f.conversationId === fx.id && f.userId === member.user.id);
      expect(watcher.frames.some((f) => f.type === 'message.created' && f.message.body === `secret ${word}`)).toBe(true);
    }
    await flush(...outsiders);
    // candidate was a member for a moment: its socket saw member.joined..member.left of those groups, nothing else.
    for (const [i, c] of outsiders.entries()) {
      const got = leaks({ frames: c.frames.slice(marks[i]) } as WsClient, [w.fx.private.id, w.fx.public.id, w.fx.direct.id], words);
      const allowed = c === socks.candidate ? got.filter((f) => !(f.type === 'member.joined' || f.type === 'member.left') || f.member.user.id !== candidate.user.id) : got;
      expect(allowed, `socket of ${c === socks.stranger ? 'stranger' : c === socks.siteAdmin ? 'siteAdmin' : 'candidate'}`).toEqual([]);
    }
  });

  it('read receipts go to the reader\'s other sockets and a direct peer only, never to the rest of a group', async () => {
    const { member } = w.users;
    const second = await connect(member);
    const before = { member2: socks.member2.frames.length, admin: socks.admin.frames.length, peer: socks.peer.frames.length, stranger: socks.stranger.frames.length };
    for (const v of ['private', 'direct'] as const) {
      const m = await send(req, member, w.fx[v].id, 'read me');
      socks.member.send({ type: 'read', conversationId: w.fx[v].id, seq: m.seq });
      await second.next((f) => f.type === 'read' && f.conversationId === w.fx[v].id && f.lastReadSeq === m.seq);
    }
    await socks.peer.next((f) => f.type === 'read' && f.conversationId === w.fx.direct.id && f.userId === member.user.id);
    await flush(socks.member2, socks.admin, socks.stranger);
    for (const [name, c] of [['member2', socks.member2], ['admin', socks.admin], ['stranger', socks.stranger]] as const) {
      expect(c.frames.slice(before[name]).filter((f) => f.type === 'read'), name).toEqual([]);
    }
    second.close();
  });

  it('presence: a member coming online or going offline is announced to co-members only', async () => {
    const x = await register(t.app, uniqueName('azpres'), PASSWORD);
    await expectStatus(req('POST', `/api/v1/groups/${w.fx.private.id}/members`, w.users.owner.token, { userId: x.user.id }), 201);
    const marks = [socks.stranger, socks.siteAdmin, socks.candidate].map((c) => c.frames.length);
    const xs = await connect(x);
    await socks.member2.next((f) => f.type === 'presence' && f.userId === x.user.id && f.online === true);
    xs.close();
    await socks.member2.next((f) => f.type === 'presence' && f.userId === x.user.id && f.online === false, GRACE_MS + 4000);
    for (const [i, c] of [socks.stranger, socks.siteAdmin, socks.candidate].entries()) {
      await flush(c);
      expect(c.frames.slice(marks[i]).filter((f) => f.type === 'presence' && f.userId === x.user.id)).toEqual([]);
    }
  });

  for (const [action, visibility] of [
    ['removed', 'private'],
    ['banned', 'public'],
    ['left', 'private'],
  ] as const) {
    it(`a member ${action} (${visibility} group) stops receiving its live events at once and cannot sync, send or type in it`, async () => {
      const y = await register(t.app, uniqueName('azgone'), PASSWORD);
      const fx = await makeGroup(req, w, visibility, { attachment: false });
      await expectStatus(req('POST', `/api/v1/groups/${fx.id}/members`, w.users.owner.token, { userId: y.user.id }), 201);
      const ys = await connect(y);
      await send(req, w.users.member, fx.id, 'while y is in');
      await ys.next((f) => f.type === 'message.created' && f.conversationId === fx.id);
      if (action === 'removed') await expectStatus(req('DELETE', `/api/v1/groups/${fx.id}/members/${y.user.id}`, w.users.admin.token), 204);
      else if (action === 'banned') await expectStatus(req('PUT', `/api/v1/groups/${fx.id}/bans/${y.user.id}`, w.users.owner.token), 204);
      else await expectStatus(req('DELETE', `/api/v1/groups/${fx.id}/members/${y.user.id}`, y.token), 204);
      const left = await ys.next((f) => f.type === 'member.left' && f.conversationId === fx.id && f.member.user.id === y.user.id);
      const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      const after = await send(req, w.users.member, fx.id, `after y: ${word}`);
      await expectStatus(req('PATCH', `/api/v1/groups/${fx.id}`, w.users.owner.token, { name: `renamed ${word}` }), 200);
      socks.member.send({ type: 'typing', conversationId: fx.id });
      await socks.member2.next((f) => f.type === 'conversation.updated' && f.conversationId === fx.id && f.conversation.name === `renamed ${word}`);
      const code = visibility === 'private' ? 'not_found' : 'forbidden';
      expect(await ys.request({ type: 'message.send', conversationId: fx.id, body: 'still here?', clientMsgId: randomUUID() })).toMatchObject({ type: 'error', error: { code } });
      expect(await ys.request({ type: 'typing', conversationId: fx.id })).toMatchObject({ type: 'error', error: { code } });
      expect(await ys.request({ type: 'read', conversationId: fx.id, seq: after.seq })).toMatchObject({ type: 'error', error: { code } });
      const done = await ys.request({ type: 'sync', cursors: { [fx.id]: 0 } });
      expect(done.skipped).toEqual([fx.id]);
      await flush(ys);
      const afterLeft = ys.frames.filter((f) => (f.conversationId === fx.id && (typeof f.seq !== 'number' || f.seq > left.seq)) || JSON.stringify(f).includes(word));
      expect(afterLeft).toEqual([]);
      // A fresh connection of theirs hears nothing of it either.
      const again = await connect(y, { [fx.id]: 0 });
      const syncDone = await again.next((f) => f.type === 'sync.done');
      expect(syncDone.skipped).toEqual([fx.id]);
      await send(req, w.users.member, fx.id, `later still ${word}`);
      await flush(again);
      expect(again.frames.filter((f) => f.conversationId === fx.id || JSON.stringify(f).includes(word))).toEqual([]);
    });
  }

  it('a user who left a public group and rejoined gets what follows the rejoin, not what was said while out', async () => {
    const y = await register(t.app, uniqueName('azback'), PASSWORD);
    const fx = await makeGroup(req, w, 'public', { attachment: false });
    await expectStatus(req('POST', `/api/v1/groups/${fx.id}/members`, y.token, { userId: y.user.id }), 201);
    const ys = await connect(y);
    await expectStatus(req('DELETE', `/api/v1/groups/${fx.id}/members/${y.user.id}`, y.token), 204);
    await ys.next((f) => f.type === 'member.left' && f.conversationId === fx.id);
    const whileOut = await send(req, w.users.member, fx.id, 'said while y was out');
    await expectStatus(req('POST', `/api/v1/groups/${fx.id}/members`, y.token, { userId: y.user.id }), 201);
    const back = await send(req, w.users.member, fx.id, 'said after y came back');
    await ys.next((f) => f.type === 'message.created' && f.message.id === back.id);
    expect(ys.frames.filter((f) => f.type === 'message.created' && f.message.id === whileOut.id)).toEqual([]);
  });

  it("a deactivated user's sockets close with 4401 and its old token opens no new one", async () => {
    const z = await register(t.app, uniqueName('azdeact'), PASSWORD);
    await expectStatus(req('POST', `/api/v1/groups/${w.fx.private.id}/members`, w.users.owner.token, { userId: z.user.id }), 201);
    const zs = await connect(z);
    await expectStatus(req('POST', `/api/v1/admin/users/${z.user.id}/deactivate`, w.users.siteAdmin.token), 204);
    expect(await closedWithin(zs, 3000)).toBe(4401);
    const mark = zs.frames.length;
    await send(req, w.users.member, w.fx.private.id, 'after z was deactivated');
    expect(zs.frames.slice(mark)).toEqual([]);
    const retry = await WsClient.open(t.wsUrl);
    clients.push(retry);
    retry.send({ type: 'auth', token: z.token, cursors: { [w.fx.private.id]: 0 } });
    expect(await closedWithin(retry, 3000)).toBe(4401);
    expect(retry.frames.filter((f) => f.type !== 'error')).toEqual([]);
  });
});
