/** The web client's attachments texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const attachments: Catalog['attachments'] = {
  uploading: '上传中',
  uploadingSize: '上传中… {{size}}',
};
