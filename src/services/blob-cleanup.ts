import type { Db } from '../db/database.js';
import { inTransaction } from '../db/repositories/index.js';
import type { BlobStore } from '../storage/blob-store.js';

/**
 * Removes the files (and thumbnails) of these content hashes that no upload row uses any more,
 * each under its hash's lock, as the upload sweeper does: an upload of the same bytes stored
 * meanwhile keeps its file. Call after the transaction that deleted the rows has committed.
 */
export async function removeUnusedBlobs(db: Db, blobs: BlobStore, sha256s: readonly string[]): Promise<number> {
  let removed = 0;
  for (const sha256 of new Set(sha256s)) {
    const gone = await inTransaction(db, async (tx) => {
      await tx.uploads.lockHash(sha256);
      if (await tx.uploads.hashInUse(sha256)) return false;
      await blobs.delete(sha256);
      await blobs.delete(`${sha256}.thumb.webp`);
      return true;
    });
    if (gone) removed++;
  }
  return removed;
}
