import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where upload bytes live, by key (a content hash, with a suffix for what is made from it):
 * local disk (LocalBlobStore) or an S3-compatible bucket (S3BlobStore, loaded only when
 * configured). A store that cannot be reached throws AppError `unavailable` (a 503), never hangs.
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  /**
   * Copies a finished temporary file in before the transaction that records it, where copying
   * is slow (S3); a no-op where putFile is a rename. putFile must still follow, under the hash's lock.
   */
  stage(key: string, tempFile: string): Promise<void>;
  /**
   * Stores a finished temporary file under key (atomically; a key that exists is kept). The
   * temporary file is moved or left for the caller to remove.
   */
  putFile(key: string, tempFile: string): Promise<void>;
  putBuffer(key: string, data: Buffer): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Bytes stored under key, or null when absent. */
  size(key: string): Promise<number | null>;
  /** A stream of the bytes, or null when absent. */
  read(key: string): Promise<Readable | null>;
  delete(key: string): Promise<void>;
  /** Every key stored, in ascending order (a key's thumbnail right after it). */
  keys(): AsyncGenerator<string>;
  /** A fresh path for a temporary file (on UPLOAD_DIR's volume, so the local putFile can rename it). */
  tempPath(): string;
  /** Removes temporary files left by interrupted uploads. */
  sweepTemp(olderThanMs: number): Promise<void>;
  /** Logs whether the store can be reached (at start); never throws. */
  check(): Promise<void>;
  /** Lets go of connections (S3). */
  close(): void;
}

const KEY = /^[a-f0-9]{64}(\.[a-z0-9.]+)?$/;

/** True for a key of ours: a content hash, with a suffix for what is made from it. */
export function isBlobKey(key: string): boolean {
  return KEY.test(key);
}

/** Throws unless key is one of ours (a hash we computed): never a path from a client. */
export function checkBlobKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`bad blob key: ${key}`);
}

/**
 * The content hashes that have an upload's file in the store (the file or its thumbnail), each
 * once: for finding files no upload uses any more. Link preview images (`<hash>.preview.webp`)
 * are not uploads and are not listed.
 */
export async function* uploadHashes(store: Pick<BlobStore, 'keys'>): AsyncGenerator<string> {
  let last = '';
  for await (const key of store.keys()) {
    const sha = /^([a-f0-9]{64})(\.thumb\.webp)?$/.exec(key)?.[1];
    // keys() is sorted, so a file and its thumbnail are next to each other.
    if (sha && sha !== last) {
      last = sha;
      yield sha;
    }
  }
}

/** Temporary files under UPLOAD_DIR/tmp: the uploads' first stop whichever store keeps them. */
export class TempFiles {
  readonly dir: string;
  constructor(uploadDir: string) {
    this.dir = path.join(uploadDir, 'tmp');
    fs.mkdirSync(this.dir, { recursive: true });
  }

  path(): string {
    return path.join(this.dir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
  }

  async sweep(olderThanMs: number): Promise<void> {
    const now = Date.now();
    for (const name of await fs.promises.readdir(this.dir)) {
      const p = path.join(this.dir, name);
      const st = await fs.promises.stat(p).catch(() => null);
      if (st && now - st.mtimeMs > olderThanMs) await fs.promises.rm(p, { force: true });
    }
  }
}

/** Files under UPLOAD_DIR: ab/cd/<key>, written to a temporary name and renamed into place. */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local';
  private readonly temp: TempFiles;

  constructor(private readonly root: string) {
    this.temp = new TempFiles(root);
  }

  private pathOf(key: string): string {
    checkBlobKey(key);
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  tempPath(): string {
    return this.temp.path();
  }

  async stage(): Promise<void> {}

  async putFile(key: string, tempFile: string): Promise<void> {
    const target = this.pathOf(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    if (await this.exists(key)) {
      await fs.promises.rm(tempFile, { force: true });
      return;
    }
    await fs.promises.rename(tempFile, target);
  }

  async putBuffer(key: string, data: Buffer): Promise<void> {
    this.pathOf(key);
    const temp = this.tempPath();
    await fs.promises.writeFile(temp, data);
    await this.putFile(key, temp);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== null;
  }

  async size(key: string): Promise<number | null> {
    const st = await fs.promises.stat(this.pathOf(key)).catch(() => null);
    return st?.isFile() ? st.size : null;
  }

  async read(key: string): Promise<Readable | null> {
    const p = this.pathOf(key);
    try {
      const handle = await fs.promises.open(p, 'r');
      return handle.createReadStream();
    } catch {
      return null;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  /** Directory by directory, each sorted: the keys come out in ascending order. */
  async *keys(): AsyncGenerator<string> {
    const hex2 = /^[a-f0-9]{2}$/;
    const dirs = async (dir: string): Promise<string[]> =>
      (await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && hex2.test(e.name)).map((e) => e.name).sort();
    for (const a of await dirs(this.root)) {
      for (const b of await dirs(path.join(this.root, a))) {
        for (const name of (await fs.promises.readdir(path.join(this.root, a, b)).catch(() => [] as string[])).sort()) {
          if (KEY.test(name) && name.startsWith(a + b)) yield name;
        }
      }
    }
  }

  async sweepTemp(olderThanMs: number): Promise<void> {
    await this.temp.sweep(olderThanMs);
  }

  async check(): Promise<void> {}

  close(): void {}
}
