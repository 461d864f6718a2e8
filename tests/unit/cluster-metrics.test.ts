/**
 * How the supervisor merges its workers' metrics (src/core/cluster-metrics.ts): counters and
 * histograms summed, gauges one series per worker, identical ones once, and the two cluster gauges.
 * The real processes are in tests/cluster/metrics-workers.test.ts.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { mergeWorkerMetrics } from '../../src/core/cluster-metrics.js';

async function worker(n: number) {
  const r = new Registry();
  new Counter({ name: 'sends_total', help: 'h', labelNames: ['type'], registers: [r] }).inc({ type: 'a' }, n);
  new Gauge({ name: 'open', help: 'h', registers: [r] }).set(n * 10);
  new Gauge({ name: 'started', help: 'h', registers: [r], aggregator: 'omit' }).set(1000 + n);
  new Gauge({ name: 'version_info', help: 'h', labelNames: ['v'], registers: [r], aggregator: 'first' }).set({ v: '20' }, 1);
  new Histogram({ name: 'lat_seconds', help: 'h', buckets: [0.1, 1], registers: [r] }).observe(n / 2);
  new Gauge({ name: 'lag', help: 'h', registers: [r] }).set(Number.NaN);
  return { worker: n, metrics: (await r.getMetricsAsJSON()) as never };
}

describe('merging the workers\' metrics', () => {
  it('sums counters and histograms, keeps gauges per worker, and says how many workers answered', async () => {
    const text = await mergeWorkerMetrics([await worker(1), await worker(2)], 3);
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(
      expect.arrayContaining([
        'sends_total{type="a"} 3',
        'open{worker="1"} 10',
        'open{worker="2"} 20',
        // prom-client would omit a start time; per worker it shows a restarted one.
        'started{worker="1"} 1001',
        'started{worker="2"} 1002',
        'version_info{v="20"} 1',
        'lat_seconds_bucket{le="0.1"} 0',
        'lat_seconds_bucket{le="1"} 2',
        'lat_seconds_count 2',
        // As prom-client writes NaN for one process.
        'lag{worker="1"} Nan',
        'parley_cluster_workers 3',
        'parley_cluster_workers_reporting 2',
      ]),
    );
    expect(lines.filter((l) => l.startsWith('version_info'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('open'))).toHaveLength(2);
  });
});
