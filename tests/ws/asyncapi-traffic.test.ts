/**
 * /asyncapi.json describes what the server really sends: it is served beside /openapi.json
 * without a token, and every frame a real client receives over a session that makes every
 * conversation event type (and the REST events feed's copy of those events) validates against
 * the document's message of its type, with Ajv.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/protocol/events.js';
import { apiCaller, register } from '../helpers/app.js';
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

let t: TestServer;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await startTestServer({}, { presenceGraceMs: 50 });
});

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await t?.close();
});

interface AsyncApiDoc {
  asyncapi: string;
  channels: Record<string, { address: string }>;
  components: { messages: Record<string, { name: string; payload: { $ref: string } }> };
}

/** A validator per message key of the served document (`event.message.created`, `server.ack`, …). */
function validators(doc: AsyncApiDoc): (key: string) => ValidateFunction {
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  ajv.addSchema(doc as object, 'asyncapi.json');
  return (key) => {
    const message = doc.components.messages[key];
    expect(message, key).toBeDefined();
    return ajv.getSchema(`asyncapi.json${message!.payload.$ref}`)!;
  };
}

/** The message key a received frame belongs to: conversation events have a seq, the rest do not. */
const keyOf = (f: Frame) => (typeof f.seq === 'number' && (EVENT_TYPES as readonly string[]).includes(f.type) ? `event.${f.type}` : `server.${f.type}`);

describe('/asyncapi.json', () => {
  it('is served like /openapi.json: JSON, without a token, the same document each time', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/asyncapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const doc = res.json() as AsyncApiDoc;
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.values(doc.channels).map((c) => c.address)).toEqual(['/api/v1/ws']);
    expect((await t.app.inject({ method: 'GET', url: '/asyncapi.json' })).body).toBe(res.body);
  });

  it('describes every frame a client receives, and the events feed, over a session with every event type', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/asyncapi.json' })).json() as AsyncApiDoc;
    const validator = validators(doc);
    const call = apiCaller(() => t.app);
    const ok = async (p: ReturnType<typeof call>) => {
      const res = await p;
      expect(res.statusCode, `${res.statusCode} ${res.body}`).toBeLessThan(300);
      return res;
    };
    const alice = await register(t.app);
    const bob = await register(t.app);
    const carol = await register(t.app);
    const a = await WsClient.connect(t.wsUrl, alice.token);
    const b = await WsClient.connect(t.wsUrl, bob.token);
    clients.push(a, b);

    const conv = (await ok(call('POST', '/groups', alice, { name: 'g', memberIds: [bob.user.id] }))).json<{ id: string }>().id;
    await a.next((f) => f.type === 'conversation.created');
    const root = (await ok(call('POST', `/conversations/${conv}/messages`, alice, { body: 'hello', clientMsgId: 'root-1' }))).json<{ id: string }>();
    // Replies in a thread, and a deleted reply (message.deleted with the root's summary).
    await ok(call('POST', `/conversations/${conv}/messages`, bob, { body: 'reply', clientMsgId: 'reply-1', threadId: root.id }));
    const reply = (await ok(call('POST', `/conversations/${conv}/messages`, bob, { body: 'reply 2', clientMsgId: 'reply-2', threadId: root.id }))).json<{ id: string }>();
    await ok(call('PUT', `/messages/${root.id}/reactions/${encodeURIComponent('🎉')}`, alice));
    await ok(call('PUT', `/messages/${root.id}/reactions/${encodeURIComponent('👍')}`, bob));
    await ok(call('DELETE', `/messages/${root.id}/reactions/${encodeURIComponent('👍')}`, bob));
    // A message with a reaction, replayed as it is now: what the strict schemas once refused.
    await ok(call('PATCH', `/messages/${root.id}`, alice, { body: 'edited' }));
    await ok(call('PUT', `/conversations/${conv}/pins/${root.id}`, alice));
    await ok(call('DELETE', `/conversations/${conv}/pins/${root.id}`, alice));
    await ok(call('DELETE', `/messages/${reply.id}`, bob));
    await ok(call('POST', `/groups/${conv}/members`, alice, { userId: carol.user.id }));
    await ok(call('PATCH', `/groups/${conv}/members/${carol.user.id}`, alice, { role: 'admin' }));
    await ok(call('DELETE', `/groups/${conv}/members/${carol.user.id}`, alice));
    await ok(call('PATCH', `/groups/${conv}`, alice, { name: 'renamed', description: 'about' }));
    // Client frames and their answers.
    expect((await a.request({ type: 'message.send', conversationId: conv, body: 'over the socket', clientMsgId: 'ws-1' })).type).toBe('ack');
    expect((await a.request({ type: 'ping' })).type).toBe('pong');
    expect((await a.request({ type: 'sync', cursors: { [conv]: 0 } })).type).toBe('sync.done');
    expect((await a.request({ type: 'no.such.frame' })).type).toBe('error');
    b.send({ type: 'typing', conversationId: conv });
    await a.next((f) => f.type === 'typing');
    await ok(call('PATCH', '/users/me', bob, { displayName: 'Bob B' }));
    await a.next((f) => f.type === 'user.updated');

    // The REST feed before the group goes (after that it is 404 to everyone).
    const feed = (await ok(call('GET', `/conversations/${conv}/events?after=0&limit=100`, alice))).json<{ events: Frame[] }>().events;
    await ok(call('DELETE', `/groups/${conv}/members/${bob.user.id}`, bob));
    await ok(call('DELETE', `/groups/${conv}`, alice));
    await a.next((f) => f.type === 'conversation.deleted');

    const received = [...a.frames, ...b.frames];
    expect(new Set(received.filter((f) => typeof f.seq === 'number').map((f) => f.type))).toEqual(new Set(EVENT_TYPES));
    expect(new Set(feed.map((f) => f.type))).toEqual(new Set(EVENT_TYPES.filter((type) => type !== 'conversation.deleted')));
    for (const type of ['ready', 'ack', 'pong', 'sync.done', 'error', 'typing', 'conversation.created', 'user.updated']) {
      expect(received.some((f) => f.type === type && typeof f.seq !== 'number'), type).toBe(true);
    }
    for (const f of [...received, ...feed]) {
      const validate = validator(keyOf(f));
      expect(validate(f), `${keyOf(f)}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
