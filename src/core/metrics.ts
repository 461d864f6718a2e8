/**
 * The Prometheus metrics of one app, served at GET /metrics. Each app has its own registry, so
 * several apps in one process (tests, benchmarks) keep their own counts; prom-client's global
 * registry is never used.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics read at each scrape rather than count as they go. */
export interface MetricsSources {
  /** Authenticated WebSocket connections open on this node. */
  openConnections(): number;
  /** Connections the database pool may open (1 for the embedded database). */
  dbPoolSize: number;
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUERY_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

let processRegistry: Registry | null = null;

/**
 * Memory, CPU, handles, event-loop lag and GC of the process, under prom-client's standard names
 * (`process_*`, `nodejs_*`). One registry per process: those collectors start native monitors
 * (an event-loop delay histogram, a GC observer) that prom-client can never stop, so collecting
 * them once per app would leak a pair for every app started in the process.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private queriesInFlight = 0;

  readonly httpDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern ("unmatched" for no route) and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly wsConnectionsOpened = new Counter({
    name: 'parley_ws_connections_opened_total',
    help: 'WebSocket connections that authenticated (got ready).',
    registers: [this.registry],
  });

  readonly wsFramesReceived = new Counter({
    name: 'parley_ws_frames_received_total',
    help: 'Client frames of ready connections by type ("invalid" for malformed or unknown, "rate_limited" for dropped).',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly busEventsReceived = new Counter({
    name: 'parley_bus_events_received_total',
    help: 'Conversation events this node received from the bus.',
    registers: [this.registry],
  });

  readonly wsEventsFannedOut = new Counter({
    name: 'parley_ws_events_fanned_out_total',
    help: 'Bus events handed to sockets of this node, one per socket, by frame type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly gapFills = new Counter({
    name: 'parley_ws_gap_fills_total',
    help:
      'Gaps in a conversation\'s live events read from the events table: by="node" once for every connection of the node ' +
      '(the sequencer, after a lost or late bus message), by="connection" by one connection alone (the safety net; should stay rare).',
    labelNames: ['by'] as const,
    registers: [this.registry],
  });

  readonly eventsReordered = new Counter({
    name: 'parley_events_reordered_total',
    help: 'Conversation events that reached this node ahead of an earlier one and waited for it before fan-out.',
    registers: [this.registry],
  });

  readonly memberLoads = new Counter({
    name: 'parley_node_member_loads_total',
    help:
      'Member lists this node read from the database to route events that came over the bus without one ' +
      '(large groups: the node keeps each conversation\'s members and follows their joins and leaves).',
    registers: [this.registry],
  });

  readonly eventsLate = new Counter({
    name: 'parley_events_late_total',
    help: 'Conversation events that reached this node after it had passed their seq (a filled gap\'s late original, a repeat).',
    registers: [this.registry],
  });

  readonly wsSendAckDuration = new Histogram({
    name: 'parley_ws_send_ack_seconds',
    help: 'From a message.send frame read to its ack written.',
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly messagesStored = new Counter({
    name: 'parley_messages_stored_total',
    help: 'Messages stored (over REST or WebSocket); repeats of a clientMsgId are not counted.',
    registers: [this.registry],
  });

  readonly dbQueryDuration = new Histogram({
    name: 'parley_db_query_duration_seconds',
    help: 'Database queries as the app sees them, including the wait for a pooled connection.',
    buckets: QUERY_SECONDS,
    registers: [this.registry],
  });

  readonly dbQueryErrors = new Counter({
    name: 'parley_db_query_errors_total',
    help: 'Database queries that failed (including expected ones, such as unique violations).',
    registers: [this.registry],
  });

  readonly exportPageDuration = new Histogram({
    name: 'parley_export_page_seconds',
    help: 'One page of a group or personal-data export: its queries and its JSON, the longest an export holds the database before others get a turn.',
    buckets: QUERY_SECONDS,
    registers: [this.registry],
  });

  readonly exportsRunning = new Gauge({
    name: 'parley_exports_running',
    help: 'Group and personal-data exports this node is streaming.',
    registers: [this.registry],
  });

  readonly exportsRefused = new Counter({
    name: 'parley_exports_refused_total',
    help: 'Exports refused with 429, by what was busy: the requester (a bot counts as its owner), the group, or the node.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    // Read at each scrape: nothing to keep up to date on the hot paths.
    const connections: Gauge = new Gauge({
      name: 'parley_ws_connections',
      help: 'Authenticated WebSocket connections open on this node.',
      registers: [this.registry],
      collect: () => connections.set(sources.openConnections()),
    });
    const inFlight: Gauge = new Gauge({
      name: 'parley_db_queries_in_flight',
      help: 'Database queries started and not yet finished (running or waiting for a connection).',
      registers: [this.registry],
      collect: () => inFlight.set(this.queriesInFlight),
    });
    new Gauge({
      name: 'parley_db_pool_size',
      help: 'Connections the database pool may open (1 for the embedded database).',
      registers: [this.registry],
    }).set(sources.dbPoolSize);
    processMetrics();
  }

  /** The group commit's queue of sends: how many wait now, and how many it refused as too many. */
  watchSendQueue(waiting: () => number, refused: () => number): void {
    const gauge: Gauge = new Gauge({
      name: 'parley_send_queue_waiting',
      help: 'Sends waiting for the group commit (a backlog that stays high means the database is not keeping up).',
      registers: [this.registry],
      collect: () => gauge.set(waiting()),
    });
    const total: Counter = new Counter({
      name: 'parley_sends_refused_busy_total',
      help: 'Sends refused with 503 because too many were waiting for the database (the sender retries).',
      registers: [this.registry],
      collect: () => {
        total.reset();
        total.inc(refused());
      },
    });
  }

  /** The Redis bus's counts, read at each scrape. */
  watchBus(stats: () => { unlisted: number; publishFailures: number; resets: number }): void {
    const counter = (name: string, help: string, read: (s: ReturnType<typeof stats>) => number): void => {
      const c: Counter = new Counter({
        name,
        help,
        registers: [this.registry],
        collect: () => {
          c.reset();
          c.inc(read(stats()));
        },
      });
    };
    counter(
      'parley_bus_events_unlisted_total',
      'Conversation events this node sent over Redis without their member list (large groups: each node routes them by the members it keeps).',
      (s) => s.unlisted,
    );
    counter('parley_bus_publish_failures_total', 'Publishes to Redis that failed (the other nodes resync from the database when it is back).', (s) => s.publishFailures);
    counter('parley_bus_resets_total', 'Times this node caught its connections up from the database because bus messages may have been lost.', (s) => s.resets);
  }

  /** The shared rate limits' state: shared through Redis now (1) or counted by this node alone (0). */
  watchRateLimits(store: { readonly available: boolean; readonly stats: { outages: number } }): void {
    const shared: Gauge = new Gauge({
      name: 'parley_rate_limits_shared',
      help: 'Whether rate limits are counted by every node together in Redis (1) or by this node alone because Redis is unreachable (0).',
      registers: [this.registry],
      collect: () => shared.set(store.available ? 1 : 0),
    });
    const outages: Counter = new Counter({
      name: 'parley_rate_limit_redis_outages_total',
      help: 'Times rate limits fell back to this node\'s own count because Redis failed or did not answer in time (100 ms).',
      registers: [this.registry],
      collect: () => {
        outages.reset();
        outages.inc(store.stats.outages);
      },
    });
  }

  /** A database query started (the database's query observer). */
  queryStarted(): void {
    this.queriesInFlight++;
  }

  /** A database query finished after `seconds`. */
  queryFinished(seconds: number, failed: boolean): void {
    this.queriesInFlight--;
    this.dbQueryDuration.observe(seconds);
    if (failed) this.dbQueryErrors.inc();
  }

  /** The registries behind `text()`: this app's, then the process's. */
  registries(): Registry[] {
    return [this.registry, processMetrics()];
  }

  /** The exposition text: this app's metrics, then the process's. */
  async text(): Promise<string> {
    return (await this.registry.metrics()) + (await processMetrics().metrics());
  }
}
