/** The web client's preview texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const preview: Catalog['preview'] = {
  remove: '移除预览',
};
