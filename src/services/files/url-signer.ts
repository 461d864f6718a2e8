import { createHmac, timingSafeEqual } from 'node:crypto';

export type UploadVariant = 'file' | 'thumbnail';
const HOUR = 3600;

/**
 * Signed, expiring upload URLs, so an `<img>` can load a file without an Authorization header.
 * A URL expires between one and two hours after it is made, on an hour boundary, so the same
 * file keeps the same URL for a while and browsers can cache it.
 */
export class UrlSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly basePath = '/api/v1/uploads',
    /** Signed into every signature, so a URL signed for one kind of file never opens another kind. */
    private readonly scope = '',
  ) {}

  /** A signer with the same secret for other files (link preview images): another path and scope. */
  scoped(basePath: string, scope: string): UrlSigner {
    return new UrlSigner(this.secret, basePath, `${scope}:`);
  }

  url(uploadId: string, variant: UploadVariant, nowMs = Date.now()): string {
    const expires = (Math.floor(nowMs / 1000 / HOUR) + 2) * HOUR;
    const path = `${this.basePath}/${uploadId}${variant === 'thumbnail' ? '/thumbnail' : ''}`;
    return `${path}?expires=${expires}&sig=${this.sign(uploadId, variant, expires)}`;
  }

  /** True for an unexpired signature made by this server for this upload and variant. */
  verify(uploadId: string, variant: UploadVariant, expires: string | undefined, sig: string | undefined, nowMs = Date.now()): boolean {
    if (!expires || !sig || !/^\d{1,12}$/.test(expires)) return false;
    const exp = Number(expires);
    if (exp * 1000 < nowMs) return false;
    const expected = Buffer.from(this.sign(uploadId, variant, exp));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(uploadId: string, variant: UploadVariant, expires: number): string {
    return createHmac('sha256', this.secret).update(`${this.scope}${uploadId}:${variant}:${expires}`).digest('base64url');
  }
}
