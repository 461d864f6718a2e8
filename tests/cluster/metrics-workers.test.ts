/**
 * WORKERS=2 (the compiled build, real processes, PostgreSQL and Redis): one scrape of GET /metrics
 * on the shared port returns both workers' metrics, counters summed and gauges per worker,
 * whichever worker takes the scrape. Runs in the PostgreSQL phase (several workers need it).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgresDatabase, dbKind } from '../helpers/app.js';
import { waitFor } from '../helpers/kit.js';
import { freePort, startServer, waitReady, type ServerProcess } from '../helpers/process.js';
import { TestRedis } from '../helpers/redis.js';

const TOKEN = 'metrics-token-0123456789';

/** A GET on a connection of its own: the supervisor deals each new connection to the next worker. */
function get(port: number, url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: url, agent: false, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  });
}

/** The value of one series of the exposition text (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe.runIf(dbKind === 'postgres')('GET /metrics with WORKERS=2', () => {
  let redis: TestRedis;
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-metrics-'));
    redis = await TestRedis.start();
    db = await createTestPostgresDatabase();
    server = startServer(
      {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        WORKERS: '2',
        DATA_DIR: path.join(dir, 'data'),
        LOG_DIR: path.join(dir, 'logs'),
        UPLOAD_DIR: path.join(dir, 'uploads'),
        LOG_LEVEL: 'info',
        RATE_LIMIT: 'off',
        METRICS_TOKEN: TOKEN,
      },
      await freePort(),
    );
    await waitReady(server);
    await waitFor(() => server.output().split('\n').filter((l) => l.includes('"Parley is ready"')).length === 2, 'both workers ready', 60_000);
  }, 120_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await redis?.kill();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one scrape through the shared port reflects the requests both workers served', async () => {
    const n = 20;
    for (let i = 0; i < n; i++) expect((await get(server.port, '/healthz')).status).toBe(200);
    // Both workers served some (each logs its requests with its worker number).
    const servedBy = new Set(
      server
        .output()
        .split('\n')
        .filter((l) => l.includes('"incoming request"') && l.includes('"/healthz"'))
        .map((l) => (JSON.parse(l) as { worker: number }).worker),
    );
    expect([...servedBy].sort()).toEqual([1, 2]);

    const healthz = { method: 'GET', route: '/healthz', status_code: '200' };
    // Several scrapes, each on a new connection (so both workers answer some): the same sums.
    for (let i = 0; i < 4; i++) {
      const scrape = await get(server.port, '/metrics', { authorization: `Bearer ${TOKEN}` });
      expect(scrape.status).toBe(200);
      const text = scrape.body;
      // Counters and histograms are summed over the workers.
      expect(sample(text, 'parley_http_request_duration_seconds_count', healthz)).toBe(n);
      expect(sample(text, 'parley_http_request_duration_seconds_bucket', { ...healthz, le: '+Inf' })).toBe(n);
      // Gauges are per worker: a sick worker shows.
      for (const worker of ['1', '2']) {
        expect(sample(text, 'parley_ws_connections', { worker })).toBe(0);
        expect(sample(text, 'process_resident_memory_bytes', { worker })).toBeGreaterThan(0);
        expect(sample(text, 'process_start_time_seconds', { worker })).toBeGreaterThan(0);
        expect(sample(text, 'parley_db_pool_size', { worker })).toBe(10);
      }
      expect(sample(text, 'parley_ws_connections')).toBeUndefined();
      expect(sample(text, 'parley_cluster_workers')).toBe(2);
      expect(sample(text, 'parley_cluster_workers_reporting')).toBe(2);
      // Each series once: the text is valid exposition format (one HELP and TYPE per name).
      const helps = text.split('\n').filter((l) => l.startsWith('# HELP '));
      expect(new Set(helps).size).toBe(helps.length);
    }
    expect((await get(server.port, '/metrics')).status).toBe(401);
  });

  it('a worker that does not answer is left out of the scrape, not waited for, and the scrape says so', async () => {
    const pids = server
      .output()
      .split('\n')
      .filter((l) => l.includes('"worker started"'))
      .map((l) => JSON.parse(l) as { pid: number; worker: number });
    const stuck = pids.find((w) => w.worker === 2)!;
    process.kill(stuck.pid, 'SIGSTOP');
    try {
      // A scrape dealt to the stopped worker hangs with it: the next connection goes to the other.
      let text: string | null = null;
      for (let i = 0; i < 4 && text === null; i++) {
        const scrape = await get(server.port, '/metrics', { authorization: `Bearer ${TOKEN}` }, 8_000).catch(() => null);
        if (scrape?.status === 200) text = scrape.body;
      }
      expect(text).not.toBeNull();
      expect(sample(text!, 'parley_cluster_workers')).toBe(2);
      expect(sample(text!, 'parley_cluster_workers_reporting')).toBe(1);
      expect(sample(text!, 'parley_ws_connections', { worker: '1' })).toBe(0);
      expect(sample(text!, 'parley_ws_connections', { worker: '2' })).toBeUndefined();
    } finally {
      process.kill(stuck.pid, 'SIGCONT');
    }
    // Resumed: both report again.
    const deadline = Date.now() + 15_000;
    let reporting: number | undefined;
    while (reporting !== 2 && Date.now() < deadline) {
      const again = await get(server.port, '/metrics', { authorization: `Bearer ${TOKEN}` });
      reporting = sample(again.body, 'parley_cluster_workers_reporting');
    }
    expect(reporting).toBe(2);
  });
});
