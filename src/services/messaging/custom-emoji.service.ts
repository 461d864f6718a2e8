/**
 * Custom emoji (issue 22): site admins add an image under a name; everyone uses it as `:name:` in
 * messages and reactions. The image is sniffed from its bytes (PNG, GIF, JPEG or WebP), resized
 * to at most 128×128 and stored as WebP (an animated GIF or WebP stays animated) in the upload
 * store under `<sha256>.emoji.webp`. Changes reach every connection as `emoji.created` and
 * `emoji.deleted` frames.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { AppError, badRequest, conflict, notFound } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { Semaphore } from '../../core/semaphore.js';
import type { Db } from '../../db/database.js';
import type { CustomEmojiWithCreator } from '../../db/repositories/custom-emoji.repository.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { CustomEmoji } from '../../protocol/custom-emoji.js';
import { CUSTOM_EMOJI_NAME, standardEmoji } from '../../protocol/emoji-names.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { AuditService } from '../identity/audit.service.js';
import type { EventPublisher } from '../shared/events.js';
import { requireSiteAdmin, type Actor } from '../identity/identity.js';
import { writeInspected } from '../files/inspected-file.js';
import { MAX_INPUT_PIXELS } from '../files/uploads.service.js';

/** Types a custom emoji's image may be, sniffed from its bytes. */
export const EMOJI_SOURCE_TYPES = new Set(['image/png', 'image/gif', 'image/jpeg', 'image/webp']);
/** The stored image's largest side, in pixels. */
export const EMOJI_IMAGE_PX = 128;
/** An animation keeps at most this many frames (the rest are dropped). */
export const EMOJI_MAX_FRAMES = 200;
/** Another node's change is seen in the list within this long (its own at once). */
const LIST_CACHE_MS = 2_000;

export interface CustomEmojiLimits {
  /** EMOJI_MAX_BYTES: the largest image accepted (413 beyond). */
  maxBytes: number;
  /** MAX_CUSTOM_EMOJI: custom emoji the site may hold (409 beyond). */
  maxCount: number;
}

export interface EmojiImage {
  stream: Readable;
  size: number | null;
  /** The URL named this very image (its `v`): cacheable for ever. */
  current: boolean;
}

const imageKey = (sha256: string): string => `${sha256}.emoji.webp`;
/** What the image URL carries of the hash: enough to change with the image. */
const version = (sha256: string): string => sha256.slice(0, 16);

export class CustomEmojiService {
  /** Resizing decodes whole images (every frame of an animation): two at a time. */
  private readonly resizing = new Semaphore(2);
  private cached: { emoji: CustomEmoji[]; etag: string; at: number } | null = null;

  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'customEmoji'>,
    private readonly blobs: BlobStore,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    readonly limits: CustomEmojiLimits,
  ) {}

  /** Every custom emoji by name, and an ETag of the list (it changes whenever the list does). */
  async list(): Promise<{ emoji: CustomEmoji[]; etag: string }> {
    if (this.cached && Date.now() - this.cached.at < LIST_CACHE_MS) return this.cached;
    const emoji = (await this.repos.customEmoji.list()).map(present);
    const etag = `"${createHash('sha256').update(JSON.stringify(emoji)).digest('base64url').slice(0, 27)}"`;
    this.cached = { emoji, etag, at: Date.now() };
    return this.cached;
  }

  /**
   * Adds a custom emoji (site admins; audited as `emoji.created`). The name is checked before a
   * byte is read; the image is refused past EMOJI_MAX_BYTES (413), when it is not PNG, GIF, JPEG
   * or WebP by its bytes (415), or when it cannot be decoded (400).
   */
  async create(actor: Actor, name: string, file: { stream: Readable; truncated: () => boolean }): Promise<CustomEmoji> {
    requireSiteAdmin(actor);
    await this.checkName(name);
    const temp = this.blobs.tempPath();
    let image: Buffer;
    try {
      const { size, contentType } = await writeInspected(file.stream, temp);
      if (file.truncated()) throw new AppError('payload_too_large', `a custom emoji's image may be at most ${this.limits.maxBytes} bytes`, { maxBytes: this.limits.maxBytes });
      if (size === 0) throw badRequest('the image is empty');
      if (!EMOJI_SOURCE_TYPES.has(contentType)) {
        throw new AppError('unsupported_media_type', 'a custom emoji must be a PNG, GIF, JPEG or WebP image', { contentType });
      }
      const source = await fs.promises.readFile(temp);
      image = await this.resizing.run(() => this.resize(source));
    } finally {
      await fs.promises.rm(temp, { force: true });
    }
    const sha256 = createHash('sha256').update(image).digest('hex');
    await inTransaction(this.db, async (tx) => {
      // One at a time: the count and the name are checked again where no other addition can pass.
      await tx.customEmoji.lockAdding();
      await this.checkRoom(name, tx);
      await tx.customEmoji.lockImage(sha256);
      // Under the image's lock: a deletion of another name with the same image cannot remove it meanwhile.
      if (!(await this.blobs.exists(imageKey(sha256)))) await this.blobs.putBuffer(imageKey(sha256), image);
      await tx.customEmoji.insert({ name, sha256, creatorId: actor.user.id });
      await this.audit.record({ actorId: actor.user.id, action: 'emoji.created', details: { name } }, tx);
    });
    this.cached = null;
    const row = await this.repos.customEmoji.find(name);
    if (!row) throw notFound('emoji');
    const emoji = present({ ...row, creator: { id: actor.user.id, username: actor.user.username, displayName: actor.user.displayName } });
    this.publisher.broadcast({ type: 'emoji.created', emoji });
    this.logger.info({ name, bytes: image.length }, 'custom emoji added');
    return emoji;
  }

  /** Deletes a custom emoji (site admins; audited as `emoji.deleted`): messages and reactions keep their `:name:` text. */
  async delete(actor: Actor, name: string): Promise<void> {
    requireSiteAdmin(actor);
    const gone = await inTransaction(this.db, async (tx) => {
      const row = await tx.customEmoji.delete(name);
      if (!row) return null;
      await tx.customEmoji.lockImage(row.sha256);
      if (!(await tx.customEmoji.imageInUse(row.sha256))) await this.blobs.delete(imageKey(row.sha256));
      await this.audit.record({ actorId: actor.user.id, action: 'emoji.deleted', details: { name } }, tx);
      return row;
    });
    if (!gone) throw notFound('emoji');
    this.cached = null;
    this.publisher.broadcast({ type: 'emoji.deleted', name });
  }

  /** The image of a current custom emoji (anyone: it is shown wherever its name is written). */
  async open(name: string, v: string | undefined): Promise<EmojiImage> {
    const row = CUSTOM_EMOJI_NAME.test(name) ? await this.repos.customEmoji.find(name) : null;
    if (!row) throw notFound('emoji');
    const key = imageKey(row.sha256);
    const [stream, size] = await Promise.all([this.blobs.read(key), this.blobs.size(key)]);
    if (!stream) throw notFound('emoji');
    return { stream, size, current: v === version(row.sha256) };
  }

  /** 400 for a name that is malformed or a standard emoji's; 409 for one taken, or a full site. */
  private async checkName(name: string): Promise<void> {
    if (!CUSTOM_EMOJI_NAME.test(name)) throw badRequest('name must be 1-64 of a-z, 0-9, _, + and -', { field: 'name' });
    if (standardEmoji(name) !== undefined) throw badRequest(`:${name}: is a standard emoji`, { field: 'name' });
    await this.checkRoom(name, this.repos);
  }

  private async checkRoom(name: string, repos: Pick<Repositories, 'customEmoji'>): Promise<void> {
    if (await repos.customEmoji.exists(name)) throw conflict(`:${name}: exists already`, { field: 'name' });
    if ((await repos.customEmoji.count()) >= this.limits.maxCount) {
      throw conflict(`the site has ${this.limits.maxCount} custom emoji, as many as it may (MAX_CUSTOM_EMOJI): delete some first`);
    }
  }

  /** At most 128×128 WebP; an animation keeps its frames (up to EMOJI_MAX_FRAMES). 400 when it cannot be decoded. */
  private async resize(source: Buffer): Promise<Buffer> {
    const { default: sharp } = await import('sharp');
    try {
      const meta = await sharp(source, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
      const pages = Math.min(meta.pages ?? 1, EMOJI_MAX_FRAMES);
      const frames = sharp(source, { limitInputPixels: MAX_INPUT_PIXELS, pages });
      // A still photo follows its EXIF orientation; an animation has none to follow.
      return await (pages === 1 ? frames.rotate() : frames)
        .resize(EMOJI_IMAGE_PX, EMOJI_IMAGE_PX, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 85 })
        .toBuffer();
    } catch (err) {
      this.logger.info({ err }, 'custom emoji refused: the image could not be decoded');
      throw badRequest('the image could not be decoded');
    }
  }
}

/** A custom emoji as clients see it. */
export function present(row: CustomEmojiWithCreator): CustomEmoji {
  return {
    name: row.name,
    url: `/api/v1/emoji/${encodeURIComponent(row.name)}/image?v=${version(row.sha256)}`,
    creator: row.creator,
    createdAt: row.createdAt.toISOString(),
  };
}
