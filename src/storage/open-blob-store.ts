import type { S3Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { LocalBlobStore, TempFiles, type BlobStore } from './blob-store.js';

/**
 * The store UPLOAD_STORE names: local disk under UPLOAD_DIR, or an S3 bucket. The AWS SDK is
 * loaded here and only then (a separate chunk of the build): a server on local disk never loads
 * it. UPLOAD_DIR/tmp holds uploads in progress either way.
 */
export async function openBlobStore(uploads: { dir: string; s3: S3Config | null }, logger: Logger): Promise<BlobStore> {
  if (!uploads.s3) return new LocalBlobStore(uploads.dir);
  const { S3BlobStore } = await import('./s3-blob-store.js');
  return new S3BlobStore(uploads.s3, new TempFiles(uploads.dir), logger);
}
