import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where upload bytes live, by key (a content hash). Local disk today; an S3-compatible store can
 * implement the same interface.
 */
export interface BlobStore {
  /** Moves a finished temporary file in under key (atomically; a key that exists is kept). */
  putFile(key: string, tempFile: string): Promise<void>;
  putBuffer(key: string, data: Buffer): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** A stream of the bytes, or null when absent. */
  read(key: string): Promise<Readable | null>;
  delete(key: string): Promise<void>;
  /** A fresh path for a temporary file on the same volume (so putFile can rename it). */
  tempPath(): string;
}

const KEY = /^[a-f0-9]{64}(\.[a-z0-9.]+)?$/;

/** Files under UPLOAD_DIR: ab/cd/<key>, written to a temporary name and renamed into place. */
export class LocalBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  private pathOf(key: string): string {
    // Keys are hashes we computed; anything else is a bug, never a path from a client.
    if (!KEY.test(key)) throw new Error(`bad blob key: ${key}`);
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  tempPath(): string {
    return path.join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
  }

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
    const temp = this.tempPath();
    await fs.promises.writeFile(temp, data);
    await this.putFile(key, temp);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
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

  /**
   * The content hashes that have an upload's file here (the file or its thumbnail), each once,
   * directory by directory: for finding files no upload uses any more. Link preview images
   * (`<hash>.preview.webp`) are not uploads and are not listed.
   */
  async *hashes(): AsyncGenerator<string> {
    const hex2 = /^[a-f0-9]{2}$/;
    const dirs = async (dir: string): Promise<string[]> =>
      (await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && hex2.test(e.name)).map((e) => e.name).sort();
    for (const a of await dirs(this.root)) {
      for (const b of await dirs(path.join(this.root, a))) {
        const seen = new Set<string>();
        for (const name of (await fs.promises.readdir(path.join(this.root, a, b)).catch(() => [] as string[])).sort()) {
          const sha = /^([a-f0-9]{64})(\.thumb\.webp)?$/.exec(name)?.[1];
          if (sha && sha.startsWith(a + b) && !seen.has(sha)) {
            seen.add(sha);
            yield sha;
          }
        }
      }
    }
  }

  /** Removes temporary files left by interrupted uploads. */
  async sweepTemp(olderThanMs: number): Promise<void> {
    const now = Date.now();
    for (const name of await fs.promises.readdir(this.tmpDir)) {
      const p = path.join(this.tmpDir, name);
      const st = await fs.promises.stat(p).catch(() => null);
      if (st && now - st.mtimeMs > olderThanMs) await fs.promises.rm(p, { force: true });
    }
  }
}
