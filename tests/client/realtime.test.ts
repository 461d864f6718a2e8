/**
 * ParleyRealtime against a real server: live events in order, reconnects that sync exactly what
 * was missed, sends kept across disconnects and retried with the same clientMsgId, refused
 * tokens, bounded syncs (hasMore) and cursors split over several frames.
 *
 * One server for the file with a sync budget of 20 events per frame, so hasMore is reached by a
 * few dozen messages. Clients use `SocketSpy` (tests/client/support.ts) to see what they write.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { ApiError, ParleyApi, ParleyRealtime, type Message, type ParleyRealtimeOptions, type User } from '../../src/client/index.js';
import { MAX_SYNC_CURSORS } from '../../src/protocol/frames.js';
import { uniqueName } from '../helpers/app.js';
import { startTestServer, type TestServer } from '../helpers/ws.js';
import { dropSockets, range, Recorder, sleep, SocketSpy, waitFor } from './support.js';

const SYNC_BUDGET = 20;

let t: TestServer;
const running: ParleyRealtime[] = [];

beforeAll(async () => {
  t = await startTestServer({}, { presenceGraceMs: 50, gateway: { syncBudget: SYNC_BUDGET } });
});

afterEach(() => {
  for (const rt of running.splice(0)) rt.stop();
});

afterAll(async () => {
  await t?.close();
});

interface Person {
  api: ParleyApi;
  user: User;
}

async function person(): Promise<Person> {
  const api = new ParleyApi({ baseUrl: t.httpUrl });
  const { user } = await api.register({ username: uniqueName('rt'), password: 'correct horse' });
  return { api, user };
}

/** A group of `owner` with `members`; returns its id. */
async function group(owner: Person, ...members: Person[]): Promise<string> {
  const g = await owner.api.createGroup({ name: uniqueName('g'), memberIds: members.map((m) => m.user.id) });
  return g.id;
}

async function say(who: Person, conversationId: string, n: number, prefix = 'm'): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) out.push(await who.api.sendMessage(conversationId, { body: `${prefix} ${i + 1}` }));
  return out;
}

/**
 * A started realtime client of `who`. Backoff is long by default so a test decides when a
 * dropped client comes back (`reconnectNow`); pass `backoff` for automatic reconnects.
 */
function realtime(who: Person, opts: Partial<ParleyRealtimeOptions> = {}): { rt: ParleyRealtime; rec: Recorder; spy: SocketSpy } {
  const spy = new SocketSpy();
  const rt = new ParleyRealtime({
    url: t.wsUrl,
    token: who.api.token!,
    WebSocket: spy.WebSocket,
    backoff: { minMs: 60_000, maxMs: 60_000 },
    ...opts,
  });
  const rec = new Recorder(rt);
  running.push(rt);
  rt.start();
  return { rt, rec, spy };
}

const online = (rt: ParleyRealtime) => waitFor(() => rt.state === 'online', 'state online');

/** Every event the REST feed has for a conversation, as seqs. */
/**
 * Everything sent to `rec` in a conversation before now has arrived: one more message is sent
 * and waited for (events come in seq order, so nothing before it is still on its way). Resolves
 * with its seq.
 */
async function settled(who: Person, rec: Recorder, conversationId: string): Promise<number> {
  const marker = await who.api.sendMessage(conversationId, { body: 'marker' });
  await waitFor(() => rec.seqs(conversationId).includes(marker.seq), `the marker, seq ${marker.seq}`);
  return marker.seq;
}

async function feedSeqs(who: Person, conversationId: string): Promise<number[]> {
  const out: number[] = [];
  let after = 0;
  for (;;) {
    const page = await who.api.events(conversationId, { after, limit: 100 });
    out.push(...page.events.map((e) => e.seq));
    if (!page.hasMore || page.events.length === 0) return out;
    after = out[out.length - 1]!;
  }
}

describe('live delivery', () => {
  it('goes connecting → syncing → online and delivers live events in seq order, each once', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    const { rt, rec } = realtime(bob, { cursors: { [conv]: 0 } });
    await online(rt);
    expect(rec.states()).toEqual(['connecting', 'syncing', 'online']);
    expect(rec.of('ready')[0]?.user.id).toBe(bob.user.id);
    expect(rt.user?.id).toBe(bob.user.id);

    await say(alice, conv, 25);
    await waitFor(() => rec.seqs(conv).length >= 25, '25 events');
    expect(await settled(alice, rec, conv)).toBe(26);
    expect(rec.seqs(conv)).toEqual(range(1, 26));
    expect(rec.events.every((e) => e.type === 'message.created')).toBe(true);
    expect(rt.cursor(conv)).toBe(26);
    expect(rec.of('reconnected')).toHaveLength(0);
  });

  it('emits conversationCreated when a group is created with the user among its founders, then its events from seq 1', async () => {
    const alice = await person();
    const bob = await person();
    const { rt, rec } = realtime(bob);
    await online(rt);
    const conv = await group(alice, bob);
    await waitFor(() => rec.of('conversationCreated').length === 1, 'conversationCreated');
    expect(rec.of('conversationCreated')[0]!.conversation).toMatchObject({ id: conv, kind: 'group', unreadCount: 0 });
    await say(alice, conv, 2);
    await waitFor(() => rec.seqs(conv).length >= 2, '2 events');
    expect(rec.seqs(conv)).toEqual([1, 2]);
  });

  it('forwards typing, read receipts and presence; read() moves the read pointer', async () => {
    const alice = await person();
    const bob = await person();
    const direct = await alice.api.openDirect(bob.user.id);
    await say(alice, direct.id, 3);
    const b = realtime(bob);
    await online(b.rt);
    const cameOnline = b.rec.next('presence', (p) => p.userId === alice.user.id && p.online);
    const a = realtime(alice);
    await online(a.rt);
    await cameOnline;
    expect(a.rt.typing(direct.id)).toBe(true);
    const typing = await b.rec.next('typing', (f) => f.conversationId === direct.id);
    expect(typing.userId).toBe(alice.user.id);

    b.rt.read(direct.id, 2);
    const receipt = await a.rec.next('read', (f) => f.conversationId === direct.id);
    expect(receipt).toMatchObject({ userId: bob.user.id, lastReadSeq: 2 });
    expect((await bob.api.getConversation(direct.id)).lastReadSeq).toBe(2);

    const wentOffline = b.rec.next('presence', (p) => p.userId === alice.user.id && !p.online);
    a.rt.stop();
    expect((await wentOffline).lastSeenAt).not.toBeNull();
    expect(a.rt.typing(direct.id)).toBe(false);
  });
});

describe('reconnect and sync', () => {
  it('after the server drops the socket, reconnects and syncs exactly the missed events, none twice', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    const { rt, rec, spy } = realtime(bob, { cursors: { [conv]: 0 } });
    await online(rt);
    await say(alice, conv, 5);
    await waitFor(() => rt.cursor(conv) === 5, 'first five');

    expect(dropSockets(t, bob.user.id)).toBe(1);
    await waitFor(() => rt.state === 'offline', 'offline');
    const missed = await say(alice, conv, 7, 'missed');
    await alice.api.addReaction(missed[0]!.id, '🎉');
    await alice.api.editMessage(missed[1]!.id, 'edited while away');
    expect(rec.seqs(conv)).toEqual(range(1, 5));

    rt.reconnectNow();
    const synced = await rec.next('synced');
    expect(synced.reconnect).toBe(true);
    expect(rt.state).toBe('online');
    expect(await settled(alice, rec, conv)).toBe(15);
    expect(rec.seqs(conv)).toEqual(range(1, 15));
    expect(rec.seqs(conv)).toEqual(await feedSeqs(alice, conv));
    expect(rec.of('reconnected')).toHaveLength(1);
    // The second socket resumed from the cursor in its auth frame.
    const auths = spy.frames('auth');
    expect(auths).toHaveLength(2);
    expect(auths[1]!.cursors).toEqual({ [conv]: 5 });
    // Replayed state is current: the edited message comes with its new body.
    const replayed = rec.events.find((e) => e.seq === 7);
    expect(replayed?.type === 'message.created' && replayed.message.body).toBe('edited while away');
  });

  it('keeps every conversation gap-free and duplicate-free across repeated drops during traffic', async () => {
    const alice = await person();
    const bob = await person();
    const c1 = await group(alice, bob);
    const c2 = await group(alice, bob);
    const { rt, rec } = realtime(bob, { cursors: { [c1]: 0, [c2]: 0 }, backoff: { minMs: 20, maxMs: 50 } });
    await online(rt);
    let sent = false;
    const traffic = (async () => {
      for (let i = 0; i < 30; i++) {
        await alice.api.sendMessage(c1, { body: `one ${i}` });
        await alice.api.sendMessage(c2, { body: `two ${i}` });
      }
      sent = true;
    })();
    for (let i = 0; i < 3; i++) {
      // Each drop comes after more traffic has arrived (or once it has all been sent).
      const seen = rec.events.length;
      await waitFor(() => rec.events.length > seen || sent, 'more traffic');
      const back = rec.next('synced');
      expect(dropSockets(t, bob.user.id)).toBe(1);
      await back;
    }
    await traffic;
    await waitFor(() => rt.cursor(c1) === 30 && rt.cursor(c2) === 30, 'all 60 events');
    await settled(alice, rec, c1);
    await settled(alice, rec, c2);
    expect(rec.seqs(c1)).toEqual(range(1, 31));
    expect(rec.seqs(c2)).toEqual(range(1, 31));
    expect(rec.of('reconnected')).toHaveLength(3);
  });

  it('continues a sync across hasMore until everything missed is delivered', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    const total = SYNC_BUDGET * 3 + 5;
    await say(alice, conv, total);
    const { rt, rec, spy } = realtime(bob, { cursors: { [conv]: 0 } });
    await rec.next('synced');
    expect(rec.seqs(conv)).toEqual(range(1, total));
    expect(rt.cursor(conv)).toBe(total);
    // auth replays the first 20, then one sync frame per further 20 (the last says hasMore false).
    const syncs = spy.frames('sync');
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    expect(syncs.map((f) => (f.cursors as Record<string, number>)[conv])).toEqual([20, 40, 60]);
    // State stayed `syncing` until the last sync.done.
    expect(rec.states()).toEqual(['connecting', 'syncing', 'online']);
  });

  it(`splits more than ${MAX_SYNC_CURSORS} cursors over auth and sync frames; drops cursors the server skips`, async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    await say(alice, conv, 3);
    const spy = new SocketSpy();
    const rt = new ParleyRealtime({ url: t.wsUrl, token: bob.api.token!, WebSocket: spy.WebSocket });
    running.push(rt);
    const rec = new Recorder(rt);
    // Conversations bob does not belong to (ids of no conversation), then the real one, last.
    const ghosts = Array.from({ length: MAX_SYNC_CURSORS + 20 }, (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`);
    for (const id of ghosts) rt.follow(id, 0);
    rt.follow(conv, 1);
    rt.start();
    const synced = await rec.next('synced');
    const auth = spy.frames('auth')[0]!;
    expect(Object.keys(auth.cursors as object)).toHaveLength(MAX_SYNC_CURSORS);
    const syncs = spy.frames('sync');
    expect(syncs).toHaveLength(1);
    expect(Object.keys(syncs[0]!.cursors as object)).toHaveLength(21);
    expect(syncs[0]!.cursors).toMatchObject({ [conv]: 1 });
    expect(rec.seqs(conv)).toEqual([2, 3]);
    expect(new Set(synced.skipped)).toEqual(new Set(ghosts));
    expect(rt.cursor(ghosts[0]!)).toBeUndefined();
    expect(Object.keys(rt.cursors())).toEqual([conv]);
  });

  it('follow() while online syncs that conversation from the given seq', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    await say(alice, conv, 6);
    const { rt, rec } = realtime(bob);
    await online(rt);
    rt.follow(conv, 2);
    await waitFor(() => rt.cursor(conv) === 6, 'synced to 6');
    await say(alice, conv, 1);
    await waitFor(() => rt.cursor(conv) === 7, 'live 7');
    expect(rec.seqs(conv)).toEqual([3, 4, 5, 6, 7]);
  });

  it('a dead link (no frame after a ping) is detected by the heartbeat and replaced', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    const { rt, rec, spy } = realtime(bob, {
      cursors: { [conv]: 0 },
      heartbeat: { intervalMs: 100, timeoutMs: 200 },
      backoff: { minMs: 10, maxMs: 20 },
    });
    await online(rt);
    const first = spy.last!;
    first.deaf = true; // the socket stays open but nothing reaches the client
    await say(alice, conv, 2);
    await waitFor(() => spy.sockets.length === 2 && rt.state === 'online', 'a second connection', 5000);
    expect(spy.frames('ping').length).toBeGreaterThanOrEqual(1);
    expect(first.closedWith?.reason).toBe('terminated');
    await waitFor(() => rt.cursor(conv) === 2, 'the two messages');
    expect(rec.seqs(conv)).toEqual([1, 2]);
    expect(rec.of('error').some((e) => /connection lost/.test(e.message))).toBe(true);
  });
});

describe('sending', () => {
  it('delivers and acks a send, emitting its message.created once', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    const { rt, rec } = realtime(alice, { cursors: { [conv]: 0 } });
    await online(rt);
    const { clientMsgId, done } = rt.send(conv, 'hi 👋', {});
    expect(rt.pending().map((p) => p.clientMsgId)).toEqual([clientMsgId]);
    const message = await done;
    expect(message).toMatchObject({ body: 'hi 👋', clientMsgId, conversationId: conv, senderId: alice.user.id, seq: 1 });
    expect(rt.pending()).toEqual([]);
    expect(rec.of('ack').map((a) => a.message.id)).toEqual([message.id]);
    await waitFor(() => rec.seqs(conv).length === 1, 'its event');
  });

  it('a send made while offline waits and is delivered once after the reconnect, same clientMsgId', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    const { rt, rec, spy } = realtime(alice, { cursors: { [conv]: 0 } });
    await online(rt);
    dropSockets(t, alice.user.id);
    await waitFor(() => rt.state === 'offline', 'offline');

    const handle = rt.send(conv, 'written offline', { clientMsgId: 'offline-1' });
    expect(handle.clientMsgId).toBe('offline-1');
    // Same key while pending: the same send, not a second one.
    expect(rt.send(conv, 'written offline', { clientMsgId: 'offline-1' }).done).toBe(handle.done);
    expect(rt.pending()).toMatchObject([{ clientMsgId: 'offline-1', body: 'written offline', attempts: 0 }]);
    // No socket, so nothing can have gone out.
    expect((await alice.api.history(conv)).messages).toHaveLength(0);

    rt.reconnectNow();
    const message = await handle.done;
    expect(message.clientMsgId).toBe('offline-1');
    const stored = (await alice.api.history(conv)).messages;
    expect(stored.map((m) => m.id)).toEqual([message.id]);
    expect(spy.frames('message.send').map((f) => f.clientMsgId)).toEqual(['offline-1']);
    await waitFor(() => rec.seqs(conv).length === 1, 'the event');
    expect(rec.events[0]?.type === 'message.created' && rec.events[0].message.id).toBe(message.id);
  });

  it('a send whose ack was lost is retried after the reconnect and stored exactly once', async () => {
    const alice = await person();
    const bob = await person();
    const conv = await group(alice, bob);
    // A long ack timeout: only the reconnect may cause the retry.
    const { rt, spy } = realtime(alice, { cursors: { [conv]: 0 }, backoff: { minMs: 20, maxMs: 40 }, ackTimeoutMs: 60_000 });
    await online(rt);

    // The server stores the message, then the socket dies before the ack is written.
    const messages = (t.app as ParleyApp).services.messages;
    const original = messages.send.bind(messages);
    let stored: Message | null = null;
    messages.send = async (...args: Parameters<typeof original>) => {
      const result = await original(...args);
      if (!stored && args[2].clientMsgId === 'lost-ack') {
        stored = result.message;
        dropSockets(t, alice.user.id);
      }
      return result;
    };
    try {
      const { done } = rt.send(conv, 'ack me', { clientMsgId: 'lost-ack' });
      const message = await done;
      expect(stored).not.toBeNull();
      expect(message.id).toBe(stored!.id);
    } finally {
      delete (messages as { send?: unknown }).send;
    }
    const frames = spy.frames('message.send');
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(new Set(frames.map((f) => f.clientMsgId))).toEqual(new Set(['lost-ack']));
    expect(spy.sockets.length).toBeGreaterThanOrEqual(2);
    const history = (await alice.api.history(conv)).messages;
    expect(history.filter((m) => m.clientMsgId === 'lost-ack')).toHaveLength(1);
    expect(history).toHaveLength(1);
  });

  it('a refusal that retrying cannot fix rejects `done` with an ApiError and emits sendFailed', async () => {
    const alice = await person();
    const stranger = await person();
    const conv = await group(stranger);
    const { rt, rec } = realtime(alice);
    await online(rt);
    const { done, clientMsgId } = rt.send(conv, 'not a member');
    const err = await done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'not_found', status: 404 });
    expect(rt.pending()).toEqual([]);
    expect(rec.of('sendFailed')).toMatchObject([{ clientMsgId, conversationId: conv }]);

    const tooBig = rt.send(conv, 'x'.repeat(70_000));
    await expect(tooBig.done).rejects.toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(rt.state).toBe('online');
  });

  it('stop() closes with 1000, goes closed, and rejects unacked sends with `stopped`', async () => {
    const alice = await person();
    const conv = await group(alice);
    const { rt, rec, spy } = realtime(alice);
    await online(rt);
    dropSockets(t, alice.user.id);
    await waitFor(() => rt.state === 'offline', 'offline');
    const { done } = rt.send(conv, 'never sent');
    rt.stop();
    await expect(done).rejects.toMatchObject({ code: 'stopped' });
    expect(rt.state).toBe('closed');

    const second = realtime(alice);
    await online(second.rt);
    second.rt.stop();
    expect(second.spy.last?.closedWith).toEqual({ code: 1000, reason: 'client stopped' });
    expect(second.rt.state).toBe('closed');
    expect(rec.states().at(-1)).toBe('closed');
    expect(spy.sockets).toHaveLength(1);
  });
});

describe('authentication', () => {
  it('a refused token (4401) emits authFailed, goes closed and does not retry', async () => {
    const spy = new SocketSpy();
    const rt = new ParleyRealtime({ url: t.wsUrl, token: 'not-a-token', WebSocket: spy.WebSocket, backoff: { minMs: 10, maxMs: 10 } });
    running.push(rt);
    const rec = new Recorder(rt);
    rt.start();
    const failed = await rec.next('authFailed');
    expect(failed.code).toBe(4401);
    expect(rt.state).toBe('closed');
    await sleep(200);
    expect(spy.sockets).toHaveLength(1);
    expect(rec.states()).toEqual(['connecting', 'closed']);
  });

  it('logout closes the socket with 4401: authFailed; a new token and start() reconnect, pending sends survive', async () => {
    const alice = await person();
    const conv = await group(alice);
    const { rt, rec } = realtime(alice, { backoff: { minMs: 10, maxMs: 10 } });
    await online(rt);
    const password = 'correct horse';
    const { username } = alice.user;
    await alice.api.logout();
    await rec.next('authFailed');
    expect(rt.state).toBe('closed');
    const { done } = rt.send(conv, 'after sign-in');
    const { token } = await alice.api.login({ username, password });
    rt.setToken(token);
    rt.start();
    expect((await done).body).toBe('after sign-in');
  });
});
