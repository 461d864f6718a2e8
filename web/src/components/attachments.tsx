/** A message's files: images as thumbnails that open full size, others as download links. */
import type { Upload } from '../../../src/client/index.js';
import { formatSize } from '../format.js';
import type { PendingFile } from '../store/types.js';
import { useTranslation } from 'react-i18next';

export function Attachments({ items }: { items: Upload[] }) {
  if (items.length === 0) return null;
  return (
    <div className="attachments">
      {items.map((a) =>
        a.thumbnailUrl ? (
          <a key={a.id} className="attachment-image" href={a.url} target="_blank" rel="noopener noreferrer" data-testid="attachment-image" title={`${a.filename} (${formatSize(a.size)})`}>
            <img src={a.thumbnailUrl} alt={a.filename} loading="lazy" />
          </a>
        ) : (
          <a key={a.id} className="attachment-file" href={a.url} download={a.filename} target="_blank" rel="noopener noreferrer" data-testid="attachment-file">
            <span className="file-icon" aria-hidden="true">
              📄
            </span>
            <span className="file-name">{a.filename}</span>
            <span className="muted file-size">{formatSize(a.size)}</span>
          </a>
        ),
      )}
    </div>
  );
}

/** Files of a message still on its way: local previews. */
export function PendingAttachments({ files }: { files: PendingFile[] }) {
  const { t } = useTranslation();
  if (files.length === 0) return null;
  return (
    <div className="attachments">
      {files.map((f, i) =>
        f.previewUrl ? (
          <span key={i} className="attachment-image pending" data-testid="attachment-pending">
            <img src={f.previewUrl} alt={f.file.name} />
            {!f.upload && <span className="upload-spinner" aria-label={t('attachments.uploading')} />}
          </span>
        ) : (
          <span key={i} className="attachment-file pending" data-testid="attachment-pending">
            <span className="file-icon" aria-hidden="true">
              📄
            </span>
            <span className="file-name">{f.file.name}</span>
            <span className="muted file-size">{f.upload ? formatSize(f.file.size) : t('attachments.uploadingSize', { size: formatSize(f.file.size) })}</span>
          </span>
        ),
      )}
    </div>
  );
}
