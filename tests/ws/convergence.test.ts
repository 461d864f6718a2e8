/**
 * The randomized convergence test of issue 3: 10 clients in 3 overlapping groups send 1,000
 * messages over `message.send` (some twice with the same clientMsgId) while clients disconnect and
 * reconnect at random, reconnecting with `auth` cursors at the last seq they saw. At the end every
 * client's view (live events plus replays, over all its connections) equals the events table: no
 * gap, no duplicate, no reordering, and no acked message missing or stored twice.
 *
 * Seeded: the seed is printed; rerun a failure with CONVERGENCE_SEED=<seed>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { apiCaller, register, uniqueName, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';
import { sleep, waitFor } from '../helpers/kit.js';

const SEED = Number(process.env.CONVERGENCE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const USERS = 10;
const MESSAGES = 1000;
/** Share of messages sent twice with the same clientMsgId (half at once, half after the ack). */
const RESEND_RATE = 0.1;
/** Sends in flight at once, over all clients. */
const IN_FLIGHT = 8;
/** A random client is disconnected every CHAOS_MIN..CHAOS_MAX ms, and stays away up to OFFLINE_MAX ms. */
const CHAOS_MIN = 40;
const CHAOS_MAX = 160;
const OFFLINE_MAX = 250;
/** The gateway's reads (membership check of a sync, replay pages) are delayed up to this many ms, to widen race windows. */
const READ_JITTER_MAX = 8;
/** Who is in which group: every user in one to three groups, each group sharing members with both others. */
const GROUPS: number[][] = [
  [0, 1, 2, 3, 4, 5],
  [3, 4, 5, 6, 7, 8],
  [6, 7, 8, 9, 0, 1],
];

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Separate streams, so the plan does not depend on timing (the chaos, by nature, partly does). */
const planRand = prng(SEED);
const chaosRand = prng(SEED ^ 0x5bd1e995);
const offlineRand = prng(SEED ^ 0x27d4eb2f);
const jitterRand = prng(SEED ^ 0x165667b1);
const pick = <T>(xs: readonly T[], rand: () => number): T => xs[Math.floor(rand() * xs.length)]!;

interface Message { id: string; conversationId: string; seq: number; senderId: string; clientMsgId: string | null; body: string }
interface ConversationEvent { type: string; conversationId: string; seq: number; message?: Message }

/** One socket of a client, and the cursors it declared in its `auth`. */
interface Link { ws: WsClient; cursors: Record<string, number> }

/** A simulated client: one user, its groups, and every connection it made, in order. */
interface Sim {
  index: number;
  account: Account;
  convs: string[];
  links: Link[];
  current: Link | null;
  /** Ready and synced to completion: sends may go out. */
  online: boolean;
  reconnects: number;
}

interface Planned {
  index: number;
  sender: number;
  conversationId: string;
  clientMsgId: string;
  body: string;
  resend: 'none' | 'at-once' | 'after-ack';
  acks: Message[];
  attempts: number;
}

let t: TestServer;
let app: ParleyApp;
let sims: Sim[] = [];
let groupIds: string[] = [];
let shuttingDown = false;
const errors: string[] = [];

beforeAll(async () => {
  console.log(`convergence seed: ${SEED} (rerun with CONVERGENCE_SEED=${SEED})`);
  t = await startTestServer({}, { presenceGraceMs: 50 });
  app = t.app as ParleyApp;
  // Stretch the gateway's reads a little, at random: live events then land inside the windows
  // where a connection checks membership or replays, which is where ordering bugs hide.
  const { conversations, messages } = app.services;
  const readFloors = conversations.readFloors.bind(conversations);
  const replay = messages.replay.bind(messages);
  const jitter = () => sleep(Math.floor(jitterRand() * READ_JITTER_MAX));
  conversations.readFloors = async (actor, ids) => {
    await jitter();
    return readFloors(actor, ids);
  };
  messages.replay = async (id, after, limit) => {
    const result = await replay(id, after, limit);
    await jitter();
    return result;
  };
});

afterAll(async () => {
  shuttingDown = true;
  for (const s of sims) for (const l of s.links) l.ws.ws.terminate();
  await t?.close();
});

const call = apiCaller(() => t.app);

/** A request that must succeed: its JSON answer. */
async function api<T>(method: 'GET' | 'POST', url: string, who: Account, payload?: object): Promise<T> {
  const res = await call(method, url, who, payload);
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

/** The last seq a client saw per conversation, over all its connections (only events after each one's cursor count). */
function lastSeen(sim: Sim): Record<string, number> {
  const seen: Record<string, number> = Object.fromEntries(sim.convs.map((c) => [c, 0]));
  for (const link of sim.links) {
    for (const f of link.ws.frames) {
      if (typeof f.seq !== 'number' || !(f.conversationId in seen)) continue;
      if (f.seq > (link.cursors[f.conversationId] ?? 0)) seen[f.conversationId] = f.seq;
    }
  }
  return seen;
}

/** Resolves with the frame, or null when the socket closes first. */
function replyOrClose(ws: WsClient, pred: (f: Frame) => boolean, timeoutMs = 20_000): Promise<Frame | null> {
  return Promise.race([ws.next(pred, timeoutMs), ws.closed.then(() => null)]);
}

/** Connects with cursors at the last seq seen, and syncs until hasMore is false. False if the socket closed meanwhile. */
async function connectAndSync(sim: Sim): Promise<boolean> {
  const cursors = lastSeen(sim);
  const ws = await WsClient.open(t.wsUrl);
  const link: Link = { ws, cursors };
  sim.links.push(link);
  sim.current = link;
  ws.send({ type: 'auth', token: sim.account.token, cursors });
  if (!(await replyOrClose(ws, (f) => f.type === 'ready'))) return false;
  let done = await replyOrClose(ws, (f) => f.type === 'sync.done' && f.id === undefined);
  let round = 0;
  while (done?.hasMore) {
    const id = `resync-${++round}`;
    const now = lastSeen(sim);
    ws.send({ type: 'sync', id, cursors: Object.fromEntries(sim.convs.map((c) => [c, now[c]!])) });
    done = await replyOrClose(ws, (f) => f.id === id);
  }
  if (!done) return false;
  if (done.skipped) errors.push(`client ${sim.index}: sync skipped its own conversations ${JSON.stringify(done.skipped)}`);
  return ws.ws.readyState === ws.ws.OPEN;
}

/** Keeps a client connected: reconnects after every disconnect (after a random pause) until shutdown. */
async function drive(sim: Sim): Promise<void> {
  while (!shuttingDown) {
    const ok = await connectAndSync(sim).catch((err: unknown) => {
      errors.push(`client ${sim.index}: connect failed: ${String(err)}`);
      return false;
    });
    if (ok) sim.online = true;
    await sim.current!.ws.closed;
    sim.online = false;
    if (shuttingDown) return;
    sim.reconnects++;
    await sleep(Math.floor(offlineRand() * OFFLINE_MAX));
  }
}

async function whenOnline(sim: Sim): Promise<Link> {
  while (!sim.online) await sleep(5);
  return sim.current!;
}

let requestCounter = 0;

/** Sends one planned message until it is acked, retrying with the same clientMsgId after a disconnect. */
async function sendUntilAcked(p: Planned): Promise<void> {
  const sim = sims[p.sender]!;
  const frame = { type: 'message.send', conversationId: p.conversationId, clientMsgId: p.clientMsgId, body: p.body };
  for (;;) {
    const link = await whenOnline(sim);
    p.attempts++;
    const id = `send-${++requestCounter}`;
    link.ws.send({ ...frame, id });
    let twinId: string | null = null;
    if (p.resend === 'at-once' && p.acks.length === 0) {
      twinId = `send-${++requestCounter}`;
      link.ws.send({ ...frame, id: twinId });
    }
    const reply = await replyOrClose(link.ws, (f) => f.id === id);
    const twin = twinId ? await replyOrClose(link.ws, (f) => f.id === twinId) : null;
    for (const r of [reply, twin]) {
      if (r?.type === 'ack') p.acks.push(r.message as Message);
      else if (r) errors.push(`message ${p.index}: ${JSON.stringify(r)}`);
    }
    if (!reply || reply.type !== 'ack') continue;
    if (p.resend === 'after-ack' && p.acks.length === 1) continue; // the retry of an acked send
    return;
  }
}

async function paged<T>(fetchPage: (after: number) => Promise<{ items: T[]; hasMore: boolean }>, seqOf: (x: T) => number): Promise<T[]> {
  const out: T[] = [];
  let after = 0;
  for (;;) {
    const page = await fetchPage(after);
    out.push(...page.items);
    if (!page.hasMore || page.items.length === 0) return out;
    after = seqOf(page.items[page.items.length - 1]!);
  }
}

describe('randomized convergence', () => {
  it('every client ends with exactly the events table of each of its conversations, and every acked message is stored once', async () => {
    const started = Date.now();
    const accounts: Account[] = [];
    for (let i = 0; i < USERS; i++) accounts.push(await register(t.app, uniqueName('cv')));
    groupIds = [];
    for (const members of GROUPS) {
      const [owner, ...rest] = members.map((i) => accounts[i]!);
      const g = await api<{ id: string }>('POST', '/groups', owner!, { name: `conv ${uniqueName('g')}`, memberIds: rest.map((a) => a.user.id) });
      groupIds.push(g.id);
    }
    sims = accounts.map((account, index) => ({
      index,
      account,
      convs: GROUPS.flatMap((members, g) => (members.includes(index) ? [groupIds[g]!] : [])),
      links: [],
      current: null,
      online: false,
      reconnects: 0,
    }));

    const plan: Planned[] = Array.from({ length: MESSAGES }, (_, index) => {
      const sender = Math.floor(planRand() * USERS);
      const r = planRand();
      return {
        index,
        sender,
        conversationId: pick(sims[sender]!.convs, planRand),
        clientMsgId: `cv-${SEED}-${index}`,
        body: `message ${index} from client ${sender}`,
        resend: r < RESEND_RATE / 2 ? 'at-once' : r < RESEND_RATE ? 'after-ack' : 'none',
        acks: [],
        attempts: 0,
      };
    });

    const drivers = sims.map((s) => drive(s));

    // Chaos: while messages flow, close a random client's socket, cleanly or abruptly.
    let sending = true;
    let disconnects = 0;
    const chaos = (async () => {
      while (sending) {
        await sleep(CHAOS_MIN + Math.floor(chaosRand() * (CHAOS_MAX - CHAOS_MIN)));
        const sim = pick(sims, chaosRand);
        const ws = sim.current?.ws.ws;
        if (!sending || !ws || ws.readyState !== ws.OPEN) continue;
        disconnects++;
        if (chaosRand() < 0.5) ws.close();
        else ws.terminate();
      }
    })();

    let next = 0;
    const workers = Array.from({ length: IN_FLIGHT }, async () => {
      while (next < plan.length) await sendUntilAcked(plan[next++]!);
    });
    await Promise.all(workers);
    sending = false;
    await chaos;
    const sentAt = Date.now();

    // Everyone back online and synced to completion, then caught up with the table.
    await waitFor(() => sims.every((s) => s.online), `every client to reconnect and sync (seed ${SEED})`, 30_000, 20);
    const feeds = new Map<string, ConversationEvent[]>();
    for (const [g, id] of groupIds.entries()) {
      const owner = accounts[GROUPS[g]![0]!]!;
      feeds.set(
        id,
        await paged(
          async (after) => {
            const page = await api<{ events: ConversationEvent[]; hasMore: boolean }>('GET', `/conversations/${id}/events?after=${after}&limit=100`, owner);
            return { items: page.events, hasMore: page.hasMore };
          },
          (e) => e.seq,
        ),
      );
    }
    const lastSeq = (id: string) => feeds.get(id)!.at(-1)?.seq ?? 0;
    await waitFor(() => sims.every((s) => s.convs.every((c) => lastSeen(s)[c] === lastSeq(c))), `every client to see the last seq of its conversations (seed ${SEED})`, 30_000, 20);
    // A final sync from where each client got to replays nothing more.
    for (const s of sims) {
      const seen = lastSeen(s);
      const before = s.current!.ws.events().length;
      const done = await s.current!.ws.request({ type: 'sync', cursors: seen }, 10_000);
      expect(done, `seed ${SEED}: client ${s.index} final sync`).toMatchObject({ type: 'sync.done', hasMore: false });
      expect(s.current!.ws.events().length, `seed ${SEED}: client ${s.index} got events from a sync at its last seq`).toBe(before);
    }
    shuttingDown = true;
    for (const s of sims) s.current!.ws.close();
    await Promise.all(drivers);

    const reconnects = sims.reduce((n, s) => n + s.reconnects, 0);
    const retried = plan.filter((p) => p.attempts > (p.resend === 'after-ack' ? 2 : 1)).length;
    console.log(
      `seed ${SEED}: ${MESSAGES} messages (${plan.filter((p) => p.resend !== 'none').length} resent on purpose, ${retried} retried after a disconnect), ` +
        `${disconnects} disconnects, ${reconnects} reconnects, sends done in ${sentAt - started} ms, all checked in ${Date.now() - started} ms`,
    );
    expect(errors, `seed ${SEED}: error frames or failed connects`).toEqual([]);

    // 1. Each client's view of each conversation is the events table: 1..lastSeq, in order, once.
    for (const s of sims) {
      for (const c of s.convs) {
        const view: { seq: number; type: string; messageId: string | undefined }[] = [];
        const stale: number[] = [];
        for (const link of s.links) {
          for (const f of link.ws.events(c)) {
            if (f.seq > (link.cursors[c] ?? 0)) view.push({ seq: f.seq, type: f.type, messageId: f.message?.id });
            else stale.push(f.seq);
          }
        }
        const where = `seed ${SEED}: client ${s.index}, conversation ${groupIds.indexOf(c)}`;
        const seqs = view.map((v) => v.seq);
        const firstBad = seqs.findIndex((q, i) => q !== i + 1);
        expect(firstBad, `${where}: first event out of 1..n order at index ${firstBad}: …${JSON.stringify(seqs.slice(Math.max(0, firstBad - 3), firstBad + 3))}`).toBe(-1);
        expect(view, where).toEqual(feeds.get(c)!.map((e) => ({ seq: e.seq, type: e.type, messageId: e.message?.id })));
        expect(stale, `${where}: events at or below the cursor a connection declared`).toEqual([]);
      }
    }

    // 2. Every acked message is stored exactly once, and a resend acks the same message.
    const stored = new Map<string, Message[]>();
    for (const [g, id] of groupIds.entries()) {
      const owner = accounts[GROUPS[g]![0]!]!;
      const messages = await paged(
        async (after) => {
          const page = await api<{ messages: Message[]; hasMore: boolean }>('GET', `/conversations/${id}/messages?after=${after}&limit=100`, owner);
          return { items: page.messages, hasMore: page.hasMore };
        },
        (m) => m.seq,
      );
      for (const m of messages) stored.set(m.clientMsgId ?? '', [...(stored.get(m.clientMsgId ?? '') ?? []), m]);
    }
    for (const p of plan) {
      const ids = [...new Set(p.acks.map((a) => a.id))];
      expect(ids, `seed ${SEED}: message ${p.index} (${p.resend}) acked as different messages`).toHaveLength(1);
      const copies = stored.get(p.clientMsgId) ?? [];
      expect(copies.map((m) => m.id), `seed ${SEED}: message ${p.index} stored ${copies.length} times`).toEqual(ids);
      expect(copies[0]).toMatchObject({ conversationId: p.conversationId, senderId: sims[p.sender]!.account.user.id, body: p.body });
    }
    expect([...stored.values()].flat()).toHaveLength(MESSAGES);
  }, 180_000);

  it('leaves no connection in the registry once every client has closed', async () => {
    expect(sims.length).toBe(USERS);
    await waitFor(() => app.gateway.connections === 0, () => `the registry to empty (still ${app.gateway.connections}; seed ${SEED})`, 5000, 20);
  });
});
