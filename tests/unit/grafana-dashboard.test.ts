/**
 * deploy/grafana-parley.json queries only metrics the server exports: every metric name in its
 * PromQL expressions is one GET /metrics of a real app serves (histograms by their _bucket, _sum
 * and _count series), or one the WORKERS supervisor adds when it merges the workers' metrics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeWorkerMetrics } from '../../src/core/cluster-metrics.js';
import type { SharedBuckets } from '../../src/core/rate-limiter.js';
import { LocalBus } from '../../src/events/bus.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ROOT } from '../helpers/process.js';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** The metric names a PromQL expression reads. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, regexes)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names: string[] = [];
  // Not preceded by a digit or a dot: the unit of a duration (5m) or a number is no name.
  for (const m of bare.matchAll(/(?<![\w:.])[A-Za-z_:][\w:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0])) continue; // a function or an aggregation
    names.push(m[0]);
  }
  return names;
}

/** Names a scrape serves: the families of its HELP lines, histograms by their series too. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (!m) continue;
    names.add(m[1]!);
    if (m[2] === 'histogram' || m[2] === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1] + s);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  let t: TestApp;
  let served: Set<string>;

  beforeAll(async () => {
    // A node with REDIS_URL: the bus's and the shared rate limits' metrics (stand-ins of both).
    const bus = Object.assign(new LocalBus(), { stats: { received: 0, publishFailures: 0, resets: 0, unlisted: 0 } });
    const rateLimitStore: SharedBuckets = { available: true, stats: { outages: 0 }, take: async () => null, failed: () => {}, close: () => {} };
    t = await startTestApp({}, { bus, rateLimitStore });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    served = new Set([...exported(res.body), ...exported(await mergeWorkerMetrics([], 0))]);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('the name extraction sees through functions, labels, ranges and by-clauses', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(parley_http_request_duration_seconds_bucket{status_code=~"5.."}[$__rate_interval])))')).toEqual([
      'parley_http_request_duration_seconds_bucket',
    ]);
    expect(metricNames('max by (instance, worker) (a_b) / on (instance) group_left sum(c:d offset 5m)')).toEqual(['a_b', 'c:d']);
  });

  it('every metric its queries name is one the server exports', () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana-parley.json'), 'utf8')) as { panels: Panel[] };
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(15);
    const used = new Set<string>();
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        const names = metricNames(target.expr);
        expect(names.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const n of names) used.add(n);
      }
    }
    expect([...used].filter((n) => !served.has(n))).toEqual([]);
    // The main families are on the dashboard.
    for (const n of ['parley_ws_connections', 'parley_messages_stored_total', 'parley_db_query_duration_seconds_bucket', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(used).toContain(n);
    }
  });
});
