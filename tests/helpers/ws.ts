/** Real `ws` clients against a listening test app. */
import WebSocket from 'ws';
import type { AppDeps } from '../../src/app.js';
import { startTestApp, type TestApp } from './app.js';

export interface TestServer extends TestApp {
  /** ws://127.0.0.1:PORT/api/v1/ws */
  wsUrl: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
}

/** The test app listening on a free loopback port (the gateway needs a real server). */
export async function startTestServer(
  env: Record<string, string> = {},
  opts: Pick<AppDeps, 'gateway' | 'presenceGraceMs' | 'bus' | 'presenceStore' | 'rateLimitStore' | 'web' | 'linkPreviews' | 'commandTimeoutMs'> = {},
): Promise<TestServer> {
  const t = await startTestApp(env, opts);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  return { ...t, wsUrl: `ws://127.0.0.1:${port}/api/v1/ws`, httpUrl: `http://127.0.0.1:${port}` };
}

export type Frame = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- frames are checked field by field

/** A WebSocket client that records every frame it receives, in order. */
export class WsClient {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      // The contract's frames are text: a binary one (say, a Buffer sent without binary: false)
      // fails whichever test sees it.
      if (isBinary) throw new Error(`the server sent a binary frame: ${data.toString().slice(0, 200)}`);
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      }),
    );
  }

  static async open(url: string): Promise<WsClient> {
    const ws = new WebSocket(url);
    const client = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Opens a socket, authenticates, and waits for `ready`. */
  static async connect(url: string, token: string, cursors?: Record<string, number>): Promise<WsClient> {
    const client = await WsClient.open(url);
    client.send({ type: 'auth', token, ...(cursors ? { cursors } : {}) });
    await client.next((f) => f.type === 'ready');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or to come) matching pred. */
  next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Sends a frame with a fresh id and waits for the reply (ack, error, pong or sync.done) carrying it. */
  private seq = 0;
  async request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<Frame> {
    const id = `r${++this.seq}`;
    this.send({ ...frame, id });
    return this.next((f) => f.id === id, timeoutMs);
  }

  /** Conversation events received (frames with a seq), optionally of one conversation. */
  events(conversationId?: string): Frame[] {
    return this.frames.filter((f) => typeof f.seq === 'number' && (!conversationId || f.conversationId === conversationId));
  }

  close(): void {
    this.ws.close();
  }
}
