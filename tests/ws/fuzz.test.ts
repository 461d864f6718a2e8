/**
 * WebSocket fuzzing (issue 8): generated and mutated client frames over a real socket, before and
 * after `auth`: wrong types, unknown types, missing and hostile fields, raw text that is not JSON,
 * deep JSON, binary frames, invalid UTF-8, frames over the 64 KiB limit. The server answers with
 * error frames in the contract's format (never `internal`), or closes with one of the contract's
 * codes for that input; it never crashes, and a fresh socket works afterwards.
 *
 * Default: a few hundred inputs. Long mode: `npm run fuzz` (FUZZ_RUNS inputs, figures printed);
 * FUZZ_SEED=<seed> replays a failure fast-check reported.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ERROR_STATUS } from '../../src/protocol/error-codes.js';
import { MAX_FRAME_BYTES, MAX_SYNC_CURSORS } from '../../src/protocol/limits.js';
import { auth, register, type Account } from '../helpers/app.js';
import {
  budgetMs,
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
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';

const RUNS = fuzzRuns(250);
const HANDSHAKE_RUNS = Math.max(50, Math.round(RUNS / 3));
const API = '/api/v1';
/** What each kind of bad input may close a socket with: 1007 invalid UTF-8, 1008 policy, 1009 too big, 4401 auth. */
const CLOSE_AFTER_READY = new Set([1007, 1008, 1009]);
const CLOSE_BEFORE_READY = new Set([1007, 1008, 1009, 4401]);

let t: TestServer;
let alice: Account;
let bob: Account;
let groupId: string;
let messageId: string;
const sockets: WsClient[] = [];

beforeAll(async () => {
  t = await startTestServer(fuzzEnv);
  alice = await register(t.app);
  bob = await register(t.app);
  const group = await t.app.inject({ method: 'POST', url: `${API}/groups`, headers: auth(alice.token), payload: { name: 'ws fuzz', memberIds: [bob.user.id] } });
  groupId = (group.json() as { id: string }).id;
  const sent = await t.app.inject({ method: 'POST', url: `${API}/conversations/${groupId}/messages`, headers: auth(alice.token), payload: { body: 'first' } });
  messageId = (sent.json() as { id: string }).id;
});

afterEach(async () => {
  const open = sockets.splice(0).filter((c) => c.ws.readyState === WebSocket.OPEN || c.ws.readyState === WebSocket.CONNECTING);
  for (const c of open) c.ws.terminate();
  await Promise.all(open.map((c) => c.closed));
});

afterAll(async () => {
  await t?.close();
});

// ---------------------------------------------------------------------------------------------
// Frames and their mutations

/** Valid client frames of CONTRACT.md (after auth). */
function validFrames(): Record<string, Record<string, unknown>> {
  return {
    'message.send': { type: 'message.send', id: 'm1', conversationId: groupId, body: 'fuzz 你好 😀', clientMsgId: randomUUID(), replyTo: messageId },
    typing: { type: 'typing', conversationId: groupId },
    read: { type: 'read', id: 7, conversationId: groupId, seq: 1 },
    sync: { type: 'sync', id: 's', cursors: { [groupId]: 0 } },
    ping: { type: 'ping', id: 'p' },
  };
}

/** One frame on the wire: text (maybe not UTF-8) or binary. */
interface WireFrame {
  data: string | Buffer;
  binary: boolean;
}

type Mutation =
  | { kind: 'valid' }
  | { kind: 'set'; key: string | number; value: unknown }
  | { kind: 'delete'; key: number }
  | { kind: 'literal'; key: string | number; literal: string }
  | { kind: 'type'; value: unknown }
  | { kind: 'replace'; value: unknown }
  | { kind: 'raw'; text: string }
  | { kind: 'binary'; bytes: Uint8Array; asText: boolean }
  | { kind: 'huge'; over: boolean }
  | { kind: 'deep'; depth: number }
  | { kind: 'cursors'; count: number; value: unknown };

const fieldKey = fc.oneof(fc.nat(), fc.constantFrom('id', 'type', 'conversationId', 'seq', 'cursors', 'token', '__proto__', 'constructor', ''), weirdString);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fieldKey, value: weirdValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('literal' as const), key: fieldKey, literal: numberLiteral }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('type' as const),
      value: fc.oneof(fc.constantFrom('auth', 'AUTH', 'ping ', 'message.sent', 'sync.done', 'ack', 'error', 'ready', '__proto__', 'toString', 'hasOwnProperty', ''), weirdValue),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), value: weirdValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: rawJsonText }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('binary' as const), bytes: fc.uint8Array({ maxLength: 200 }), asText: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), over: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 100, max: 30_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('cursors' as const),
      count: fc.constantFrom(0, 1, MAX_SYNC_CURSORS, MAX_SYNC_CURSORS + 1, 2000),
      value: fc.oneof(fc.constantFrom(0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, 'x', null), weirdValue),
    }),
  },
);

function keyOf(obj: Record<string, unknown>, key: string | number): string {
  const keys = Object.keys(obj);
  return typeof key === 'number' ? (keys.length > 0 ? keys[key % keys.length]! : 'field') : key;
}

/** The wire frame a mutation makes of a valid frame. */
function mutate(valid: Record<string, unknown>, m: Mutation): WireFrame {
  const obj: Record<string, unknown> = { ...valid };
  const text = (data: string): WireFrame => ({ data, binary: false });
  switch (m.kind) {
    case 'valid':
      return text(JSON.stringify(obj));
    case 'set':
      obj[keyOf(obj, m.key)] = m.value;
      return text(JSON.stringify(obj));
    case 'delete':
      delete obj[keyOf(obj, m.key)];
      return text(JSON.stringify(obj));
    case 'literal':
      obj[keyOf(obj, m.key)] = '__LITERAL__';
      return text(JSON.stringify(obj).replace('"__LITERAL__"', m.literal));
    case 'type':
      obj.type = m.value;
      return text(JSON.stringify(obj));
    case 'replace':
      return text(JSON.stringify(m.value) ?? 'null');
    case 'raw':
      return text(m.text);
    case 'binary':
      return { data: Buffer.from(m.bytes), binary: !m.asText };
    case 'huge': {
      const size = m.over ? MAX_FRAME_BYTES + 1 : MAX_FRAME_BYTES - 200;
      obj.body = '';
      const base = JSON.stringify(obj).length;
      obj.body = 'x'.repeat(Math.max(0, size - base));
      return text(JSON.stringify(obj));
    }
    case 'deep':
      // As text: JSON.stringify itself overflows the stack on such depths.
      obj.nested = '__DEEP__';
      return text(JSON.stringify(obj).replace('"__DEEP__"', '['.repeat(m.depth) + ']'.repeat(m.depth)));
    case 'cursors': {
      const cursors: Record<string, unknown> = {};
      for (let i = 0; i < m.count; i++) cursors[i === 0 ? groupId : randomUUID()] = i === 0 ? m.value : 0;
      obj.cursors = cursors;
      return text(JSON.stringify(obj));
    }
  }
}

function describeWire(f: WireFrame): string {
  const s = typeof f.data === 'string' ? f.data : `<${f.data.length} bytes>`;
  return `${f.binary ? 'binary' : 'text'} ${s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s}`;
}

function sendWire(c: WsClient, f: WireFrame): void {
  if (c.ws.readyState !== WebSocket.OPEN) return;
  c.ws.send(f.data, { binary: f.binary }, () => {}); // a close under way makes send fail: the close is what is checked
}

/** What is wrong with a frame the server sent, or null. */
function frameProblem(f: Frame): string | null {
  if (f.type !== 'error') return null;
  const e = f.error as { code?: unknown; message?: unknown } | undefined;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string') return `an error frame without {code,message}: ${JSON.stringify(f).slice(0, 300)}`;
  if (!Object.hasOwn(ERROR_STATUS, e.code)) return `an unknown error code: ${e.code}`;
  if (ERROR_STATUS[e.code as keyof typeof ERROR_STATUS] >= 500) return `a server error for bad input: ${JSON.stringify(f).slice(0, 300)}`;
  return null;
}

async function openRaw(): Promise<WsClient> {
  const c = await WsClient.open(t.wsUrl);
  sockets.push(c);
  return c;
}

async function connect(who: Account): Promise<WsClient> {
  const c = await WsClient.connect(t.wsUrl, who.token);
  sockets.push(c);
  return c;
}

/** Waits for the reply to a ping, or the close: whichever comes first. */
async function settle(c: WsClient, pingId: string): Promise<'pong' | 'closed'> {
  if (c.ws.readyState === WebSocket.OPEN) c.send({ type: 'ping', id: pingId });
  const pong = c.next((f) => f.type === 'pong' && f.id === pingId, 10_000).then(() => 'pong' as const);
  return Promise.race([pong, c.closed.then(() => 'closed' as const)]);
}

const stats = new FuzzStats();
let memBefore: MemoryReading;
let memHalfway: MemoryReading | null = null;

describe('WebSocket fuzzing', () => {
  beforeAll(() => {
    memBefore = memoryAfterGc();
  });

  it(
    'mutated auth frames (and frames sent before ready): ready, or a close with 4401, 1007, 1008 or 1009',
    async () => {
      const validAuth = () => ({ type: 'auth', token: alice.token, cursors: { [groupId]: 0 } });
      await fc.assert(
        fc.asyncProperty(mutation, fc.array(fc.tuple(fc.constantFrom(...Object.keys(validFrames())), mutation), { maxLength: 2 }), async (m, after) => {
          const c = await openRaw();
          const wire = mutate(validAuth(), m);
          sendWire(c, wire);
          const frames = validFrames();
          for (const [type, mm] of after) sendWire(c, mutate(frames[type]!, mm));
          const ready = c.next((f) => f.type === 'ready', 10_000).then(() => 'ready' as const);
          const outcome = await Promise.race([ready, c.closed.then(() => 'closed' as const)]);
          const context = `\n  frame: ${describeWire(wire)}\n  received: ${JSON.stringify(c.frames).slice(0, 500)}`;
          if (outcome === 'closed') {
            stats.count(`auth-close-${c.closeCode}`);
            if (!CLOSE_BEFORE_READY.has(c.closeCode!)) throw new Error(`closed with ${c.closeCode} ${c.closeReason}${context}`);
          } else {
            const settled = await settle(c, 'after-auth');
            stats.count(`auth-ready-${settled}`);
            if (settled === 'closed' && !CLOSE_AFTER_READY.has(c.closeCode!)) throw new Error(`closed with ${c.closeCode} after ready${context}`);
          }
          for (const f of c.frames) {
            const problem = frameProblem(f);
            if (problem) throw new Error(`${problem}${context}`);
          }
          c.ws.terminate();
          await c.closed;
          sockets.splice(sockets.indexOf(c), 1);
        }),
        fcParams(HANDSHAKE_RUNS),
      );
    },
    budgetMs(HANDSHAKE_RUNS, 300),
  );

  it(
    'mutated frames on a ready socket: error frames in the contract\'s format, or a close with 1007, 1008 or 1009',
    async () => {
      let c = await connect(bob);
      let checked = 0;
      let pings = 0;
      let done = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...Object.keys(validFrames())), mutation), { minLength: 1, maxLength: 3 }), async (batch) => {
          if (longMode && ++done === Math.floor(RUNS / 2)) memHalfway = memoryAfterGc();
          if (c.ws.readyState !== WebSocket.OPEN) {
            sockets.splice(sockets.indexOf(c), 1); // closed: its frames need not be kept
            c = await connect(bob);
            checked = 0;
          }
          const frames = validFrames();
          const wires = batch.map(([type, m]) => mutate(frames[type]!, m));
          for (const w of wires) sendWire(c, w);
          const outcome = await settle(c, `fuzz-${++pings}`);
          const context = `\n  frames: ${wires.map(describeWire).join('\n          ')}\n  received: ${JSON.stringify(c.frames.slice(checked)).slice(0, 500)}`;
          stats.count(outcome === 'pong' ? 'ready-pong' : `ready-close-${c.closeCode}`);
          if (outcome === 'closed' && !CLOSE_AFTER_READY.has(c.closeCode!)) throw new Error(`closed with ${c.closeCode} ${c.closeReason}${context}`);
          for (const f of c.frames.slice(checked)) {
            const problem = frameProblem(f);
            if (problem) throw new Error(`${problem}${context}`);
          }
          // Checked: drop them, so a long run holds only what is still to come.
          c.frames.length = 0;
          checked = 0;
        }),
        fcParams(RUNS),
      );
      // Syncs are queued and may answer after the last pong: their frames are checked too.
      if (c.ws.readyState === WebSocket.OPEN) await settle(c, 'last');
      expect(c.frames.map(frameProblem).filter(Boolean)).toEqual([]);
    },
    budgetMs(RUNS, 300),
  );

  it('a fresh socket still works afterwards: ready, send, ack, live delivery', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    const ack = await a.request({ type: 'message.send', conversationId: groupId, body: 'after the fuzz', clientMsgId: randomUUID() });
    expect(ack.type).toBe('ack');
    const live = await b.next((f) => f.type === 'message.created' && (f.message as { id: string }).id === (ack.message as { id: string }).id);
    expect((live.message as { body: string }).body).toBe('after the fuzz');
    expect((await fetch(`${t.httpUrl}/readyz`)).status).toBe(200);
  });

  it('keeps memory bounded: heap growth after a GC stays small', () => {
    const after = memoryAfterGc();
    const line = `${stats.summary('WS fuzz')}; ${formatMemory(memBefore, after, memHalfway)}`;
    if (longMode) console.log(line); // the long mode's figures
    expect(after.heapUsedMb - memBefore.heapUsedMb, line).toBeLessThan(HEAP_GROWTH_LIMIT_MB);
    if (memHalfway) expect(after.heapUsedMb - memHalfway.heapUsedMb, line).toBeLessThan(HEAP_SECOND_HALF_LIMIT_MB);
  });
});

describe('WebSocket fuzz regressions (shrunk counterexamples)', () => {
  it.each<[string, string]>([
    // String(type) threw inside the gateway, outside any catch: the rejection crashed the process.
    ['a type that cannot be turned into a string', '{"type":{"toString":1},"id":"r1"}'],
    ['a type whose valueOf and toString are not functions', '{"type":{"toString":{},"valueOf":[]},"id":"r1"}'],
  ])('%s gets an error frame and the socket stays open', async (_name, raw) => {
    const c = await connect(bob);
    c.send(raw);
    const error = await c.next((f) => f.type === 'error' && f.id === 'r1');
    expect(frameProblem(error)).toBeNull();
    expect((error.error as { code: string }).code).toBe('validation_failed');
    expect(await settle(c, 'after')).toBe('pong');
  });
});
