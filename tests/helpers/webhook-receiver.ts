/** A webhook receiver on 127.0.0.1 for tests: records each POST and answers as the test says. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, decoded as UTF-8. */
  body: string;
  receivedAt: number;
}

/** What to answer to a request: a status, or 'hold' to keep it open until `release()`. */
export type Answer = number | 'hold';

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string;
  /** Requests received on a path, in order. */
  received(path: string): ReceivedHook[];
  /** How to answer the nth request (0-based) on a path; 200 when not set. */
  answer(path: string, fn: (n: number) => Answer): void;
  /** Requests on hold right now. */
  held(): number;
  /** Answers every request on hold with `status`. */
  release(status?: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const got = new Map<string, ReceivedHook[]>();
  const answers = new Map<string, (n: number) => Answer>();
  const holding = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const list = got.get(path) ?? [];
      list.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      got.set(path, list);
      const answer = answers.get(path)?.(list.length - 1) ?? 200;
      if (answer === 'hold') {
        holding.add(res);
        res.on('close', () => holding.delete(res));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const release = (status = 200): void => {
    for (const res of holding) res.writeHead(status).end();
    holding.clear();
  };
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received: (path) => got.get(path) ?? [],
    answer: (path, fn) => void answers.set(path, fn),
    held: () => holding.size,
    release,
    async close() {
      release(503);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
