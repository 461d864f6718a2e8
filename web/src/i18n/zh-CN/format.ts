/** The web client's format texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const format: Catalog['format'] = {
  bytes_other: '{{n}} 字节',
};
