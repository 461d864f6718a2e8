/**
 * How an export is streamed without holding up everyone else. On the embedded database every
 * query runs on the event loop's own thread, one at a time: an export that read its history in a
 * tight loop kept other requests waiting for seconds (issue 26). So an export reads small pages
 * (a page's queries and JSON take a few milliseconds), gives the event loop a turn after each
 * page, and reads the next page only when the client has taken the previous one (the response
 * pipe waits for 'drain'): never more than a page or two in memory, however long the history.
 */
import { Readable } from 'node:stream';

/**
 * Rows read per page. A page is the longest anyone else waits for an export. Measured (bench
 * export, BENCHMARKS.md): 200 messages with their files and reactions took 1-6 ms on an in-memory
 * PGlite but 14-46 ms mean on a file-backed one (rows read for the first time cost the most), so
 * pages are 50 rows: a few milliseconds each.
 */
export const EXPORT_PAGE_ROWS = 50;

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
 * after each page; `timed` is told how long each page took to read and serialize.
 */
export async function* jsonArrayPages(pages: AsyncIterable<readonly unknown[]>, timed?: (seconds: number) => void): AsyncGenerator<string> {
  const it = pages[Symbol.asyncIterator]();
  let first = true;
  try {
    for (;;) {
      const t0 = performance.now();
      const next = await it.next();
      if (next.done) return;
      let chunk = '';
      for (const item of next.value) {
        chunk += `${first ? '\n' : ',\n'}${JSON.stringify(item)}`;
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
