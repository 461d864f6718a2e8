/**
 * Query timing at the driver level (drizzle has no hook that sees a query end): the PGlite or
 * postgres.js client is patched once when the database opens, and each query is reported to
 * the observers attached at the time (the app's metrics). With none attached, a query costs a
 * set-size check.
 */
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { Sql } from 'postgres';

/** Told of each query the app runs. */
export interface QueryObserver {
  queryStarted(): void;
  /** `text`: the statement's SQL as sent to the driver. */
  queryFinished(seconds: number, failed: boolean, text: string): void;
}

type Finish = (failed: boolean) => void;

export class QueryObservers {
  private readonly observers = new Set<QueryObserver>();

  /** Attaches an observer; returns its detach. */
  add(observer: QueryObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  get active(): boolean {
    return this.observers.size > 0;
  }

  /** A query starts: returns the call that reports its end, or null when nobody listens. */
  start(text: string): Finish | null {
    if (this.observers.size === 0) return null;
    // The observers told of the start are the ones told of the end, whoever attaches meanwhile.
    const told = [...this.observers];
    const t0 = performance.now();
    for (const o of told) o.queryStarted();
    return (failed) => {
      const seconds = (performance.now() - t0) / 1000;
      for (const o of told) o.queryFinished(seconds, failed, text);
    };
  }
}

async function timed<T>(observers: QueryObservers, text: unknown, run: () => Promise<T>): Promise<T> {
  const finish = observers.start(typeof text === 'string' ? text : '');
  if (!finish) return run();
  try {
    const result = await run();
    finish(false);
    return result;
  } catch (err) {
    finish(true);
    throw err;
  }
}

/** Times PGlite's `query`, in and out of transactions (what drizzle calls). */
export function observePglite(client: PGlite, observers: QueryObservers): void {
  const query = client.query.bind(client);
  client.query = ((...args: Parameters<PGlite['query']>) => timed(observers, args[0], () => query(...args))) as PGlite['query'];
  const transaction = client.transaction.bind(client);
  client.transaction = ((fn: (tx: Transaction) => Promise<unknown>) =>
    transaction((tx) => {
      const txQuery = tx.query.bind(tx);
      tx.query = ((...args: Parameters<Transaction['query']>) => timed(observers, args[0], () => txQuery(...args))) as Transaction['query'];
      return fn(tx);
    })) as PGlite['transaction'];
}

/** The parts of a postgres.js `sql` (the pool, or a transaction's scope) that drizzle calls. */
interface PostgresScope {
  unsafe: (...args: unknown[]) => PromiseLike<unknown>;
  begin?: (...args: unknown[]) => Promise<unknown>;
  savepoint?: (...args: unknown[]) => Promise<unknown>;
}

/**
 * Times postgres.js's `unsafe` (every drizzle query), on the pool and inside `begin` and
 * `savepoint` scopes. A postgres.js query is lazy: it runs when first awaited, so the clock
 * starts at its first `then` and the query object is handed back unchanged otherwise.
 */
export function observePostgres(client: Sql, observers: QueryObservers): void {
  instrumentScope(client as unknown as PostgresScope, observers);
}

function instrumentScope(scope: PostgresScope, observers: QueryObservers): PostgresScope {
  const unsafe = scope.unsafe;
  scope.unsafe = (...args) => timedQuery(unsafe(...args), observers, args[0]);
  for (const key of ['begin', 'savepoint'] as const) {
    const open = scope[key];
    if (!open) continue;
    // The last argument is the callback that receives the transaction's own scope.
    scope[key] = (...args) => {
      const fn = args.at(-1);
      if (typeof fn === 'function') args[args.length - 1] = (sql: PostgresScope) => fn(instrumentScope(sql, observers));
      return open(...args);
    };
  }
  return scope;
}

type Then = (this: unknown, onFulfilled?: ((value: unknown) => unknown) | null, onRejected?: ((err: unknown) => unknown) | null) => unknown;

function timedQuery<Q extends PromiseLike<unknown>>(query: Q, observers: QueryObservers, text: unknown): Q {
  if (!observers.active) return query;
  const q = query as unknown as { then: Then };
  const then = q.then;
  let started = false;
  // Installed on the query object itself: the driver's own `catch` calls `then` again later.
  q.then = function (onFulfilled, onRejected) {
    const finish = started ? null : observers.start(typeof text === 'string' ? text : '');
    started = true;
    if (!finish) return then.call(this, onFulfilled, onRejected);
    return then.call(
      this,
      (value) => {
        finish(false);
        return onFulfilled ? onFulfilled(value) : value;
      },
      (err) => {
        finish(true);
        if (onRejected) return onRejected(err);
        throw err;
      },
    );
  };
  return query;
}

/**
 * Logs each statement that took `thresholdMs` or longer (DB_SLOW_QUERY_MS): its time from being
 * issued to its answer (on PostgreSQL, a wait for a pooled connection included), and its SQL
 * without the parameters' values. On the embedded database a statement holds the whole server
 * while it runs, so a slow one is everyone's wait.
 */
export class SlowQueryLog implements QueryObserver {
  constructor(
    private readonly thresholdMs: number,
    private readonly warn: (fields: { ms: number; failed: boolean; sql: string }, msg: string) => void,
  ) {}

  queryStarted(): void {}

  queryFinished(seconds: number, failed: boolean, text: string): void {
    const ms = seconds * 1000;
    if (ms < this.thresholdMs) return;
    const flat = text.replace(/\s+/g, ' ').trim();
    this.warn({ ms: Math.round(ms * 10) / 10, failed, sql: flat.length > 600 ? `${flat.slice(0, 600)}…` : flat }, 'slow database statement');
  }
}

/**
 * Knows whether any statement is running or waiting, and wakes those waiting for none
 * (`Database.quiet`). A statement's caller goes on in microtasks after its answer, so "none"
 * is judged after a turn of the event loop: a request that sends its next statement at once
 * keeps the database busy, and keeps its place ahead of the background work.
 */
export class IdleWatch implements QueryObserver {
  private running = 0;
  private readonly waiting = new Set<() => void>();
  private checking = false;

  queryStarted(): void {
    this.running++;
  }

  queryFinished(): void {
    this.running = Math.max(0, this.running - 1);
    if (this.running === 0 && this.waiting.size > 0) this.check();
  }

  wait(maxWaitMs: number): Promise<void> {
    const waiting = this.waiting;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      waiting.add(done);
      if (this.running === 0) this.check();
    });
  }

  private check(): void {
    if (this.checking) return;
    this.checking = true;
    setImmediate(() => {
      this.checking = false;
      if (this.running !== 0) return;
      for (const done of [...this.waiting]) done();
    });
  }
}
