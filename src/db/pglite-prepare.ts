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
  execProtocolRawStream(message: Uint8Array, options: { syncToFs?: boolean; onRawData: (chunk: Uint8Array) => void }): Promise<void>;
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
    // The backend's answer as bytes, read here: PGlite's own reader copies every field of every
    // row into an ArrayBuffer of its own before decoding it (an export of 100,000 messages
    // allocated 200 MiB that way, and that garbage was most of the collector's pauses).
    // (execProtocolRaw would parse them too, on the side.) Each chunk is a view of the WebAssembly
    // memory, so it is copied.
    const chunks: Uint8Array[] = [];
    await pg.execProtocolRawStream(concat([protocol.serialize.bind({ statement: statement.name, values }), protocol.serialize.execute({}), SYNC]), {
      syncToFs: false,
      onRawData: (chunk) => chunks.push(chunk.slice()),
    });
    const raw = chunks.length === 1 ? chunks[0]! : concat(chunks);
    const answer = scan(raw);
    if (!inTransaction) await pg.syncToFs();
    if (answer) return results(answer.rows, answer.command, statement.fields, options, pg.parsers);
    // An error or notice (rare): PGlite's parser makes them what its own calls give.
    return readResults(parseMessages(raw, options), statement.fields, options, pg.parsers);
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

/**
 * The rows (each column's text) and the command tag of a bind + execute + sync answer, read
 * straight from the bytes, or null when it holds anything but those (an error, a notice).
 */
export function scan(raw: Uint8Array): { rows: (string | null)[][]; command: string | null } | null {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const rows: (string | null)[][] = [];
  let command: string | null = null;
  let at = 0;
  while (at + 5 <= buf.length) {
    const type = buf[at]!;
    const end = at + 1 + buf.readInt32BE(at + 1);
    if (end > buf.length) return null;
    switch (type) {
      case 0x44: {
        // DataRow: int16 count, then per column int32 length (-1: NULL) and the text.
        const count = buf.readInt16BE(at + 5);
        const row = new Array<string | null>(count);
        let p = at + 7;
        for (let i = 0; i < count; i++) {
          const len = buf.readInt32BE(p);
          p += 4;
          if (len < 0) row[i] = null;
          else {
            row[i] = buf.toString('utf8', p, p + len);
            p += len;
          }
        }
        rows.push(row);
        break;
      }
      case 0x43: // CommandComplete: the tag, NUL-terminated.
        command = buf.toString('utf8', at + 5, end - 1);
        break;
      case 0x32: // BindComplete
      case 0x31: // ParseComplete
      case 0x33: // CloseComplete
      case 0x6e: // NoData
      case 0x49: // EmptyQueryResponse
      case 0x73: // PortalSuspended
      case 0x5a: // ReadyForQuery
        break;
      default:
        return null;
    }
    at = end;
  }
  return at === buf.length ? { rows, command } : null;
}

/** The answer through PGlite's parser, as execProtocolStream reads it: notices told, the first error thrown. */
function parseMessages(raw: Uint8Array, options: QueryOptions | undefined): Message[] {
  const messages: Message[] = [];
  let error: unknown = null;
  new protocol.Parser().parse(raw, (m) => {
    const message = m as unknown as Message;
    if (message.name === 'error') error ??= message;
    else if (message.name === 'notice') options?.onNotice?.(m as Parameters<NonNullable<QueryOptions['onNotice']>>[0]);
    messages.push(message);
  });
  if (error) throw error;
  return messages;
}

/** PGlite's parseResults for one statement's messages. */
function readResults(messages: Message[], fields: Statement['fields'], options: QueryOptions | undefined, clientParsers: Record<number, Parser>): Results {
  const rows: (string | null)[][] = [];
  let command: string | null = null;
  for (const m of messages) {
    if (m.name === 'dataRow') rows.push(m.fields as (string | null)[]);
    else if (m.name === 'commandComplete') command = m.text as string;
  }
  return results(rows, command, fields, options, clientParsers);
}

/** PGlite's parseResults from rows of column texts and the command tag, each column's parser looked up once. */
function results(texts: (string | null)[][], tag: string | null, fields: Statement['fields'], options: QueryOptions | undefined, clientParsers: Record<number, Parser>): Results {
  if (tag === null) return { affectedRows: 0, rows: [], fields: [] } as Results;
  const cols = fields ?? [];
  const custom = options?.parsers as Record<number, Parser> | undefined;
  const parsers = cols.map((f) => custom?.[f.dataTypeID] ?? clientParsers[f.dataTypeID] ?? DEFAULT_PARSERS[f.dataTypeID]);
  const asArray = options?.rowMode === 'array';
  const rows: unknown[] = new Array(texts.length);
  for (let r = 0; r < texts.length; r++) {
    const raw = texts[r]!;
    if (asArray) {
      const row = new Array<unknown>(raw.length);
      for (let i = 0; i < raw.length; i++) row[i] = parse(raw[i]!, parsers[i], cols[i]!.dataTypeID);
      rows[r] = row;
    } else {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < raw.length; i++) row[cols[i]!.name] = parse(raw[i]!, parsers[i], cols[i]!.dataTypeID);
      rows[r] = row;
    }
  }
  const parts = tag.split(' ');
  const command = parts[0]!;
  const rowCount = Number.parseInt(parts[parts.length - 1]!, 10);
  const affected = COUNTED.has(command) ? rowCount : 0;
  const result = { rows, fields: cols.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })), command, affectedRows: affected } as Results;
  if (!Number.isNaN(rowCount)) (result as { rowCount?: number }).rowCount = rowCount;
  return result;
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
