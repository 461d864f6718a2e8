import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/repositories/index.js';
import type { BlobStore } from '../../storage/blob-store.js';

/**
 * Removes the files (and thumbnails) of these content hashes that no upload row uses any more,
 * each under its hash's lock, as the upload sweeper does: an upload of the same bytes stored
 * meanwhile keeps its file. Call after the transaction that deleted the rows has committed.
 *
 * A store that cannot be reached (S3 down: AppError `unavailable`) throws, unless `logger` is
 * given: then the removal stops there with an error logged and the count so far, because the
 * rows are gone already and what called (an erasure, retention, the sweep) has done its part;
 * the files left are what `npm run admin -- gc-files` removes once the store is back.
 */
export async function removeUnusedBlobs(db: Db, blobs: BlobStore, sha256s: readonly string[], logger?: Logger): Promise<number> {
  let removed = 0;
  const hashes = [...new Set(sha256s)];
  for (const [i, sha256] of hashes.entries()) {
    let gone: boolean;
    try {
      gone = await inTransaction(db, async (tx) => {
        await tx.uploads.lockHash(sha256);
        if (await tx.uploads.hashInUse(sha256)) return false;
        await blobs.delete(sha256);
        await blobs.delete(`${sha256}.thumb.webp`);
        return true;
      });
    } catch (err) {
      if (!logger || !(err instanceof AppError && err.code === 'unavailable')) throw err;
      logger.error({ files: hashes.length - i, store: blobs.kind }, 'files no upload uses were not removed: the file store is unavailable; run `npm run admin -- gc-files` once it is back');
      return removed;
    }
    if (gone) removed++;
  }
  return removed;
}
