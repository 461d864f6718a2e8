/** An attachment's bytes, stored as an upload's are: under their SHA-256, typed by their bytes. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { BlobStore } from '../../storage/blob-store.js';

const SNIFF_BYTES = 4100;

export interface StoredFile {
  sha256: string;
  size: number;
  contentType: string;
}

/** Copies `file` into the blob store (streamed; identical files kept once). */
export async function storeFile(blobs: BlobStore, file: string): Promise<StoredFile> {
  const temp = blobs.tempPath();
  const hash = createHash('sha256');
  let size = 0;
  const head: Buffer[] = [];
  let headBytes = 0;
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
  try {
    await pipeline(fs.createReadStream(file), inspect, fs.createWriteStream(temp));
    const sniffHead = Buffer.concat(head).subarray(0, SNIFF_BYTES);
    const { fileTypeFromBuffer } = await import('file-type');
    const sniffed = await fileTypeFromBuffer(sniffHead);
    const sha256 = hash.digest('hex');
    await blobs.putFile(sha256, temp);
    return { sha256, size, contentType: sniffed?.mime ?? (looksLikeText(sniffHead) ? 'text/plain; charset=utf-8' : 'application/octet-stream') };
  } finally {
    await fs.promises.rm(temp, { force: true });
  }
}

function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 4)));
    return true;
  } catch {
    return false;
  }
}
