/** Link previews as the wire and the exports show them (presenters.ts presents the rest of a message). */
import type { StoredLinkPreview } from '../../db/schema.js';
import type { LinkPreview } from '../../protocol/entities.js';
import type { ExportedLinkPreview } from '../../protocol/export.js';
import type { Static } from 'typebox';
import type { UrlSigner } from '../files/url-signer.js';

/** Where preview images are served (GET /api/v1/link-previews/images/{key}, signed). */
export const PREVIEW_IMAGE_PATH = '/api/v1/link-previews/images';
/** Signed into preview image URLs: an upload's signature never opens an image, nor the reverse. */
export const PREVIEW_IMAGE_SCOPE = 'link-preview-image';

/** A message's stored previews for the wire, the image as a signed URL here; null for none. */
export function presentPreviews(stored: readonly StoredLinkPreview[] | null, deleted: boolean, signer: UrlSigner): LinkPreview[] | null {
  if (deleted || !stored || stored.length === 0) return null;
  return stored.map((p) => ({
    url: p.url,
    title: p.title,
    description: p.description,
    siteName: p.siteName,
    image: p.image ? { url: signer.url(p.image.key, 'file'), width: p.image.width, height: p.image.height } : null,
  }));
}

/** `{previews}` for an export row, or nothing when the message has none (or is deleted). */
export function exportedPreviews(row: {
  previews: readonly StoredLinkPreview[] | null;
  deletedAt: Date | null;
}): { previews?: Static<typeof ExportedLinkPreview>[] } {
  if (row.deletedAt || !row.previews || row.previews.length === 0) return {};
  return { previews: row.previews.map((p) => ({ url: p.url, title: p.title, description: p.description, siteName: p.siteName })) };
}
