/**
 * WORKERS=N: one scrape of GET /metrics on the shared port returns every worker's metrics. The
 * worker that takes the scrape asks the supervisor over IPC; the supervisor asks each worker for
 * its registries (as JSON), merges them with prom-client's AggregatorRegistry and answers.
 *
 * How they merge: counters and histograms are summed over the workers (a rate or a quantile over
 * the machine). Gauges keep one series per worker, labelled `worker` (its slot, 1..N): a sum of
 * open connections, event-loop lag, memory or a send backlog would hide the one worker that is
 * sick. Gauges that every worker reports alike (prom-client's `first` aggregator: the Node.js
 * version) appear once. `parley_cluster_workers` and `parley_cluster_workers_reporting` say how
 * many workers run and how many answered this scrape (one that does not answer within the time
 * allowed is left out, not waited for).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { AppError } from './errors.js';

const COLLECT = 'parley:metrics-collect'; // supervisor → worker: send your metrics
const REPORT = 'parley:metrics-report'; // worker → supervisor: here they are
const ASK = 'parley:metrics-ask'; // worker → supervisor: the whole cluster's, please
const ANSWER = 'parley:metrics-answer'; // supervisor → worker: the merged text

/** A metric as `registry.getMetricsAsJSON()` gives it (what travels over IPC). */
interface Json {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

interface Message {
  type: string;
  id: number;
  worker?: number;
  metrics?: Json[];
  text?: string;
  error?: string;
}

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' && m !== null && typeof (m as Message).type === 'string' && (m as Message).type.startsWith('parley:metrics-');

/** Gauges take a `worker` label; counters and histograms are summed; `first` ones appear once. */
export function labelByWorker(worker: number, metrics: Json[]): Json[] {
  return metrics.map((m) => {
    if (m.type !== 'gauge' || m.aggregator === 'first') return m;
    // Each worker's series is distinct now, so summing passes it through (omit would drop it).
    return { ...m, aggregator: 'sum', values: m.values.map((v) => ({ ...v, labels: { ...v.labels, worker: String(worker) } })) };
  });
}

/** The merged exposition text of every worker's metrics, with the two cluster gauges. */
export async function mergeWorkerMetrics(reports: { worker: number; metrics: Json[] }[], running: number): Promise<string> {
  const gauge = (name: string, help: string, value: number): Json => ({ name, help, type: 'gauge', aggregator: 'sum', values: [{ value, labels: {} }] });
  const all = [
    ...reports.map((r) => labelByWorker(r.worker, r.metrics)),
    [
      gauge('parley_cluster_workers', 'Worker processes running under this supervisor (WORKERS).', running),
      gauge('parley_cluster_workers_reporting', 'Workers whose metrics are in this scrape (one that did not answer in time is left out).', reports.length),
    ],
  ];
  return AggregatorRegistry.aggregate(all as unknown as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
}

/**
 * The supervisor's side: answers a worker's request for the cluster's metrics by collecting every
 * live worker's (each given `timeoutMs`). Returns a function that stops it.
 */
export function serveClusterMetrics(opts: { timeoutMs?: number } = {}): () => void {
  const timeoutMs = opts.timeoutMs ?? 3_000;
  let nextId = 1;
  const pending = new Map<number, (report: { worker: number; metrics: Json[] }) => void>();

  const collect = async (): Promise<string> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    const id = nextId++;
    const reports: { worker: number; metrics: Json[] }[] = [];
    await new Promise<void>((resolve) => {
      let left = workers.length;
      if (left === 0) return resolve();
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve();
      }, timeoutMs);
      pending.set(id, (report) => {
        reports.push(report);
        if (--left > 0) return;
        clearTimeout(timer);
        pending.delete(id);
        resolve();
      });
      for (const w of workers) w.send({ type: COLLECT, id } satisfies Message);
    });
    reports.sort((a, b) => a.worker - b.worker);
    return mergeWorkerMetrics(reports, workers.length);
  };

  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isMessage(message)) return;
    if (message.type === REPORT && message.metrics) {
      for (const m of message.metrics) for (const v of m.values) v.value = Number(v.value);
      pending.get(message.id)?.({ worker: message.worker ?? 0, metrics: message.metrics });
    }
    if (message.type === ASK) {
      collect().then(
        (text) => worker.isConnected() && worker.send({ type: ANSWER, id: message.id, text } satisfies Message),
        (err: unknown) => worker.isConnected() && worker.send({ type: ANSWER, id: message.id, error: String(err) } satisfies Message),
      );
    }
  };
  cluster.on('message', onMessage);
  return () => cluster.off('message', onMessage);
}

/**
 * A worker's side: reports its registries when the supervisor collects, and fetches the whole
 * cluster's text for its GET /metrics.
 */
export class WorkerMetrics {
  private registries: Registry[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Message) => void>();
  private readonly onMessage = (message: unknown): void => {
    if (!isMessage(message)) return;
    if (message.type === COLLECT) void this.report(message.id);
    if (message.type === ANSWER) this.waiting.get(message.id)?.(message);
  };

  constructor(
    private readonly worker: number,
    private readonly timeoutMs = 5_000,
  ) {
    process.on('message', this.onMessage);
  }

  /** The registries this worker reports (the app's and the process's). */
  attach(registries: Registry[]): void {
    this.registries = registries;
  }

  private async report(id: number): Promise<void> {
    const metrics = (await Promise.all(this.registries.map((r) => r.getMetricsAsJSON()))).flat() as unknown as Json[];
    // IPC is JSON: NaN and ±Infinity (a valid sample) would arrive as null. They travel as text.
    for (const m of metrics) for (const v of m.values) if (!Number.isFinite(v.value)) v.value = String(v.value) as unknown as number;
    process.send?.({ type: REPORT, id, worker: this.worker, metrics } satisfies Message);
  }

  /** Every worker's metrics, merged by the supervisor; 503 `unavailable` when it does not answer in time. */
  async text(): Promise<string> {
    const id = this.nextId++;
    const answer = await new Promise<Message | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, this.timeoutMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(m);
      });
      process.send?.({ type: ASK, id } satisfies Message);
    });
    if (answer?.text === undefined) throw new AppError('unavailable', 'the workers\' metrics could not be collected; try again');
    return answer.text;
  }

  close(): void {
    process.off('message', this.onMessage);
  }
}
