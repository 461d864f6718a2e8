/**
 * Copies every stored file from one store to another, each checked after it lands (the admin
 * CLI's move-files). Keys already in the target with the same size are left alone, so a run
 * that stopped half-way goes on where it was, and a run beside a live server copies what came
 * since the last one. Nothing is removed from the source.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../core/errors.js';
import type { BlobStore } from './blob-store.js';

export interface CopyCounts {
  /** Keys listed in the source. */
  listed: number;
  copied: number;
  /** Already in the target with the same size. */
  present: number;
  /** Listed, then removed from the source before they could be read (a live server's deletions). */
  vanished: number;
  /** Keys whose copy failed its check, with the reason; the run goes on past them. */
  failed: { key: string; reason: string }[];
  bytes: number;
}

/** Files copied at once (each mostly waits on the network). */
const PARALLEL = 8;

/** The SHA-256 and size of a stream's bytes, written to `into` on the way when given. */
async function sha256Of(stream: Readable, into?: string): Promise<{ sha: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  if (!into) {
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha: hash.digest('hex'), size };
  }
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(stream, count, fs.createWriteStream(into));
  return { sha: hash.digest('hex'), size };
}

/**
 * Copies `from` into `to`. A store that cannot be reached (AppError `unavailable`) stops the run
 * (every other file would wait out its timeout too); a file that fails its check is counted
 * and skipped. `progress` is called every 1,000 keys.
 */
export async function copyBlobs(from: BlobStore, to: BlobStore, progress: (counts: CopyCounts) => void = () => undefined): Promise<CopyCounts> {
  const counts: CopyCounts = { listed: 0, copied: 0, present: 0, vanished: 0, failed: [], bytes: 0 };
  const copyOne = async (key: string): Promise<void> => {
    const [size, there] = await Promise.all([from.size(key), to.size(key)]);
    if (size === null) return void counts.vanished++;
    if (there === size) return void counts.present++;
    const source = await from.read(key);
    if (!source) return void counts.vanished++;
    const temp = to.tempPath();
    try {
      const read = await sha256Of(source, temp);
      // An upload's key is the SHA-256 of its bytes: the source itself is checked too.
      const expected = /^[a-f0-9]{64}$/.test(key) ? key : read.sha;
      if (read.sha !== expected) return void counts.failed.push({ key, reason: 'the source file does not match its hash (damaged): not copied' });
      // A different size there is a damaged or foreign copy: replaced.
      if (there !== null) await to.delete(key);
      await to.putFile(key, temp);
      const landed = await to.read(key);
      const check = landed ? await sha256Of(landed) : null;
      if (!check || check.sha !== read.sha || check.size !== read.size) return void counts.failed.push({ key, reason: 'the copy does not read back as the source' });
      counts.copied++;
      counts.bytes += read.size;
    } finally {
      await fs.promises.rm(temp, { force: true });
    }
  };

  const running = new Set<Promise<void>>();
  let fatal: unknown = null;
  for await (const key of from.keys()) {
    if (fatal) break;
    counts.listed++;
    const p: Promise<void> = copyOne(key)
      .catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'unavailable') fatal ??= err;
        else counts.failed.push({ key, reason: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => running.delete(p));
    running.add(p);
    if (running.size >= PARALLEL) await Promise.race(running);
    if (counts.listed % 1000 === 0) progress(counts);
  }
  await Promise.all(running);
  if (fatal) throw fatal;
  return counts;
}
