/** Shared pieces of the client tests: a recording WebSocket, server-side socket drops, waiting. */
import WebSocket from 'ws';
import type { ParleyApp } from '../../src/app.js';
import type { ConversationEvent, ParleyRealtime, RealtimeEventName, RealtimeEvents, WebSocketLike } from '../../src/client/index.js';
import type { TestServer } from '../helpers/ws.js';
export { sleep, waitFor } from '../helpers/kit.js';

export type SentFrame = Record<string, unknown> & { type: string };

/**
 * A WebSocket constructor over `ws` that records every frame the client writes, every socket it
 * opens and how it closed them; a socket can be made deaf (incoming frames dropped, as on a dead
 * link) to exercise the heartbeat.
 */
export class SocketSpy {
  readonly sockets: SpySocket[] = [];
  readonly sent: SentFrame[] = [];
  readonly WebSocket: new (url: string) => WebSocketLike;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class below records into this spy
    const spy = this;
    this.WebSocket = class extends SpySocket {
      constructor(url: string) {
        super(url, spy);
        spy.sockets.push(this);
      }
    };
  }

  frames(type: string): SentFrame[] {
    return this.sent.filter((f) => f.type === type);
  }

  get last(): SpySocket | undefined {
    return this.sockets[this.sockets.length - 1];
  }
}

export class SpySocket implements WebSocketLike {
  readonly inner: WebSocket;
  deaf = false;
  closedWith: { code: number | undefined; reason: string | undefined } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(
    url: string,
    private readonly spy: SocketSpy,
  ) {
    this.inner = new WebSocket(url);
    this.inner.onopen = (ev) => this.onopen?.(ev);
    this.inner.onmessage = (ev) => {
      if (!this.deaf) this.onmessage?.(ev);
    };
    this.inner.onclose = (ev) => this.onclose?.(ev);
    this.inner.onerror = (ev) => this.onerror?.(ev);
  }

  get readyState(): number {
    return this.inner.readyState;
  }

  send(data: string): void {
    this.spy.sent.push(JSON.parse(data) as SentFrame);
    this.inner.send(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.inner.close(code, reason);
  }

  terminate(): void {
    this.closedWith = { code: undefined, reason: 'terminated' };
    this.inner.terminate();
  }
}

/** Drops every server-side socket of a user at the TCP level (no close frame): the client sees 1006. */
export function dropSockets(t: TestServer, userId: string): number {
  const conns = [...((t.app as ParleyApp).gateway.registry.forUser(userId) ?? [])];
  for (const c of conns) c.ws.terminate();
  return conns.length;
}

/** Everything a realtime client emits, in order, by event name. */
export class Recorder {
  readonly events: ConversationEvent[] = [];
  readonly log: { name: RealtimeEventName; payload: unknown }[] = [];
  private readonly offs: (() => void)[] = [];

  constructor(rt: ParleyRealtime) {
    const names: RealtimeEventName[] = ['state', 'ready', 'reconnected', 'synced', 'event', 'typing', 'presence', 'read', 'ack', 'sendFailed', 'disconnected', 'authFailed', 'error', 'conversationCreated'];
    for (const name of names) {
      this.offs.push(
        rt.on(name, (payload: RealtimeEvents[typeof name]) => {
          this.log.push({ name, payload });
          if (name === 'event') this.events.push(payload as ConversationEvent);
        }),
      );
    }
  }

  of<K extends RealtimeEventName>(name: K): RealtimeEvents[K][] {
    return this.log.filter((e) => e.name === name).map((e) => e.payload as RealtimeEvents[K]);
  }

  seqs(conversationId: string): number[] {
    return this.events.filter((e) => e.conversationId === conversationId).map((e) => e.seq);
  }

  states(): string[] {
    return this.of('state').map((s) => s.state);
  }

  /** Resolves at the next emission of `name` (after this call) that matches. */
  next<K extends RealtimeEventName>(name: K, pred: (p: RealtimeEvents[K]) => boolean = () => true, timeoutMs = 10_000): Promise<RealtimeEvents[K]> {
    const from = this.log.length;
    return new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        const hit = this.log.slice(from).find((e) => e.name === name && pred(e.payload as RealtimeEvents[K]));
        if (hit) {
          clearInterval(timer);
          clearTimeout(limit);
          resolve(hit.payload as RealtimeEvents[K]);
        }
      }, 5);
      const limit = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`no ${name} within ${timeoutMs} ms; last: ${JSON.stringify(this.log.slice(-5).map((e) => e.name))}`));
      }, timeoutMs);
    });
  }

  stop(): void {
    for (const off of this.offs) off();
  }
}

/** 1..n */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
