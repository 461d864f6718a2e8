/**
 * A file on its way into the store: written to a temporary path while it is hashed, counted and
 * its head kept, then its type sniffed from the bytes (never from a name or a header). Uploads and
 * imports store files this way.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes the type sniffing reads (file-type needs up to 4,100). */
const SNIFF_BYTES = 4100;

export interface InspectedFile {
  sha256: string;
  size: number;
  contentType: string;
}

/** Text that is valid UTF-8 without NUL bytes (the last 4 bytes may be a cut character). */
function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 4)));
    return true;
  } catch {
    return false;
  }
}

/** Streams `source` to `temp`, hashing and counting it; its SHA-256, size and sniffed type. */
export async function writeInspected(source: Readable, temp: string): Promise<InspectedFile> {
  const hash = createHash('sha256');
  let size = 0;
  const head: Buffer[] = [];
  let headBytes = 0;
  // Hashes, counts and keeps the head (for sniffing) as the bytes go by on their way to disk.
  const inspect = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      if (headBytes < SNIFF_BYTES) {
        head.push(chunk);
        headBytes += chunk.length;
      }
      done(null, chunk);
    },
  });
  await pipeline(source, inspect, fs.createWriteStream(temp));
  const sniffHead = Buffer.concat(head).subarray(0, SNIFF_BYTES);
  // Loaded on the first file, not at start-up (together ~200 ms of module loading).
  const { fileTypeFromBuffer } = await import('file-type');
  const sniffed = await fileTypeFromBuffer(sniffHead);
  const contentType = sniffed?.mime ?? (looksLikeText(sniffHead) ? 'text/plain; charset=utf-8' : 'application/octet-stream');
  return { sha256: hash.digest('hex'), size, contentType };
}
