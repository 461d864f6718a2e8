/**
 * The AsyncAPI 3 document of the WebSocket protocol (served at /asyncapi.json), generated from the
 * TypeBox schemas of frames.ts and events.ts: every client frame, server frame and conversation
 * event is a message whose payload is its schema, so the document cannot drift from the code.
 * It is written from a client's side: the client sends its frames and receives the server's.
 */
import { CustomEmoji } from './custom-emoji.js';
import { Conversation, ConversationShared, LinkPreview, Member, Message, MessageShared, ThreadSummary, Upload, User } from './entities.js';
import { ConversationChanges, EVENT_SCHEMAS, EVENT_TYPES } from './events.js';
import { AuthFrame, CLIENT_FRAMES, EPHEMERAL_FRAMES, REPLY_FRAMES, WS_PATH } from './frames.js';
import { CLOSE_PROTOCOL_UNSUPPORTED, CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_CONNECTIONS, CLOSE_UNAUTHORIZED } from './close-codes.js';
import { MAX_FRAME_BYTES, MAX_SYNC_CURSORS, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './limits.js';

const CHANNEL = 'gateway';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Shared shapes, emitted once under components.schemas and referenced from every frame. */
const ENTITIES: Record<string, object> = {
  User,
  Upload,
  LinkPreview,
  ThreadSummary,
  Message,
  MessageShared,
  Member,
  Conversation,
  ConversationShared,
  ConversationChanges,
  CustomEmoji,
};

/** `message.created` → `MessageCreated`. */
const pascal = (type: string): string =>
  type
    .split(/[.\-_]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/** One frame type of the protocol: its message key, schema name, schema, and what it answers. */
interface Frame {
  key: string;
  name: string;
  type: string;
  schema: object;
  summary: string;
}

const describe = (schema: object): string | undefined => (schema as { description?: unknown }).description as string | undefined;

function frames(): { sent: Frame[]; events: Frame[]; ephemeral: Frame[]; replies: Frame[] } {
  const clientSchemas: Record<string, object> = { auth: AuthFrame, ...CLIENT_FRAMES };
  const clientSummaries: Record<string, string> = {
    auth: 'The first frame, within 10 s: a token (or the session cookie) and optional cursors. Answered by `ready`, or close 4401.',
    'message.send': 'Sends a message; answered by `ack` once it is durably stored, or by `error`.',
    typing: 'The user is typing in a conversation (to its other members, not stored).',
    read: 'Moves the read pointer of a conversation to a seq.',
    sync: 'Asks for every event after each cursor; the events come, then `sync.done`.',
    ping: 'Answered by `pong`.',
  };
  return {
    sent: Object.entries(clientSchemas).map(([type, schema]) => ({ key: `client.${type}`, name: `Client${pascal(type)}`, type, schema, summary: clientSummaries[type] ?? type })),
    events: EVENT_TYPES.map((type) => ({ key: `event.${type}`, name: `Event${pascal(type)}`, type, schema: EVENT_SCHEMAS[type], summary: describe(EVENT_SCHEMAS[type]) ?? type })),
    ephemeral: Object.entries(EPHEMERAL_FRAMES).map(([type, schema]) => ({
      key: `server.${type}`,
      name: `Server${pascal(type)}`,
      type,
      schema,
      summary: describe(schema) ?? `An ephemeral \`${type}\` frame (never with a seq).`,
    })),
    replies: Object.entries(REPLY_FRAMES).map(([type, schema]) => ({ key: `server.${type}`, name: `Server${pascal(type)}`, type, schema, summary: describe(schema) ?? type })),
  };
}

/**
 * A schema as plain JSON (TypeBox keeps its own markers out of JSON), with each shared entity
 * replaced by a $ref to components.schemas. `self`: the entity being emitted (not replaced).
 */
function toJson(schema: object, refs: Map<string, string>, self?: string): Json {
  const byText = (value: object): string | undefined => refs.get(JSON.stringify(value));
  const walk = (value: unknown, top: boolean): Json => {
    if (Array.isArray(value)) return value.map((v) => walk(v, false));
    if (value === null || typeof value !== 'object') return value as Json;
    const name = top ? undefined : byText(value);
    if (name !== undefined && name !== self) return { $ref: `#/components/schemas/${name}` };
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = walk(v, false);
    return out;
  };
  return walk(schema, true);
}

/** The AsyncAPI 3.0 document of the WebSocket protocol. */
export function buildAsyncApi(opts: { serverVersion: string; publicUrl?: string | null }): JsonObject {
  const { sent, events, ephemeral, replies } = frames();
  const all = [...sent, ...events, ...ephemeral, ...replies];
  const refs = new Map(Object.entries(ENTITIES).map(([name, schema]) => [JSON.stringify(schema), name]));

  const schemas: JsonObject = {};
  for (const [name, schema] of Object.entries(ENTITIES)) schemas[name] = toJson(schema, refs, name);
  for (const f of all) schemas[f.name] = toJson(f.schema, refs);

  const messages: JsonObject = {};
  for (const f of all) {
    messages[f.key] = { name: f.type, title: `\`${f.type}\``, summary: f.summary, contentType: 'application/json', payload: { $ref: `#/components/schemas/${f.name}` } };
  }
  const channelMessage = (f: Frame): Json => ({ $ref: `#/channels/${CHANNEL}/messages/${f.key}` });
  const channel = { $ref: `#/channels/${CHANNEL}` };
  const replyOf: Record<string, string[]> = { auth: ['ready'], 'message.send': ['ack', 'error'], sync: ['sync.done', 'error'], ping: ['pong'], typing: ['error'], read: ['error'] };
  const byType = new Map(replies.map((f) => [f.type, f]));

  const operations: JsonObject = {};
  for (const f of sent) {
    const answers = (replyOf[f.type] ?? []).map((t) => byType.get(t)!).filter(Boolean);
    operations[`send${pascal(f.type)}`] = {
      action: 'send',
      channel,
      title: `Send \`${f.type}\``,
      summary: f.summary,
      messages: [channelMessage(f)],
      ...(answers.length > 0 ? { reply: { channel, messages: answers.map(channelMessage) } } : {}),
    };
  }
  operations.receiveConversationEvents = {
    action: 'receive',
    channel,
    title: 'Receive conversation events',
    summary:
      "Every event of every conversation the user belongs to, without subscribing, each with its conversation's seq: in seq order per conversation, each once, live or replayed by `sync`.",
    messages: events.map(channelMessage),
  };
  operations.receiveEphemeralFrames = {
    action: 'receive',
    channel,
    title: 'Receive ephemeral frames',
    summary: 'Frames without a seq, for some users only (typing, presence, read receipts, profile and settings changes, …); never replayed.',
    messages: ephemeral.map(channelMessage),
  };
  operations.receiveReplies = {
    action: 'receive',
    channel,
    title: "Receive the server's answers",
    summary: "`ready` after `auth`; `ack`, `error`, `sync.done` and `pong` answer the client frame whose `id` they echo (an unknown or malformed frame gets an `error` too).",
    messages: replies.map(channelMessage),
  };

  const url = opts.publicUrl ? new URL(opts.publicUrl) : null;
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley WebSocket protocol',
      version: opts.serverVersion,
      description:
        `The realtime half of Parley's public contract (the REST half is /openapi.json; the prose is docs/protocol.md). ` +
        `Protocol version ${PROTOCOL_VERSION} (the server accepts ${MIN_PROTOCOL_VERSION} and later). Written from a client's side: it sends the client frames and receives the rest. ` +
        `JSON text frames, one object each, with a \`type\`; a frame over ${MAX_FRAME_BYTES} bytes closes the connection (1009). ` +
        `One \`auth\` or \`sync\` frame carries at most ${MAX_SYNC_CURSORS} cursors. ` +
        `Close codes: ${CLOSE_UNAUTHORIZED} bad or missing token (sign in again, do not retry with it); ${CLOSE_PROTOCOL_UNSUPPORTED} protocol too old (reload); ` +
        `${CLOSE_SLOW_CONSUMER} slow consumer (reconnect and sync); ${CLOSE_TOO_MANY_CONNECTIONS} too many connections (after an \`error\` frame with \`details.retryAfter\`); ` +
        `1013 the database is down (try again later). Conversation events carry no per-viewer fields; clients ignore fields they do not know.`,
    },
    defaultContentType: 'application/json',
    ...(url
      ? {
          servers: {
            parley: {
              host: url.host,
              protocol: url.protocol === 'https:' ? 'wss' : 'ws',
              ...(url.pathname !== '/' ? { pathname: url.pathname.replace(/\/$/, '') } : {}),
              description: 'This server (its PUBLIC_URL, or the address it listens on).',
            },
          },
        }
      : {}),
    channels: {
      [CHANNEL]: {
        address: WS_PATH,
        title: 'The gateway',
        description: 'One WebSocket per client: the first frame is `auth`; after `ready`, the other client frames, in any order.',
        messages: Object.fromEntries(all.map((f) => [f.key, { $ref: `#/components/messages/${f.key}` }])),
        bindings: { ws: { method: 'GET', bindingVersion: '0.1.0' } },
      },
    },
    operations,
    components: { schemas, messages },
  };
}
