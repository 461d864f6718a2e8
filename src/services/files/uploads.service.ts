import { cleanDisplayText } from '../../core/display-text.js';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { AppError, badRequest, notFound } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import { Semaphore } from '../../core/semaphore.js';
import type { UploadRow } from '../../db/repositories/uploads.repository.js';
import type { Upload, User } from '../../protocol/entities.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { removeUnusedBlobs } from './blob-cleanup.js';
import type { Actor } from '../identity/identity.js';
import { requireSiteAdmin } from '../identity/identity.js';
import { presentUser, type MessagePresenter, type UserView } from '../shared/presenters.js';
import { writeInspected } from './inspected-file.js';
import type { UploadVariant, UrlSigner } from './url-signer.js';

/** Images sharp turns into thumbnails. */
const THUMBNAIL_SOURCES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff', 'image/heic']);
/** Served inline (an `<img>`); everything else downloads as an attachment, never rendered as a page. */
const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);
const THUMBNAIL_PX = 400;
/** Decompression bombs: refuse images over this many pixels. */
export const MAX_INPUT_PIXELS = 25_000_000;
export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * A file name as people wrote it (any script), minus paths, control characters, bidirectional
 * overrides (which make "invoice\u202Efdp.exe" look like "invoiceexe.pdf") and excess length.
 */
export function cleanFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = cleanDisplayText(base);
  const safe = cleaned === '.' || cleaned === '..' ? '' : cleaned;
  return [...safe].slice(0, 200).join('') || 'file';
}

/**
 * A multipart filename parameter as browsers wrote it: the HTML standard has them percent-encode
 * only `"` (%22), LF (%0A) and CR (%0D), leaving `%` itself alone, so exactly those three are
 * decoded (a name that really holds "%41" stays as it is).
 */
export function decodeMultipartFilename(raw: string | undefined): string | undefined {
  return raw?.replace(/%(22|0A|0D)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Content-Disposition per RFC 6266 and 5987: an ASCII fallback plus the UTF-8 name. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export interface FileToServe {
  stream: Readable;
  contentType: string;
  size: number | null;
  disposition: string;
}

/** Storage limits: bytes one person's uploads may hold, and bytes the stored files may take; null = none. */
export interface UploadQuotas {
  perUser: number | null;
  total: number | null;
}

/** How long a node trusts its count of the site's stored bytes before reading it again. */
const STORED_BYTES_TTL_MS = 60_000;

export interface StorageUsage {
  usedBytes: number;
  files: number;
  /** Null: no limit. */
  quotaBytes: number | null;
}

export class UploadsService {
  /** Thumbnails decode whole images: two at a time, whatever the number of uploads. */
  private readonly thumbnails = new Semaphore(2);
  /** The site's stored bytes as last read, plus what this node stored since. */
  private stored: { bytes: number; at: number } | null = null;

  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'uploads' | 'users'>,
    private readonly blobs: BlobStore,
    private readonly signer: UrlSigner,
    private readonly view: MessagePresenter,
    private readonly logger: Logger,
    private readonly presence: UserView,
    private readonly quotas: UploadQuotas = { perUser: null, total: null },
  ) {}

  /** The caller's storage: what their uploads hold, and their quota. */
  async usage(actor: Actor): Promise<StorageUsage> {
    const { bytes, files } = await this.repos.uploads.usage(actor.user.id);
    return { usedBytes: bytes, files, quotaBytes: this.quotas.perUser };
  }

  /** For site admins: the site's stored bytes and quota, and the people using the most, most first. */
  async siteUsage(
    actor: Actor,
    page: { limit: number; offset: number },
  ): Promise<{ storedBytes: number; quotaBytes: number | null; perUserQuotaBytes: number | null; users: { user: User; usedBytes: number; files: number }[] }> {
    requireSiteAdmin(actor);
    const [storedBytes, top] = await Promise.all([this.storedBytes(true), this.repos.uploads.topUsers(page.limit, page.offset)]);
    const users = new Map((await this.repos.users.findByIds(top.map((t) => t.ownerId))).map((u) => [u.id, u]));
    return {
      storedBytes,
      quotaBytes: this.quotas.total,
      perUserQuotaBytes: this.quotas.perUser,
      users: top.flatMap((t) => {
        const u = users.get(t.ownerId);
        return u ? [{ user: presentUser(u, this.presence), usedBytes: t.bytes, files: t.files }] : [];
      }),
    };
  }

  /** The site's stored bytes: read again when older than a minute (or when `fresh`). */
  private async storedBytes(fresh = false, repos: Pick<Repositories, 'uploads'> = this.repos): Promise<number> {
    if (fresh || !this.stored || Date.now() - this.stored.at > STORED_BYTES_TTL_MS) {
      // Inside a transaction, through its handle: the embedded database's one connection is held by it.
      this.stored = { bytes: await repos.uploads.storedBytes(), at: Date.now() };
    }
    return this.stored.bytes;
  }

  /** Refuses an upload of `fileBytes` (unknown yet: 0) that would take the uploader or the site past its quota. */
  private async checkQuota(ownerId: string, fileBytes: number, repos: Pick<Repositories, 'uploads'> = this.repos): Promise<void> {
    const { perUser, total } = this.quotas;
    if (perUser !== null) {
      const { bytes } = await repos.uploads.usage(ownerId);
      if (bytes + fileBytes > perUser || (fileBytes === 0 && bytes >= perUser)) {
        throw new AppError('quota_exceeded', `your files would take more than your ${formatBytes(perUser)} of storage: delete some files or messages with files first`, {
          usedBytes: bytes,
          quotaBytes: perUser,
          fileBytes,
        });
      }
    }
    if (total !== null) {
      const stored = await this.storedBytes(false, repos);
      if (stored + fileBytes > total || (fileBytes === 0 && stored >= total)) {
        throw new AppError('quota_exceeded', 'the server has no room for more files: ask an administrator', { usedBytes: stored, quotaBytes: total, fileBytes, site: true });
      }
    }
  }

  /**
   * Stores an uploaded file: streamed to a temporary file while hashed and counted, its type
   * sniffed from the bytes, then moved under its hash (identical files are stored once).
   * `truncated()` tells whether the multipart parser stopped at the size limit.
   */
  async create(actor: Actor, file: { stream: Readable; filename: string | undefined; truncated: () => boolean }): Promise<Upload> {
    // Already at the quota: refused before the bytes are read.
    await this.checkQuota(actor.user.id, 0);
    const temp = this.blobs.tempPath();
    try {
      const { sha256, size, contentType } = await writeInspected(file.stream, temp);
      if (file.truncated()) throw new AppError('payload_too_large', 'the file is larger than the upload limit');
      if (size === 0) throw badRequest('the file is empty');
      const id = newId();
      // A slow copy (to S3) happens here, before the transaction: no lock and no connection of
      // the database waits on it. putFile then finds it there (or copies it again, if a sweep
      // removed it meanwhile).
      await this.blobs.stage(sha256, temp);
      // The row and the file under one lock of the hash, so the sweeper never removes a file
      // between our seeing it stored and our row pointing at it.
      try {
        await inTransaction(this.db, async (tx) => {
          // One person's uploads are counted one at a time: two at once cannot both fit the last room.
          await tx.uploads.lockOwner(actor.user.id);
          await this.checkQuota(actor.user.id, size, tx);
          await tx.uploads.lockHash(sha256);
          await tx.uploads.insert({ id, ownerId: actor.user.id, filename: cleanFilename(file.filename), contentType, size, sha256 });
          await this.blobs.putFile(sha256, temp);
        });
      } catch (err) {
        // A staged copy no row came to use goes again (under the hash's lock, as every removal).
        await removeUnusedBlobs(this.db, this.blobs, [sha256]).catch((e: unknown) => this.logger.warn({ err: e, sha256 }, 'could not remove a staged file'));
        throw err;
      }
      const hasThumbnail = THUMBNAIL_SOURCES.has(contentType) ? await this.thumbnails.run(() => this.thumbnail(sha256, temp)) : false;
      const row = hasThumbnail ? await this.repos.uploads.markThumbnail(id) : await this.repos.uploads.findById(id);
      if (!row) throw notFound('upload');
      if (this.stored) this.stored.bytes += size;
      this.logger.info({ uploadId: row.id, size, contentType }, 'upload stored');
      return this.view.upload(row);
    } finally {
      await fs.promises.rm(temp, { force: true });
    }
  }

  /**
   * Makes the WebP thumbnail of a stored image once per content hash; false when the image
   * cannot be decoded. Read from the temporary file while it is there (S3: no download of what
   * was just uploaded), else from the store. A store that cannot be reached throws (503).
   */
  private async thumbnail(sha256: string, temp: string): Promise<boolean> {
    const key = `${sha256}.thumb.webp`;
    if (await this.blobs.exists(key)) return true;
    let image = await fs.promises.readFile(temp).catch(() => null);
    if (!image) {
      const source = await this.blobs.read(sha256);
      if (!source) return false;
      const chunks: Buffer[] = [];
      for await (const c of source) chunks.push(c as Buffer);
      image = Buffer.concat(chunks);
    }
    let out: Buffer;
    try {
      const { default: sharp } = await import('sharp');
      out = await sharp(image, { limitInputPixels: MAX_INPUT_PIXELS, animated: false })
        .rotate()
        .resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer();
    } catch (err) {
      this.logger.info({ err, sha256 }, 'no thumbnail: the image could not be decoded');
      return false;
    }
    await this.blobs.putBuffer(key, out);
    return true;
  }

  /**
   * The bytes of an upload (or its thumbnail) for a holder of a valid signed URL, or for a
   * signed-in user who may see it: the owner, a member of a conversation it is attached to, or
   * anyone for a current avatar. Everyone else gets 404.
   */
  async open(
    id: string,
    variant: UploadVariant,
    who: { actor: Actor | null; expires?: string; sig?: string },
  ): Promise<FileToServe> {
    const row = isUuid(id) ? await this.repos.uploads.findById(id) : null;
    if (!row) throw notFound('upload');
    const signed = this.signer.verify(row.id, variant, who.expires, who.sig);
    // Without a valid signature or a token that may see it: 404, as CONTRACT's uploads row says,
    // whoever asks (an expired <img> URL included).
    if (!signed && !(who.actor && (await this.mayRead(row, who.actor.user.id)))) throw notFound('upload');
    if (variant === 'thumbnail' && row.hasThumbnail) {
      const stream = await this.blobs.read(`${row.sha256}.thumb.webp`);
      if (stream) {
        return { stream, contentType: 'image/webp', size: null, disposition: contentDisposition('inline', `${row.filename}.webp`) };
      }
    }
    if (variant === 'thumbnail' && !INLINE_TYPES.has(row.contentType)) throw notFound('thumbnail');
    const stream = await this.blobs.read(row.sha256);
    if (!stream) throw notFound('upload');
    const kind = INLINE_TYPES.has(row.contentType) ? 'inline' : 'attachment';
    return { stream, contentType: row.contentType, size: row.size, disposition: contentDisposition(kind, row.filename) };
  }

  private async mayRead(row: UploadRow, userId: string): Promise<boolean> {
    return row.ownerId === userId || (await this.repos.uploads.readableBy(row.id, userId));
  }

  /** An avatar must be the caller's own image upload. */
  async checkAvatar(actor: Actor, uploadId: string): Promise<void> {
    const [row] = isUuid(uploadId) ? await this.repos.uploads.findOwned(actor.user.id, [uploadId]) : [];
    if (!row) throw badRequest('avatarUploadId is not one of your uploads');
    if (!row.hasThumbnail) throw badRequest('an avatar must be an image');
  }

  /** Removes uploads never attached after a day (and their files, once no upload uses them). */
  async sweep(now = Date.now()): Promise<number> {
    const hashes = await this.repos.uploads.deleteUnattached(new Date(now - UNATTACHED_TTL_MS));
    await removeUnusedBlobs(this.db, this.blobs, hashes, this.logger);
    if (hashes.length) this.logger.info({ files: hashes.length }, 'swept unattached uploads');
    return hashes.length;
  }
}

/** 1073741824 → "1 GiB" (for messages). */
function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
