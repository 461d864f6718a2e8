/**
 * requests: the server's own CPU per REST request, in process (Fastify's inject, no sockets), one
 * request at a time on the bench's database (a file-backed PGlite, or PostgreSQL with
 * DATABASE_URL): a profile read, a history page of 50 messages, the inbox, a send. Baseline in the
 * same run: GET /healthz, the framework's floor (routing, hooks, serialization, no database).
 *
 *   npm run bench -- requests
 *   (BENCH_REQUESTS=2000 per kind, after 300 to warm up)
 */
import { percentiles, type Scenario } from './lib.js';
import { pinSelf } from './loadgen.js';

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARMUP = 300;

export const requestsScenario: Scenario = {
  name: 'requests',
  describe: `server CPU per REST request, in process, one at a time (${N} of each kind), beside GET /healthz`,
  async run({ app, log }) {
    const register = async (username: string) => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password: 'correct horse battery' } });
      if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
      return res.json() as { token: string; user: { id: string } };
    };
    const stamp = Date.now() % 1_000_000;
    const [a, b] = [await register(`req_a${stamp}`), await register(`req_b${stamp}`)];
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    const group = await app.inject({ method: 'POST', url: '/api/v1/groups', headers: auth(a.token), payload: { name: '请求 requests', memberIds: [b.user.id] } });
    const gid = (group.json() as { id: string }).id;
    for (let i = 0; i < 200; i++) {
      await app.inject({ method: 'POST', url: `/api/v1/conversations/${gid}/messages`, headers: auth(a.token), payload: { body: `message ${i} 消息 with **markdown** and @req_b${stamp}` } });
    }
    log(`  a group of 2 with 200 messages; ${WARMUP} requests of each kind to warm up, then ${N}`);
    const kinds: [string, () => Promise<{ statusCode: number }>][] = [
      ['baseline: GET /healthz', () => app.inject({ method: 'GET', url: '/healthz' })],
      ['GET /users/me', () => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: auth(a.token) })],
      ['GET history page (50)', () => app.inject({ method: 'GET', url: `/api/v1/conversations/${gid}/messages?limit=50`, headers: auth(b.token) })],
      ['GET inbox', () => app.inject({ method: 'GET', url: '/api/v1/conversations', headers: auth(b.token) })],
      ['POST message', () => app.inject({ method: 'POST', url: `/api/v1/conversations/${gid}/messages`, headers: auth(a.token), payload: { body: 'a send 发送' } })],
    ];
    const rows: Record<string, string | number>[] = [];
    // The app runs in this process: it alone on one CPU (a PostgreSQL server is not pinned).
    const unpin = pinSelf();
    log('  this process (the app) pinned to one CPU when taskset exists');
    try {
      for (const [name, fn] of kinds) {
        for (let i = 0; i < WARMUP; i++) await fn();
        const wall: number[] = [];
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < N; i++) {
          const s = performance.now();
          const res = await fn();
          wall.push(performance.now() - s);
          if (res.statusCode >= 300) throw new Error(`${name}: ${res.statusCode}`);
        }
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const p = percentiles(wall);
        rows.push({
          request: name,
          'CPU µs per request': ((cpu.user + cpu.system) / N).toFixed(0),
          'p50 ms': p.p50.toFixed(2),
          'p99 ms': p.p99.toFixed(2),
          'requests/s one at a time': (N / seconds).toFixed(0),
        });
      }
    } finally {
      unpin();
    }
    return rows;
  },
};
