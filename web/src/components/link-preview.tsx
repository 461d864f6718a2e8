/**
 * A message's link previews (docs/protocol.md, "Link previews"): a card per link with its title
 * (linking to the page), description and image. The image comes from Parley (a signed URL of the
 * server's copy), never from the linked site. The sender gets a remove (×) control.
 */
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import type { LinkPreview, Message } from '../../../src/client/index.js';
import './link-preview.css';
import { useTranslation } from 'react-i18next';

/** The host of a link, for the card's site line when the page names no site. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function LinkPreviews({ message, own, onRemove }: { message: Message; own: boolean; onRemove?: (url: string) => void }) {
  const previews = message.previews ?? [];
  if (previews.length === 0 || message.deletedAt) return null;
  return (
    <div className="link-previews">
      {previews.map((p) => (
        <PreviewCard key={p.url} preview={p} onRemove={own && onRemove ? () => onRemove(p.url) : undefined} />
      ))}
    </div>
  );
}

function PreviewCard({ preview: p, onRemove }: { preview: LinkPreview; onRemove?: () => void }) {
  const { t } = useTranslation();
  const title = neutralizeBidi(p.title ?? p.url);
  return (
    <article className="link-preview" data-testid="link-preview" data-url={p.url}>
      <div className="link-preview-text">
        <span className="link-preview-site muted">{neutralizeBidi(p.siteName ?? hostOf(p.url))}</span>
        <a className="link-preview-title" href={p.url} target="_blank" rel="noopener noreferrer nofollow" data-testid="link-preview-title">
          {title}
        </a>
        {p.description && (
          <p className="link-preview-description" dir="auto">
            {neutralizeBidi(p.description)}
          </p>
        )}
      </div>
      {p.image && (
        <a className="link-preview-image" href={p.url} target="_blank" rel="noopener noreferrer nofollow" tabIndex={-1} aria-hidden="true">
          <img src={p.image.url} width={p.image.width} height={p.image.height} alt="" loading="lazy" referrerPolicy="no-referrer" />
        </a>
      )}
      {onRemove && (
        <button type="button" className="icon-btn link-preview-remove" aria-label={t('preview.remove')} title={t('preview.remove')} data-testid="link-preview-remove" onClick={onRemove}>
          ×
        </button>
      )}
    </article>
  );
}
