import { protocol, types, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import { MAX_PREPARED_PARAMS } from './postgres-prepare.js';

/** Statements each embedded database keeps prepared; the least recently used is closed beyond. */
export const MAX_PGLITE_STATEMENTS = 500;

type Parser = (value: string, typeId: number) => unknown;
type Serializer = (value: unknown) => string;
type Message = { name: string } & Record<string, unknown>;

/** What PGlite keeps behind the interface: its exclusive sections, readiness and file sync. */
interface PgliteInternals {
  _checkReady(): Promise<void>;
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
  syncToFs(): Promise<void>;
  execProtocolStream(message: Uint8Array, options: { syncToFs?: boolean; onNotice?: QueryOptions['onNotice'] }): Promise<Message[]>;
  parsers: Record<number, Parser>;
  serializers: Record<number, Serializer>;
}

interface Statement {
  name: string;
  paramTypes: number[];
  fields: { name: string; dataTypeID: number }[] | null;
}

const DEFAULT_PARSERS = types.parsers as unknown as Record<number, Parser>;
const SYNC = protocol.serialize.sync();
/** Commands whose row count PGlite reports as `affectedRows`. */
const COUNTED = new Set(['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE']);

/**
 * Runs drizzle's queries on the embedded database as named prepared statements, each in one call
 * into PGlite. `PGlite.query` parses and plans every statement anew and makes six calls into the
 * WebAssembly backend per query (parse, describe, bind, describe, execute, sync), then merges its
 * ~100 type parsers into a new object to read the rows: a primary-key lookup took 200-230 µs,
 * the same statement prepared and run with bind + execute + sync in one call 55-75 µs. Here a statement
 * is parsed and described once, kept under a name (at most MAX_PGLITE_STATEMENTS, least recently
 * used closed first), and each run is one call; the rows are read with the parsers of its columns.
 *
 * Each run is still planned for its values (plan_cache_mode=force_custom_plan, pglite-setup.ts).
 * In-process through app.inject, one core: GET /users/me 2,420 -> 2,024 µs of CPU, a history
 * page of 50 messages 6,882 -> 5,498, a send 3,567 -> 3,366, the inbox 8,171 -> 5,443.
 *
 * The results and errors are PGlite's own (`Results`, DatabaseError with `code`), so drizzle and
 * the rest of the app see no difference. Statements with more than MAX_PREPARED_PARAMS parameters
 * (IN lists of varying length), blobs or given parameter types take PGlite's own path.
 */
export function preparePgliteQueries(client: PGlite, maxStatements = MAX_PGLITE_STATEMENTS): void {
  const pg = client as unknown as PgliteInternals & PGlite;
  const statements = new Map<string, Statement>();
  const retired: string[] = [];
  let counter = 0;

  const eligible = (params: unknown[] | undefined, options: QueryOptions | undefined): boolean =>
    (params?.length ?? 0) <= MAX_PREPARED_PARAMS && !options?.blob && !options?.paramTypes;

  async function prepare(text: string, options: QueryOptions | undefined): Promise<Statement> {
    const name = `p${++counter}`;
    // Close what was evicted first, in the same call (a statement no longer used holds its plan).
    const closes = retired.splice(0).map((n) => protocol.serialize.close({ type: 'S', name: n }));
    const messages = await pg.execProtocolStream(concat([...closes, protocol.serialize.parse({ name, text }), protocol.serialize.describe({ type: 'S', name }), SYNC]), {
      syncToFs: false,
      onNotice: options?.onNotice,
    });
    let paramTypes: number[] = [];
    let fields: Statement['fields'] = null;
    for (const m of messages) {
      if (m.name === 'parameterDescription') paramTypes = m.dataTypeIDs as number[];
      else if (m.name === 'rowDescription') fields = (m.fields as { name: string; dataTypeID: number }[]).map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
    }
    const statement = { name, paramTypes, fields };
    statements.set(text, statement);
    if (statements.size > maxStatements) {
      const [oldest, evicted] = statements.entries().next().value as [string, Statement];
      statements.delete(oldest);
      retired.push(evicted.name);
    }
    return statement;
  }

  async function run(text: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean): Promise<Results> {
    try {
      return await runOnce(text, params, options, inTransaction);
    } catch (err) {
      // The statement's plan no longer fits the schema (a migration changed a table it reads), or
      // it is gone: prepare it again, once.
      const code = (err as { code?: string }).code;
      if ((code === '0A000' && /cached plan/.test(String((err as Error).message))) || code === '26000') {
        statements.delete(text);
        return runOnce(text, params, options, inTransaction);
      }
      throw err;
    }
  }

  async function runOnce(text: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean): Promise<Results> {
    let statement = statements.get(text);
    if (statement) {
      // Most recently used last: the Map's order is the eviction order.
      statements.delete(text);
      statements.set(text, statement);
    } else {
      statement = await prepare(text, options);
    }
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const oid = statement.paramTypes[i]!;
      const serialize = (options?.serializers as Record<number, Serializer> | undefined)?.[oid] ?? pg.serializers[oid];
      return serialize ? serialize(param) : String(param);
    });
    const messages = await pg.execProtocolStream(concat([protocol.serialize.bind({ statement: statement.name, values }), protocol.serialize.execute({}), SYNC]), {
      syncToFs: false,
      onNotice: options?.onNotice,
    });
    if (!inTransaction) await pg.syncToFs();
    return readResults(messages, statement.fields, options, pg.parsers);
  }

  const query = client.query.bind(client);
  client.query = (<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> => {
    if (!eligible(params, options)) return query<T>(text, params, options);
    // As PGlite's query: after any open transaction, one statement at a time.
    return pg._checkReady().then(() => pg._runExclusiveTransaction(() => pg._runExclusiveQuery(() => withQuery(run(text, params ?? [], options, false), text, params, options)))) as Promise<Results<T>>;
  }) as PGlite['query'];

  const transaction = client.transaction.bind(client);
  client.transaction = (<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> =>
    transaction((tx) => {
      const txQuery = tx.query.bind(tx);
      tx.query = (<R>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<R>> => {
        if (tx.closed || !eligible(params, options)) return txQuery<R>(text, params, options);
        return pg._runExclusiveQuery(() => withQuery(run(text, params ?? [], options, true), text, params, options)) as Promise<Results<R>>;
      }) as Transaction['query'];
      return fn(tx);
    })) as PGlite['transaction'];
}

/** A failed statement's error carries the statement, as PGlite's own do. */
async function withQuery<T>(result: Promise<T>, query: string, params: unknown[] | undefined, queryOptions: QueryOptions | undefined): Promise<T> {
  try {
    return await result;
  } catch (err) {
    if (err && typeof err === 'object' && 'code' in err) Object.assign(err, { query, params, queryOptions });
    throw err;
  }
}

/** PGlite's parseResults for one statement, with each column's parser looked up once. */
function readResults(messages: Message[], fields: Statement['fields'], options: QueryOptions | undefined, clientParsers: Record<number, Parser>): Results {
  const cols = fields ?? [];
  const custom = options?.parsers as Record<number, Parser> | undefined;
  const parsers = cols.map((f) => custom?.[f.dataTypeID] ?? clientParsers[f.dataTypeID] ?? DEFAULT_PARSERS[f.dataTypeID]);
  const asArray = options?.rowMode === 'array';
  const rows: unknown[] = [];
  let result: Results | null = null;
  for (const m of messages) {
    if (m.name === 'dataRow') {
      const raw = m.fields as (string | null)[];
      if (asArray) {
        const row = new Array<unknown>(raw.length);
        for (let i = 0; i < raw.length; i++) row[i] = parse(raw[i]!, parsers[i], cols[i]!.dataTypeID);
        rows.push(row);
      } else {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < raw.length; i++) row[cols[i]!.name] = parse(raw[i]!, parsers[i], cols[i]!.dataTypeID);
        rows.push(row);
      }
    } else if (m.name === 'commandComplete') {
      const parts = (m.text as string).split(' ');
      const command = parts[0]!;
      const rowCount = Number.parseInt(parts[parts.length - 1]!, 10);
      const affected = COUNTED.has(command) ? rowCount : 0;
      result = { rows, fields: cols.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })), command, affectedRows: affected } as Results;
      if (!Number.isNaN(rowCount)) (result as { rowCount?: number }).rowCount = rowCount;
    }
  }
  return result ?? ({ affectedRows: 0, rows: [], fields: [] } as Results);
}

function parse(value: string | null, parser: Parser | undefined, typeId: number): unknown {
  if (value === null) return null;
  return parser ? parser(value, typeId) : value;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
