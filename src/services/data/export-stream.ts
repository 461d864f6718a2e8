/**
 * How an export is streamed without holding up everyone else. On the embedded database every
 * query runs on the event loop's own thread, one at a time: an export that read its history in a
 * tight loop kept other requests waiting for seconds (issue 26). So an export reads small pages
 * (a page's queries and JSON take a few milliseconds), gives the event loop a turn after each
 * page, and reads the next page only when the client has taken the previous one (the response
 * pipe waits for 'drain'): never more than a page or two in memory, however long the history.
 */
import { Readable } from 'node:stream';
import { WorkSizer } from '../../core/work-sizer.js';

/**
 * Rows of an export's first page. A page is the longest anyone else waits for an export on the
 * embedded database (its queries run on the event loop's thread), so after the first page the
 * size follows what pages take (`PageSizer`).
 */
export const EXPORT_PAGE_ROWS = 50;

/** What a page of an export may take, in ms of database work, before the next page reads fewer rows. */
export const EXPORT_PAGE_TARGET_MS = 4;

/**
 * The rows the next page reads, from what the previous pages took (`WorkSizer`): between 10 and
 * 500 rows, aiming at EXPORT_PAGE_TARGET_MS a page.
 */
export class PageSizer {
  private readonly sizer = new WorkSizer({ initial: EXPORT_PAGE_ROWS, min: 10, max: 500, targetMs: EXPORT_PAGE_TARGET_MS });

  /** `before`: awaited before each page is read (the export gives way to other requests). */
  constructor(private readonly before: () => Promise<void> = () => Promise.resolve()) {}

  /** Rows to ask for next. A page with fewer than this is the last one. */
  get rows(): number {
    return this.sizer.size;
  }

  /** The last page read `rows` rows in `ms`. */
  took(ms: number, rows: number): void {
    this.sizer.took(ms, rows);
  }

  /** Reads one page with `read(limit)`, timing it; `last` is true when it was the final page. */
  async page<T>(read: (limit: number) => Promise<T[]>): Promise<{ rows: T[]; last: boolean }> {
    await this.before();
    const limit = this.rows;
    const t0 = performance.now();
    const rows = await read(limit);
    this.took(performance.now() - t0, rows.length);
    return { rows, last: rows.length < limit };
  }
}

/** Resolves after the I/O and timers that are due have run: other requests get their turn. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The document as bytes, pulled as the client reads it. `release` runs once, as soon as the last
 * piece is read, or when the stream closes early (an error, or the client went away).
 */
export function documentStream(pieces: AsyncIterable<string>, release: () => void, onError: (err: unknown) => void): Readable {
  async function* document(): AsyncGenerator<string> {
    try {
      yield* pieces;
    } finally {
      release();
    }
  }
  const stream = Readable.from(document(), { objectMode: false });
  // 'close' comes after the end, an error, or a destroy (even before the first read) alike.
  stream.once('close', release);
  stream.once('error', onError);
  return stream;
}

/**
 * The items of a JSON array, one a line, as one chunk per page, with a turn of the event loop
 * after each page; `timed` is told how long each page took to read and serialize. `write` turns
 * an item into its JSON (JSON.stringify by default; items that already are JSON text pass as they are).
 */
export async function* jsonArrayPages<T>(pages: AsyncIterable<readonly T[]>, timed?: (seconds: number) => void, write: (item: T) => string = JSON.stringify): AsyncGenerator<string> {
  const it = pages[Symbol.asyncIterator]();
  let first = true;
  try {
    for (;;) {
      const t0 = performance.now();
      const next = await it.next();
      if (next.done) return;
      let chunk = '';
      for (const item of next.value) {
        chunk += `${first ? '\n' : ',\n'}${write(item)}`;
        first = false;
      }
      timed?.((performance.now() - t0) / 1000);
      if (chunk) yield chunk;
      await nextTurn();
    }
  } finally {
    // Stopped early (the client went away): the page reader ends too.
    await it.return?.();
  }
}
