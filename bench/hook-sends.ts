/**
 * Issue 22's target "an incoming-webhook post costs no more than a REST send": BENCH_HOOK_CLIENTS
 * (20) HTTP clients on kept-alive connections, each with one request in flight for
 * BENCH_HOOK_SECONDS (5) per phase, into one group of the run's database: first
 * `POST /api/v1/conversations/{id}/messages` with a bearer token (the baseline), then Slack-format
 * posts to an incoming webhook's URL (a text, and an Alertmanager-style attachment). Latency,
 * requests per second and the process's CPU per request (the app and this load generator share
 * the process, so each row carries the same generator's share: compare the rows, not the
 * absolute figure).
 *   npm run bench -- hook-sends
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { percentiles, type Scenario } from './lib.js';

const CLIENTS = Math.max(1, Number(process.env.BENCH_HOOK_CLIENTS ?? 20));
const SECONDS = Number(process.env.BENCH_HOOK_SECONDS ?? 5);

const ALERT = {
  attachments: [
    {
      color: 'danger',
      fallback: '[FIRING:1] HighLatency api',
      title: '[FIRING:1] HighLatency',
      title_link: 'https://alerts.example.com/#/alerts',
      text: 'p99 latency above 500ms on api-1 服务延迟',
      fields: [{ title: 'severity', value: 'critical', short: true }],
    },
  ],
};

/** One POST on a kept-alive connection: its status. */
function post(agent: http.Agent, port: number, r: { path: string; headers: Record<string, string>; body: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: r.path, headers: { ...r.headers, 'content-length': Buffer.byteLength(r.body) }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Every client repeats `make()` with one request in flight for SECONDS; latencies, and what failed. */
async function phase(agent: http.Agent, port: number, make: (c: number, n: number) => { path: string; headers: Record<string, string>; body: string }) {
  const latencies: number[] = [];
  let failed = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; performance.now() < until; n++) {
        const r = make(c, n);
        const t0 = performance.now();
        const status = await post(agent, port, r);
        if (status >= 300) failed++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, failed };
}

export const hookSendsScenario: Scenario = {
  name: 'hook-sends',
  describe: `${CLIENTS} HTTP clients, one request in flight each, ${SECONDS} s per phase: REST sends (the baseline) against incoming-webhook posts in Slack's format`,
  async run(ctx) {
    const { app } = ctx;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const stamp = Date.now();
    const reg = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: `hook_${stamp}`, password: 'bench-password' } });
    const { token } = reg.json() as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const gid = (await app.inject({ method: 'POST', url: '/api/v1/groups', headers: auth, payload: { name: 'hook sends' } })).json().id as string;
    const hook = (await app.inject({ method: 'POST', url: `/api/v1/groups/${gid}/incoming-webhooks`, headers: auth, payload: { name: 'CI' } })).json() as { url: string };
    const hookPath = new URL(hook.url, 'http://x').pathname;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const json = { 'content-type': 'application/json' };
    const rest = (c: number, n: number) => ({ path: `/api/v1/conversations/${gid}/messages`, headers: { ...auth, ...json }, body: JSON.stringify({ body: `build ${c}-${n} passed ✅ 构建成功`, clientMsgId: `r${c}-${n}-${stamp}` }) });
    const text = (c: number, n: number) => ({ path: hookPath, headers: json, body: JSON.stringify({ text: `build <https://ci.example.com/${n}|${c}-${n}> passed ✅ 构建成功` }) });
    const alert = () => ({ path: hookPath, headers: json, body: JSON.stringify(ALERT) });
    try {
      ctx.log(`warming up, then ${SECONDS} s of each`);
      await phase(agent, port, rest);
      const rows: Record<string, string | number>[] = [];
      for (const [label, make] of [
        ['baseline: POST /api/v1/conversations/{id}/messages', rest],
        ['POST /hooks/{key} {text}', text],
        ['POST /hooks/{key} {attachments} (Alertmanager)', alert],
      ] as const) {
        const cpu0 = process.cpuUsage();
        const { latencies, failed } = await phase(agent, port, make);
        const used = process.cpuUsage(cpu0);
        const cpu = (used.user + used.system) / 1000;
        const p = percentiles(latencies);
        rows.push({
          requests: label,
          'req/s': Math.round(latencies.length / SECONDS),
          'p50 / p99 ms': `${p.p50.toFixed(1)} / ${p.p99.toFixed(1)}`,
          'CPU per request (server and generator)': `${((cpu * 1000) / latencies.length).toFixed(0)} µs`,
          failed,
        });
      }
      return rows;
    } finally {
      agent.destroy();
    }
  },
};
