/**
 * The baseline of the `fanout` scenario: a minimal `ws` broadcast server speaking just enough of
 * Parley's protocol for the same load generator. `auth` → `ready`; each `message.send` is parsed,
 * turned into a `message.created` event shaped like Parley's (padded to FRAME_BYTES, the size of
 * a real one measured in the same run), serialized once and sent to every ready socket, then
 * acked to the sender. No database, no members, no ordering guarantees. The broadcasts of one
 * turn of the event loop go out together, one corked write per socket, as Parley's do.
 *   PORT=4000 FRAME_BYTES=520 node --import tsx bench/bare-ws-server.ts
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT ?? 4000);
const frameBytes = Number(process.env.FRAME_BYTES ?? 0);

const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/readyz' || req.url === '/healthz' ? 200 : 404).end();
});
const wss = new WebSocketServer({ server, path: '/api/v1/ws', perMessageDeflate: false, maxPayload: 64 * 1024 });
const ready = new Set<WebSocket>();
let seq = 0;

/**
 * Broadcasts of one turn of the event loop go out together at its end (setImmediate), each
 * socket's frames in one corked write: what Parley does with the sends of a group commit, so the
 * baseline is the best this machine does rather than a write per frame.
 */
let outbox: { frame: string; sender: WebSocket; ack: string }[] = [];
function flush(): void {
  const batch = outbox;
  outbox = [];
  for (const c of ready) {
    const socket = (c as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    socket?.cork();
    for (const m of batch) c.send(m.frame);
    socket?.uncork();
  }
  for (const m of batch) m.sender.send(m.ack);
}
function broadcast(frame: string, sender: WebSocket, ack: string): void {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push({ frame, sender, ack });
}

interface SendFrame {
  type: string;
  id?: string;
  token?: string;
  conversationId?: string;
  body?: string;
  clientMsgId?: string;
}

wss.on('connection', (ws) => {
  let userId: string | null = null;
  ws.on('message', (data) => {
    let f: SendFrame;
    try {
      f = JSON.parse(data.toString()) as SendFrame;
    } catch {
      ws.send(JSON.stringify({ type: 'error', error: { code: 'validation_failed', message: 'not JSON' } }));
      return;
    }
    if (userId === null) {
      if (f.type !== 'auth') return void ws.close(4401);
      userId = String(f.token);
      ready.add(ws);
      ws.send(JSON.stringify({ type: 'ready', user: { id: userId }, connectionId: `c${ready.size}`, protocol: 1 }));
      return;
    }
    if (f.type !== 'message.send') return;
    seq++;
    const createdAt = new Date().toISOString();
    const message: Record<string, unknown> = {
      id: `m${seq}`,
      conversationId: f.conversationId,
      seq,
      senderId: userId,
      clientMsgId: f.clientMsgId,
      body: f.body,
      replyTo: null,
      mentions: [],
      attachments: [],
      reactions: [],
      createdAt,
      editedAt: null,
      deletedAt: null,
    };
    const event = { type: 'message.created', conversationId: f.conversationId, seq, createdAt, message };
    let out = JSON.stringify(event);
    const short = frameBytes - Buffer.byteLength(out) - ',"pad":""'.length;
    if (short > 0) {
      message.pad = 'x'.repeat(short);
      out = JSON.stringify(event);
    }
    broadcast(out, ws, JSON.stringify({ type: 'ack', id: f.id, message }));
  });
  ws.on('close', () => ready.delete(ws));
  ws.on('error', () => ready.delete(ws));
});

server.listen(port, '127.0.0.1');
const stop = () => {
  for (const c of wss.clients) c.terminate();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
