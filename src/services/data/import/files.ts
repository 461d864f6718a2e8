/** An attachment's bytes, stored as an upload's are: under their SHA-256, typed by their bytes. */
import fs from 'node:fs';
import type { BlobStore } from '../../../storage/blob-store.js';
import { writeInspected, type InspectedFile } from '../../files/inspected-file.js';

export type StoredFile = InspectedFile;

/** Copies `file` into the blob store (streamed; identical files kept once). */
export async function storeFile(blobs: BlobStore, file: string): Promise<StoredFile> {
  const temp = blobs.tempPath();
  try {
    const stored = await writeInspected(fs.createReadStream(file), temp);
    await blobs.putFile(stored.sha256, temp);
    return stored;
  } finally {
    await fs.promises.rm(temp, { force: true });
  }
}
