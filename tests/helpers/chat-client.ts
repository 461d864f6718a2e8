/**
 * A test client that behaves as CONTRACT asks of a real one, written from the contract alone:
 * it reconnects by itself, authenticates with its cursors (and syncs on while `hasMore`), keeps
 * unacked sends and resends them under the same clientMsgId after every reconnect. It records
 * every event it receives and any breach of the delivery guarantee (a repeat or a gap).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Frame } from './ws.js';

export class ChatClient {
  /** Last seq seen per followed conversation. */
  readonly cursors = new Map<string, number>();
  /** Events received per conversation, in the order received. */
  readonly events = new Map<string, Frame[]>();
  /** Breaches of the delivery guarantee: repeats and gaps. */
  readonly violations: string[] = [];
  /** Sends not acked yet, by clientMsgId. */
  readonly pending = new Map<string, { conversationId: string; body: string }>();
  /** Acked messages by clientMsgId. */
  readonly acked = new Map<string, Frame>();
  /** Errors answered to sends for good (by clientMsgId). */
  readonly refused = new Map<string, Frame>();
  /** Error frames answered to sends, by code (`error <code>`), and lost connections (`closed <code>`). */
  readonly failures = new Map<string, number>();
  readyCount = 0;
  readonly closeCodes: number[] = [];
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = false;
  private frameId = 0;

  constructor(
    /** The server's WebSocket URL, or where it is now (a server restarted on another port). */
    private readonly url: string | (() => string),
    private readonly token: string,
  ) {}

  /** Follows a conversation from a seq (events up to it are known). */
  follow(conversationId: string, lastSeq = 0): this {
    this.cursors.set(conversationId, lastSeq);
    if (!this.events.has(conversationId)) this.events.set(conversationId, []);
    return this;
  }

  start(): this {
    this.connect();
    return this;
  }

  get online(): boolean {
    return this.ready;
  }

  send(conversationId: string, body: string): string {
    const clientMsgId = randomUUID();
    this.pending.set(clientMsgId, { conversationId, body });
    this.transmit(clientMsgId);
    return clientMsgId;
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
  }

  /** Kills the connection without a close handshake (as a lost network would). */
  drop(): void {
    this.ws?.terminate();
  }

  private count(kind: string): void {
    this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
  }

  private transmit(clientMsgId: string): void {
    const p = this.pending.get(clientMsgId);
    if (!p || !this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ type: 'message.send', id: clientMsgId, conversationId: p.conversationId, body: p.body, clientMsgId }));
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(typeof this.url === 'string' ? this.url : this.url());
    this.ws = ws;
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'auth', token: this.token, cursors: Object.fromEntries(this.cursors) }));
    });
    ws.on('message', (data) => this.receive(JSON.parse(data.toString()) as Frame));
    ws.on('error', () => {
      // A refused or reset connection: 'close' follows and schedules the retry.
    });
    ws.on('close', (code) => {
      if (this.ready && !this.stopped) this.count(`closed ${code}`);
      this.ready = false;
      this.closeCodes.push(code);
      if (this.ws === ws && !this.stopped) setTimeout(() => this.connect(), 100 + Math.random() * 200);
    });
  }

  private receive(frame: Frame): void {
    if (frame.type === 'ready') {
      this.ready = true;
      this.readyCount++;
      for (const id of this.pending.keys()) this.transmit(id);
      return;
    }
    if (frame.type === 'ack') {
      const id = frame.message.clientMsgId as string;
      this.pending.delete(id);
      this.acked.set(id, frame.message as Frame);
      return;
    }
    if (frame.type === 'error') {
      const id = typeof frame.id === 'string' ? frame.id : '';
      const code = String(frame.error?.code);
      this.count(`error ${code}`);
      if (!this.pending.has(id)) return;
      // Refused for now (a node or its database going away, a limit): resent shortly, and after
      // every reconnect, under the same clientMsgId. Anything else is refused for good.
      if (['unavailable', 'internal', 'rate_limited'].includes(code)) {
        setTimeout(() => this.transmit(id), 200 + Math.random() * 200);
      } else {
        this.pending.delete(id);
        this.refused.set(id, frame);
      }
      return;
    }
    if (frame.type === 'sync.done') {
      if (frame.hasMore) this.ws?.send(JSON.stringify({ type: 'sync', id: `s${++this.frameId}`, cursors: Object.fromEntries(this.cursors) }));
      return;
    }
    if (typeof frame.seq === 'number' && typeof frame.conversationId === 'string') {
      const conv = frame.conversationId;
      const cursor = this.cursors.get(conv);
      if (cursor === undefined) {
        this.follow(conv, frame.seq - 1);
      } else if (frame.seq <= cursor) {
        this.violations.push(`${conv}: seq ${frame.seq} again (cursor ${cursor})`);
        return;
      } else if (frame.seq !== cursor + 1) {
        this.violations.push(`${conv}: gap from ${cursor} to ${frame.seq}`);
      }
      this.cursors.set(conv, frame.seq);
      this.events.get(conv)!.push(frame);
    }
  }
}

/** Clients take turns sending to a conversation every `everyMs` until the returned stop is awaited. */
export function startTraffic(clients: ChatClient[], conversationId: string, everyMs = 15): () => Promise<void> {
  let sending = true;
  const running = (async () => {
    for (let i = 0; sending; i++) {
      clients[i % clients.length]!.send(conversationId, `msg ${i}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    sending = false;
    await running;
  };
}
