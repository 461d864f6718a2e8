/** A custom slash command's integration on 127.0.0.1 for tests: records each POST (Slack's form) and answers as the test says. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  form: URLSearchParams;
}
export type Answer = { status?: number; type?: string; body: string } | 'hang';

export async function startIntegration() {
  const got = new Map<string, Received[]>();
  const answers = new Map<string, () => Answer>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      got.set(path, [...(got.get(path) ?? []), { headers: req.headers, body, form: new URLSearchParams(body) }]);
      const answer = answers.get(path)?.() ?? { body: '' };
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received: (path: string) => got.get(path) ?? [],
    answer: (path: string, fn: () => Answer) => void answers.set(path, fn),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Integration = Awaited<ReturnType<typeof startIntegration>>;
