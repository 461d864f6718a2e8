/**
 * The AsyncAPI document of the WebSocket protocol (src/protocol/asyncapi.ts): valid by the
 * AsyncAPI project's own parser, complete (a message for every frame and event type), and
 * generated from the TypeBox schemas (each payload is its schema, nothing hand-written).
 */
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { buildAsyncApi } from '../../src/protocol/asyncapi.js';
import { EVENT_SCHEMAS, EVENT_TYPES } from '../../src/protocol/events.js';
import { AuthFrame, CLIENT_FRAMES, EPHEMERAL_FRAMES, REPLY_FRAMES, WS_PATH } from '../../src/protocol/frames.js';

type Json = Record<string, unknown>;
const doc = buildAsyncApi({ serverVersion: '9.9.9', publicUrl: 'https://chat.example.com/parley/' });
const components = doc.components as { schemas: Record<string, Json>; messages: Record<string, { name: string; payload: Json }> };

/** A payload with every $ref to components.schemas replaced by what it names. */
function deref(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deref);
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as { $ref?: string }).$ref;
  if (ref !== undefined) return deref(components.schemas[ref.replace('#/components/schemas/', '')]);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deref(v)]));
}

/** The message of a frame type, by direction: `client` frames are sent, the rest received. */
function messageOf(kind: 'client' | 'server' | 'event', type: string) {
  const m = components.messages[`${kind}.${type}`];
  expect(m, `${kind}.${type}`).toBeDefined();
  expect(m!.name).toBe(type);
  return m!;
}

describe('/asyncapi.json', () => {
  it('is a valid AsyncAPI 3.0 document: the AsyncAPI parser reports no error and no warning', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    const problems = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning);
    expect(problems.map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    expect(document!.channels().all().map((c) => c.address())).toEqual([WS_PATH]);
    const server = document!.servers().all()[0]!;
    expect([server.protocol(), server.host(), server.pathname()]).toEqual(['wss', 'chat.example.com', '/parley']);
  });

  it('a client sends every client frame and receives every server frame and conversation event', async () => {
    const { document } = await new Parser().parse(JSON.stringify(doc));
    const byAction = { send: new Set<string>(), receive: new Set<string>() };
    for (const op of document!.operations().all()) {
      for (const m of op.messages().all()) byAction[op.action() as 'send' | 'receive'].add(`${m.name()}`);
    }
    expect([...byAction.send].sort()).toEqual(['auth', ...Object.keys(CLIENT_FRAMES)].sort());
    expect([...byAction.receive].sort()).toEqual([...new Set([...EVENT_TYPES, ...Object.keys(EPHEMERAL_FRAMES), ...Object.keys(REPLY_FRAMES)])].sort());
    // The requests the server answers say with what.
    const replies = (id: string) => document!.operations().get(id)!.reply()!.messages().all().map((m) => m.name());
    expect(replies('sendAuth')).toEqual(['ready']);
    expect(replies('sendMessageSend')).toEqual(['ack', 'error']);
    expect(replies('sendPing')).toEqual(['pong']);
  });

  it("each message's payload is its TypeBox schema, shared shapes referenced by name", () => {
    const plain = (schema: object) => JSON.parse(JSON.stringify(schema)) as unknown;
    for (const [type, schema] of Object.entries({ auth: AuthFrame, ...CLIENT_FRAMES })) expect(deref(messageOf('client', type).payload), type).toEqual(plain(schema));
    for (const type of EVENT_TYPES) expect(deref(messageOf('event', type).payload), type).toEqual(plain(EVENT_SCHEMAS[type]));
    for (const [type, schema] of Object.entries({ ...EPHEMERAL_FRAMES, ...REPLY_FRAMES })) expect(deref(messageOf('server', type).payload), type).toEqual(plain(schema));
    // Events carry messages without the per-viewer `me` (CONTRACT.md), replies with it.
    expect(components.schemas.EventMessageCreated!.properties).toMatchObject({ message: { $ref: '#/components/schemas/MessageShared' } });
    expect(components.schemas.ServerAck!.properties).toMatchObject({ message: { $ref: '#/components/schemas/Message' } });
    expect(deref(components.schemas.MessageShared)).toMatchObject({ properties: { reactions: { items: { required: ['emoji', 'count'] } } } });
  });
});
